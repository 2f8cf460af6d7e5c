"""The one place that runs Graphviz: DOT in, SVG/PNG/PDF bytes or files out.

The ``dot`` format is the DOT text itself and needs no binary. Every other format runs the
Graphviz ``dot`` executable through the ``graphviz`` package; a missing binary becomes a
:class:`RenderError` whose message says how to install it (or to use ``--format dot``).
Writing files is the caller's job (see :func:`render`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from connectplan.engine.errors import ConnectplanError

if TYPE_CHECKING:
    from collections.abc import Callable

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


def render(dot: graphviz.Digraph, path: str | Path, fmt: str, *, write: Callable[[Path, bytes], object]) -> Path:
    """Render ``dot`` in ``fmt`` (one of :data:`FORMATS`) and hand the bytes to ``write(path, data)``.

    visualize never touches the file system itself: the caller passes the writer (the app passes
    ``connectplan.outfile.write_output``, which writes atomically and knows FIFOs and devices).
    The format is checked and the diagram rendered before ``write`` is called, so nothing is
    written when rendering fails.

    Raises
    ------
    RenderError
        Unknown format, missing ``dot`` binary or a Graphviz failure (``write`` raises its own errors).
    """
    data = render_bytes(dot, fmt)
    write(Path(path), data)
    return Path(path)
