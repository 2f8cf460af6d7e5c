"""Output files (issue 10, point 1): atomic regular files, followed symlinks, streamed FIFOs and devices.

Every device node here is made by the test itself with ``mknod`` inside ``tmp_path``; no test points
``-o`` at anything under ``/dev``.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from pg import sqlite_store

from connectplan.cli import cli
from connectplan.outfile import OutputError, write_output

IS_ROOT = os.geteuid() == 0
NEEDS_ROOT = pytest.mark.skipif(not IS_ROOT, reason="making a character device node (mknod) needs root")


@pytest.fixture
def url(tmp_path):
    return sqlite_store(tmp_path / "plans.db")


@pytest.fixture
def planned(runner, url):
    result = runner.invoke(cli, ["--db", url, "plan", "new", "acme", "--preset", "saas", "-m", "first"])
    assert result.exit_code == 0, result.output
    return url


def _null_device(path: Path) -> Path:
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the null device's numbers, in tmp_path
    return path


def _full_device(path: Path) -> Path:
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # writes fail with ENOSPC
    return path


class _FifoReader:
    """Open a FIFO for reading in a thread and collect what is written to it."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.data = b""
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with open(self.path, "rb") as handle:
            self.data = handle.read()

    def result(self) -> bytes:
        self.thread.join(10)
        return self.data


