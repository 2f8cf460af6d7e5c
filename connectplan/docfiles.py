"""Where ``connectplan doc`` may write, and the manifest that lets it rewrite its own files.

A document goes into a directory (``-o DIR``: ``README.md`` or ``index.html`` plus diagrams) or
into one named file (``-o NAME.html``, or ``-o NAME.md`` with its diagrams beside it as
``NAME-money-flow.svg`` and so on). It never overwrites a file it did not write itself: each run
records the files it wrote, with their SHA-256, in ``.connectplan-doc.json`` in the target
directory, and the next run may replace exactly those files, as long as they are unchanged since.

- ``-o DIR``: DIR must be new, empty, or hold only files of the manifest;
- ``-o NAME.md`` / ``-o NAME.html``: the named file is the user's choice and is replaced; a
  diagram file beside it is replaced only when the manifest says a previous run wrote it.

Anything else is refused with one line naming the file and ``--force``, which skips the check.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

from connectplan.errors import AppError, path_problem
from connectplan.outfile import (
    OutputError,
    _reason,
    _sync_directory,
    _umask,
    check_symlinks,
    write_all,
    write_output,
)

__all__ = ["MANIFEST", "doc_format", "write_doc_files"]

MANIFEST = ".connectplan-doc.json"
#: the temporary directory a document is written to first (one a killed run left behind is not a foreign file)
_STAGING_PREFIX = ".connectplan-doc-staging."
_STAGING = re.compile(r"\.connectplan-doc-staging\.[A-Za-z0-9_]+\.tmp")
_SUFFIX_FORMAT = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


def doc_format(output: str | Path, fmt: str | None) -> str:
    """The document format from ``--format`` and the ``-o`` suffix, which must agree.

    >>> doc_format("plan.html", None), doc_format("docs/acme", None), doc_format("x.md", "markdown")
    ('html', 'markdown', 'markdown')
    """
    implied = _SUFFIX_FORMAT.get(Path(output).suffix.lower())
    if fmt is not None and implied is not None and fmt != implied:
        raise AppError(f"-o {output} names a {implied} file but --format is {fmt}; drop --format or make them agree")
    chosen = fmt or implied or "markdown"
    if chosen == "markdown" and is_file_target(output):
        _check_utf8(str(output), Path(output).name)  # NAME.md links its diagrams as NAME-money-flow.svg ...
    return chosen


def is_file_target(output: str | Path) -> bool:
    """True when ``-o`` names the document's file rather than a directory (``x.md/`` is a directory)."""
    return not str(output).endswith(("/", "/.")) and Path(output).suffix.lower() in _SUFFIX_FORMAT


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(directory: Path) -> dict[str, str]:
    try:
        doc = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        files = doc["files"]
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return {}  # unreadable or not a manifest (a 100,000-deep document): it records nothing


def _current_digest(path: Path) -> str | None:
    try:
        return _digest(path.read_bytes()) if path.is_file() and not path.is_symlink() else None
    except OSError:
        return None


def _refuse(directory: Path, name: str, why: str) -> AppError:
    return AppError(f"refusing to overwrite {directory / name}: {why}; choose a new or empty directory, or add --force")


def _lstat(path: Path) -> os.stat_result | None:
    """``os.lstat`` of ``path``, None when nothing is there; a path the file system refuses is an OutputError."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise OutputError(path, path_problem(exc)) from None


def _check_utf8(shown: str, name: str) -> None:
    """Refuse a file name a Markdown page cannot link to: the page is UTF-8 text."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise OutputError(
            shown.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"),
            f"the file name is not valid UTF-8 (at character {exc.start + 1}), and the Markdown page links its "
            "diagrams by name; use a UTF-8 name, or --format html",
        ) from None


