"""The one place that runs Graphviz: DOT in, SVG/PNG/PDF bytes or files out.

The ``dot`` format is the DOT text itself and needs no binary. Every other format runs the
Graphviz ``dot`` executable through the ``graphviz`` package; a missing binary becomes a
:class:`RenderError` whose message says how to install it (or to use ``--format dot``).
Files are written whole or not at all (a temporary file is renamed into place).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import ConnectplanError

if TYPE_CHECKING:
    import graphviz

__all__ = ["FORMATS", "INSTALL_HINT", "RenderError", "check_format", "render", "render_bytes"]

#: Output formats, in the order help texts list them.
FORMATS = ("svg", "png", "pdf", "dot")
INSTALL_HINT = (
    "Graphviz's 'dot' program is not installed or not on PATH; install it "
    "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz) or use --format dot"
)


class RenderError(ConnectplanError):
    """A diagram cannot be rendered: unknown format, missing ``dot`` binary, or Graphviz failed.

    The CLI maps it to one line on stderr and exit code 2 (``connectplan.cli.to_input_error``).
    """

    exit_code = 2


def check_format(fmt: str) -> str:
    """Return ``fmt`` if it is one of :data:`FORMATS`, else raise :class:`RenderError`."""
    if fmt not in FORMATS:
        raise RenderError(f"unknown diagram format {fmt!r}; use one of: {', '.join(FORMATS)}")
    return fmt


def render_bytes(dot: graphviz.Digraph, fmt: str) -> bytes:
    """The diagram in ``fmt`` as bytes (DOT text is UTF-8)."""
    check_format(fmt)
    if fmt == "dot":
        return dot.source.encode("utf-8")
    import graphviz

    try:
        return dot.pipe(format=fmt, engine="dot", quiet=True)  # stderr goes into our one-line error
    except graphviz.ExecutableNotFound:
        raise RenderError(INSTALL_HINT) from None
    except graphviz.CalledProcessError as exc:
        stderr = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else str(exc.stderr or "")
        detail = " ".join(stderr.split()) or f"exit status {exc.returncode}"
        raise RenderError(f"Graphviz failed to render {fmt}: {detail}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory, then rename."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise RenderError(f"cannot write {target}: directory {parent} does not exist; create it first")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise RenderError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


def render(dot: graphviz.Digraph, path: str | Path, fmt: str) -> Path:
    """Render ``dot`` to ``path`` in ``fmt`` (one of :data:`FORMATS`); return the path.

    The format is checked before anything runs, and nothing is written when rendering fails.

    Raises
    ------
    RenderError
        Unknown format, missing ``dot`` binary, a Graphviz failure, or an unwritable path.
    """
    data = render_bytes(dot, fmt)
    return write_atomic(path, data)