def _one_line_error(result, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------------------
# the helper itself


def test_regular_file_is_replaced_atomically_and_keeps_its_mode(tmp_path):
    target = tmp_path / "out.txt"
    target.write_bytes(b"old")
    target.chmod(0o640)
    inode = target.stat().st_ino
    write_output(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_ino != inode  # a new file renamed into place, not rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]  # no temporary file left


def test_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        write_output(tmp_path / "new.txt", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_symlink_is_followed_and_kept(tmp_path):
    real = tmp_path / "real.txt"
    real.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_output(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"new"


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "later.txt")
    write_output(link, b"x")
    assert link.is_symlink() and (tmp_path / "later.txt").read_bytes() == b"x"


def test_fifo_is_streamed_to_and_kept(tmp_path):
    reader = _FifoReader(tmp_path / "pipe")
    write_output(tmp_path / "pipe", b"streamed")
    assert reader.result() == b"streamed"
    assert stat.S_ISFIFO((tmp_path / "pipe").stat().st_mode)


@NEEDS_ROOT
def test_character_device_is_written_not_replaced(tmp_path):
    node = _null_device(tmp_path / "null")
    write_output(node, b"discarded")
    assert stat.S_ISCHR(node.stat().st_mode)


@NEEDS_ROOT
def test_full_character_device_is_one_line_and_kept(tmp_path):
    node = _full_device(tmp_path / "full")
    with pytest.raises(OutputError, match=r"cannot write .*full: No space left on device"):
        write_output(node, b"x")
    assert stat.S_ISCHR(node.stat().st_mode)


def test_dash_is_standard_output():
    import io

    sink = io.BytesIO()
    assert write_output("-", b"hello", stdout=sink) is None
    assert sink.getvalue() == b"hello"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("missing/x.txt", "does not exist; create it first"),
        ("a" * 300 + ".txt", "the file name is too long"),
        (".", "it is a directory"),
    ],
)
def test_bad_paths_are_one_line(tmp_path, name, reason):
    with pytest.raises(OutputError) as info:
        write_output(tmp_path / name, b"x")
    assert reason in str(info.value) and "\n" not in str(info.value)
    assert str(tmp_path) in str(info.value)


def test_paths_under_proc_are_refused():
    with pytest.raises(OutputError, match=r"cannot write /proc/self/connectplan\.dot: it is under /proc"):
        write_output("/proc/self/connectplan.dot", b"x")


@contextlib.contextmanager
def _unwritable_dir(tmp_path: Path):
    """A directory this process cannot write to: read-only mode, or (as root) a read-only tmpfs."""
    d = tmp_path / "ro"
    d.mkdir()
    if not IS_ROOT:
        d.chmod(0o555)
        try:
            yield d
        finally:
            d.chmod(0o755)
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(d)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield d
    finally:
        subprocess.run(["umount", str(d)], check=False)


def test_unwritable_directory_is_one_line(tmp_path):
    with _unwritable_dir(tmp_path) as d, pytest.raises(OutputError) as info:
        write_output(d / "x.txt", b"x")
    message = str(info.value)
    assert message.startswith(f"cannot write {d / 'x.txt'}: ")
    assert "read-only" in message or "permission denied" in message


def test_disk_full_leaves_the_existing_file_unchanged(tmp_path):
    if not IS_ROOT:
        pytest.skip("mounting a small tmpfs to fill needs root")
    d = tmp_path / "small"
    d.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(d)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        (d / "export.json").write_bytes(b'{"ok": true}\n')
        with pytest.raises(OutputError, match="no space left on the device"):
            write_output(d / "export.json", b"x" * 200_000)
        assert (d / "export.json").read_bytes() == b'{"ok": true}\n'
        assert sorted(p.name for p in d.iterdir()) == ["export.json"]
    finally:
        subprocess.run(["umount", str(d)], check=False)


# ---------------------------------------------------------------------------
# render -o, plan export -o, doc -o


def _writers(tmp_path: Path, target: Path) -> dict[str, list[str]]:
    return {
        "render": ["render", "money-flow", "acme", "--format", "dot", "-o", str(target)],
        "export": ["plan", "export", "acme", "-o", str(target)],
        "doc": ["doc", "acme", "--format", "html", "-o", str(target)],
    }


@pytest.mark.parametrize("command", ["render", "export", "doc"])
def test_commands_follow_a_symlink(runner, planned, tmp_path, command):
    real = tmp_path / "real.html"
    real.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(real)
    result = runner.invoke(cli, ["--db", planned, *_writers(tmp_path, link)[command]])
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert real.read_text() != "old"


@pytest.mark.parametrize("command", ["render", "export", "doc"])
def test_commands_stream_to_a_fifo(runner, planned, tmp_path, command):
    reader = _FifoReader(tmp_path / "pipe.html")
    result = runner.invoke(cli, ["--db", planned, *_writers(tmp_path, tmp_path / "pipe.html")[command]])
    assert result.exit_code == 0, result.output
    data = reader.result()
    assert data and stat.S_ISFIFO((tmp_path / "pipe.html").stat().st_mode)
    if command == "export":
        assert json.loads(data)["plan"]["name"] == "acme"


@NEEDS_ROOT
@pytest.mark.parametrize("command", ["render", "export", "doc"])
def test_commands_write_to_a_character_device_and_keep_it(runner, planned, tmp_path, command):
    node = _null_device(tmp_path / "null.html")
    result = runner.invoke(cli, ["--db", planned, *_writers(tmp_path, node)[command]])
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(node.stat().st_mode)


@NEEDS_ROOT
@pytest.mark.parametrize("command", ["render", "export", "doc"])
def test_commands_report_a_full_device_in_one_line(runner, planned, tmp_path, command):
    node = _full_device(tmp_path / "full.html")
    result = runner.invoke(cli, ["--db", planned, *_writers(tmp_path, node)[command]])
    _one_line_error(result, str(node), "No space left on device")
    assert stat.S_ISCHR(node.stat().st_mode)


@pytest.mark.parametrize("command", ["render", "export", "doc"])
def test_commands_write_dash_to_standard_output(runner, planned, tmp_path, command):
    result = runner.invoke(cli, ["--db", planned, *_writers(tmp_path, Path("-"))[command]])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "-").exists()
    assert result.stdout.startswith(("digraph", "{", "<!DOCTYPE html>"))


def test_plan_export_keeps_the_old_file_when_the_write_fails(runner, planned, tmp_path, monkeypatch):
    target = tmp_path / "acme.json"
    target.write_text('{"old": true}\n')

    def no_space(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", no_space)
    result = runner.invoke(cli, ["--db", planned, "plan", "export", "acme", "-o", str(target)])
    monkeypatch.undo()
    _one_line_error(result, str(target), "no space left")
    assert target.read_text() == '{"old": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".json" or p.name.startswith(".acme")) == [
        "acme.json"
    ]