def write_doc_files(
    directory: Path, files: dict[str, bytes], *, named: str | None = None, force: bool = False
) -> list[Path]:
    """Write ``files`` (name -> bytes) into ``directory`` under the rules above; return the paths.

    ``named`` is the file the user named with ``-o`` (None for ``-o DIR``). Every check runs before
    the first byte is written, and the whole document (manifest included) is written to a temporary
    sibling first: a new directory is then renamed into place in one step; into an existing one the
    files are renamed one by one (renames need no space), so a full disk or any refusal leaves
    nothing behind, not even an empty directory. A named file that is a symlink, a FIFO or a
    device is written through :func:`connectplan.outfile.write_output`.
    """
    check_symlinks(str(directory))
    info = _lstat(directory)
    if info is not None and stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(directory)
        except OSError:
            raise OutputError(directory, "it is a symlink to nothing; give a directory") from None
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise OutputError(directory, "it is a file; give a directory, or a file name ending in .md or .html")
    exists = info is not None
    recorded = _read_manifest(directory) if exists else {}
    special: str | None = None  # a named file written in place of staging (a symlink, a FIFO, a device)
    if exists:
        manifest = _lstat(directory / MANIFEST)
        if manifest is not None and not stat.S_ISREG(manifest.st_mode) and (named is None or len(files) > 1):
            raise AppError(
                f"cannot write {directory / MANIFEST}: it is not a regular file (connectplan doc records its files "
                "there); remove it, or choose a new or empty directory"
            )
        if not force and named is None:
            for entry in sorted(p.name for p in directory.iterdir()):
                if entry != MANIFEST and entry not in recorded and not _STAGING.fullmatch(entry):
                    raise _refuse(directory, entry, "it was not written by connectplan doc")
        for name in files:
            found = _lstat(directory / name)
            if found is None:
                continue
            if name == named:
                if not stat.S_ISREG(found.st_mode):
                    special = name
                continue
            if stat.S_ISDIR(found.st_mode):
                raise OutputError(directory / name, "it is a directory; remove it, or choose another directory")
            if force:
                continue
            if name not in recorded:
                raise _refuse(directory, name, "it was not written by connectplan doc")
            if _current_digest(directory / name) != recorded[name]:
                raise _refuse(directory, name, "it was changed after connectplan doc wrote it")
    staged = dict(files)
    if named is None or len(files) > 1:
        recorded.update({name: _digest(data) for name, data in files.items() if name != named})
        manifest_doc = {"connectplan-doc": 1, "files": dict(sorted(recorded.items()))}
        staged[MANIFEST] = (json.dumps(manifest_doc, indent=2) + "\n").encode("utf-8")
    if special is not None:
        write_output(directory / special, staged.pop(special))
    if len(staged) == 1 and exists and named is not None and special is None:
        write_output(directory / named, staged[named])  # one file: written atomically as any -o FILE
    elif staged:
        _stage_and_move(directory, staged, exists)
    return [directory / name for name in files]


def _stage_and_move(directory: Path, files: dict[str, bytes], exists: bool) -> None:
    """Write ``files`` to a temporary directory beside (or, when it exists, inside) ``directory``; move them in."""
    if exists:
        home, missing = directory, None
    else:  # the nearest existing ancestor receives the first missing component in one rename
        missing = directory
        while True:
            parent = missing.parent
            if parent == missing or _lstat(parent) is not None:
                break
            missing = parent
        home = missing.parent
        if _lstat(home) is None or not home.is_dir():
            raise OutputError(directory, f"{home} is not a directory")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, suffix=".tmp", dir=home))
    except OSError as exc:
        raise OutputError(directory, _reason(exc, home)) from None
    try:
        inner = tmp
        if missing is not None:
            os.chmod(tmp, 0o777 & ~_umask())
            inner = tmp / directory.relative_to(missing)
            inner.mkdir(parents=True, exist_ok=True, mode=0o777)
        for name, data in files.items():
            _write_file(inner / name, data, directory / name if exists else None)
        if missing is not None:
            os.rename(tmp, missing)  # one step: the whole document appears, or nothing does
            _sync_directory(home)
            return
        for name in files:
            os.replace(inner / name, directory / name)
        tmp.rmdir()
        _sync_directory(directory)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(directory, _reason(exc, home)) from None


def _write_file(path: Path, data: bytes, replacing: Path | None) -> None:
    mode = 0o666 & ~_umask()
    if replacing is not None:
        try:
            found = os.lstat(replacing)
            if stat.S_ISREG(found.st_mode):
                mode = stat.S_IMODE(found.st_mode)
        except OSError:
            pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        os.fchmod(fd, mode)
        write_all(fd, data)
    finally:
        os.close(fd)
