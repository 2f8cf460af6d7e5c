"""``--db`` where users put it (issue 18, point 6): before or after the subcommand, on every command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click
import pytest

from connectplan.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def _every_command() -> list[tuple[str, ...]]:
    """The path of every command and group under the root (the lazy ones loaded)."""
    found: list[tuple[str, ...]] = []

    def walk(group: click.Group, path: tuple[str, ...]) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            assert cmd is not None
            found.append((*path, name))
            if isinstance(cmd, click.Group):
                walk(cmd, (*path, name))

    walk(cli, ())
    return found


def test_every_command_takes_db():
    commands = _every_command()
    assert ("serve",) in commands and ("plan", "list") in commands and ("db", "current") in commands
    for path in commands:
        cmd: click.Command = cli
        for name in path:
            cmd = cmd.get_command(click.Context(cmd), name)  # type: ignore[attr-defined]
        assert "--db" in [o for p in cmd.params for o in getattr(p, "opts", ())], path


@pytest.mark.parametrize(
    "place",
    [
        lambda url: ["--db", url, "plan", "list"],
        lambda url: ["plan", "--db", url, "list"],
        lambda url: ["plan", "list", "--db", url],
    ],
    ids=["before", "between", "after"],
)
def test_db_before_between_or_after_the_subcommand(runner, tmp_path, monkeypatch, place):
    url = f"sqlite:///{tmp_path / 'here.db'}"
    monkeypatch.setenv("CONNECTPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    assert runner.invoke(cli, ["--db", url, "plan", "new", "acme", "--preset", "saas", "-m", "x"]).exit_code == 0
    result = runner.invoke(cli, place(url))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("acme@1")
    assert not (tmp_path / "elsewhere.db").exists()


def test_the_db_after_the_command_wins(runner, tmp_path):
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    result = runner.invoke(cli, ["--db", str(first), "db", "upgrade", "--db", str(second)])
    assert result.exit_code == 0, result.output
    assert second.exists() and not first.exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_with_db_after_the_command_starts(tmp_path):
    pytest.importorskip("uvicorn")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CONNECTPLAN_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "connectplan", "serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[1].decode()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "serve did not answer within 60 s"
                time.sleep(0.2)
        assert (tmp_path / "x.db").exists() and not (tmp_path / "connectplan.db").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