@pytest.mark.parametrize("command", ["render", "export"])
def test_commands_name_the_path_and_reason(runner, planned, tmp_path, command):
    result = runner.invoke(cli, ["--db", planned, *_writers(tmp_path, tmp_path / "nope" / "x.html")[command]])
    _one_line_error(result, str(tmp_path / "nope" / "x.html"), "does not exist")
    result = runner.invoke(cli, ["--db", planned, *_writers(tmp_path, Path("/proc/self/x.html"))[command]])
    _one_line_error(result, "/proc/self/x.html", "under /proc")


# ---------------------------------------------------------------------------
# doc -o: its own files only, and the format from the suffix


def test_doc_refuses_a_directory_holding_other_files(runner, planned, tmp_path):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "README.md").write_text("my own notes\n")
    result = runner.invoke(cli, ["--db", planned, "doc", "acme", "-o", str(out)])
    _one_line_error(result, str(out / "README.md"), "--force")
    assert (out / "README.md").read_text() == "my own notes\n"
    assert sorted(p.name for p in out.iterdir()) == ["README.md"]
    forced = runner.invoke(cli, ["--db", planned, "doc", "acme", "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (out / "README.md").read_text() != "my own notes\n"


def test_doc_refuses_any_foreign_file_in_the_directory(runner, planned, tmp_path):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("keep\n")
    result = runner.invoke(cli, ["--db", planned, "doc", "acme", "-o", str(out)])
    _one_line_error(result, str(out / "notes.txt"), "--force")


def test_doc_rewrites_its_own_files_but_not_edited_ones(runner, planned, tmp_path):
    out = tmp_path / "docs"
    assert runner.invoke(cli, ["--db", planned, "doc", "acme", "-o", str(out)]).exit_code == 0
    again = runner.invoke(cli, ["--db", planned, "doc", "acme", "-o", str(out)])
    assert again.exit_code == 0, again.output
    (out / "steps.svg").write_text("edited by hand")
    result = runner.invoke(cli, ["--db", planned, "doc", "acme", "-o", str(out)])
    _one_line_error(result, str(out / "steps.svg"), "changed after", "--force")
    assert (out / "steps.svg").read_text() == "edited by hand"


@pytest.mark.parametrize(("name", "fmt"), [("plan.html", "html"), ("plan.md", "markdown")])
def test_doc_picks_the_format_from_the_suffix(runner, planned, tmp_path, name, fmt):
    target = tmp_path / "out" / name
    target.parent.mkdir()
    result = runner.invoke(cli, ["--db", planned, "doc", "acme", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.is_file()
    text = target.read_text()
    if fmt == "html":
        assert text.startswith("<!DOCTYPE html>")
        assert sorted(p.name for p in target.parent.iterdir()) == ["plan.html"]
    else:
        assert text.startswith("# ") and "(<plan-money-flow.svg>)" in text
        assert (target.parent / "plan-money-flow.svg").is_file()


def test_doc_md_file_does_not_overwrite_foreign_diagrams(runner, planned, tmp_path):
    (tmp_path / "plan-steps.svg").write_text("someone else's")
    result = runner.invoke(cli, ["--db", planned, "doc", "acme", "-o", str(tmp_path / "plan.md")])
    _one_line_error(result, "plan-steps.svg", "--force")
    assert (tmp_path / "plan-steps.svg").read_text() == "someone else's"


@pytest.mark.parametrize(("name", "fmt"), [("plan.html", "markdown"), ("plan.md", "html")])
def test_doc_format_contradicting_the_suffix_is_a_usage_error(runner, planned, tmp_path, name, fmt):
    result = runner.invoke(cli, ["--db", planned, "doc", "acme", "-o", str(tmp_path / name), "--format", fmt])
    _one_line_error(result, name, f"--format is {fmt}")
    assert not (tmp_path / name).exists()
