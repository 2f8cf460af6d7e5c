"""Reading input files (catalogs, plan exports) with hard limits, so a hostile file is refused fast.

:func:`read_text_file` opens without blocking, refuses anything but a regular file (a FIFO,
``/dev/zero``, a directory), and reads at most ``limit`` bytes: a larger file is refused before it
is parsed, so parsing stays linear in a bounded size. :func:`check_nesting` bounds the depth and
the number of values of parsed JSON-like data without recursing. Every refusal is an
:class:`InputFileError`: one line naming the file and the limit.

>>> check_nesting({"a": [1, {"b": 2}]}, source="x.json")
3
>>> str(InputFileError("x.json", "it is nested deeper than 64 levels"))
'cannot read x.json: it is nested deeper than 64 levels'
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Any

from connectplan.errors import AppError, shorten

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["MAX_DEPTH", "MAX_VALUES", "InputFileError", "check_nesting", "read_text_file"]

#: Deepest nesting of mappings and lists accepted in a catalog or an export (the shipped catalogs use 6).
MAX_DEPTH = 64
#: Most values (scalars, keys, mappings, lists, YAML aliases expanded) in one catalog (the shipped ones hold 2,500,
#: the 5,000-property benchmark catalog about 250,000).
MAX_VALUES = 500_000


class InputFileError(AppError):
    """An input file cannot be read or is over a limit; ``path`` and ``reason`` say which. Exit code 2."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(str(path), reason)
        self.path = str(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot read {shorten(self.path)}: {self.reason}"


def _size(limit: int) -> str:
    return f"{limit // (1 << 20)} MiB" if limit >= 1 << 20 and limit % (1 << 20) == 0 else f"{limit} bytes"


def read_text_file(path: str | Path, *, limit: int, what: str = "file") -> str:
    """The UTF-8 text of the regular file ``path``, refused when larger than ``limit`` bytes.

    Raises
    ------
    InputFileError
        No such file, not a regular file (FIFO, device, directory), unreadable, larger than
        ``limit`` bytes, or not UTF-8.
    """
    shown = str(path)
    try:
        fd = os.open(shown, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputFileError(shown, f"no such {what}") from None
    except IsADirectoryError:
        raise InputFileError(shown, f"it is a directory, not a {what}") from None
    except (OSError, ValueError) as exc:
        raise InputFileError(shown, getattr(exc, "strerror", None) or str(exc)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputFileError(shown, f"it is a directory, not a {what}")
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(shown, "it is not a regular file (only regular files are read)")
        if info.st_size > limit:
            raise InputFileError(shown, f"it is larger than the {_size(limit)} limit for a {what}")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # the file grew while we read it
            raise InputFileError(shown, f"it is larger than the {_size(limit)} limit for a {what}")
    except OSError as exc:
        raise InputFileError(shown, exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(shown, f"it is not UTF-8 text (invalid byte at offset {exc.start})") from None


def check_nesting(data: Any, *, source: str, max_depth: int = MAX_DEPTH, max_values: int | None = MAX_VALUES) -> int:
    """Return the nesting depth of ``data`` (dicts and lists); refuse it past either bound.

    Iterative, so a document nested thousands deep costs no recursion; it stops at the first bound hit.
    """
    deepest = 0
    values = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        values += 1
        if max_values is not None and values > max_values:
            raise InputFileError(source, f"it holds more than {max_values} values")
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                raise InputFileError(source, f"it is nested deeper than {max_depth} levels")
            deepest = max(deepest, depth)
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return deepest
