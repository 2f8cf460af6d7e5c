"""Writing output files: the one helper behind ``render -o``, ``doc -o`` and ``plan export -o``.

What :func:`write_output` does depends on what the path names (symlinks followed first):

- ``-``: the bytes go to standard output;
- a FIFO or a character device: the bytes are streamed to it; it is never replaced or removed;
- a regular file, or nothing yet: the bytes go to a temporary file in the same directory, which is
  flushed to disk (``fsync``) and renamed over the target, so readers see the old file or the new
  one and never a half-written one (a full disk leaves the old file as it was). An existing file
  keeps its permission bits; a new one gets ``0666`` less the umask;
- a symlink: its target is written as above and the link itself is kept, except a link the kernel
  would not follow (``fs.protected_symlinks``: in a world-writable sticky directory such as ``/tmp``,
  owned by neither the user nor the directory's owner), which is refused;
- a directory, a block device, a socket, or anything under ``/proc`` or ``/sys``: refused.

Every refusal is an :class:`OutputError`, one line naming the path and the reason:

>>> str(OutputError("out/x.svg", "directory out does not exist; create it first"))
'cannot write out/x.svg: directory out does not exist; create it first'
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

from connectplan.errors import AppError, shorten

__all__ = ["STDOUT", "OutputError", "check_symlinks", "write_output"]

#: The path that means standard output.
STDOUT = "-"
#: Kernel interfaces: writing there changes the system, not a file.
_KERNEL_DIRS = ("/proc", "/sys")


class OutputError(AppError):
    """An output path cannot be written; ``path`` and ``reason`` say which and why. Exit code 2."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(str(path), reason)
        self.path = str(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot write {shorten(self.path)}: {self.reason}"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _under_kernel_dir(path: str) -> bool:
    return any(path == top or path.startswith(top + "/") for top in _KERNEL_DIRS)


def _reason(exc: OSError, directory: Path) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "the file name is too long for the file system; use a shorter one"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied in directory {directory}"
    if exc.errno == errno.EROFS:
        return f"directory {directory} is on a read-only file system"
    if exc.errno == errno.ENOSPC:
        return "no space left on the device (nothing was changed)"
    if exc.errno == errno.EDQUOT:
        return "disk quota exceeded (nothing was changed)"
    if exc.errno == errno.ENOTDIR:
        return f"{directory} is not a directory"
    if exc.errno == errno.ENOENT:
        return f"directory {directory} does not exist; create it first"
    return exc.strerror or str(exc)


def write_output(path: str | Path, data: bytes, *, stdout: BinaryIO | None = None) -> Path | None:
    """Write ``data`` to ``path`` as the module docstring says; return the file written.

    Returns None for ``-`` (standard output, or ``stdout`` when given).

    Raises
    ------
    OutputError
        The path is a directory or another kind of file that cannot be written, its directory is
        missing or unwritable, its name is too long, it lies under ``/proc`` or ``/sys``, or the
        disk is full; an existing file is then unchanged.
    """
    shown = str(path)
    if shown == STDOUT:
        out = stdout if stdout is not None else sys.stdout.buffer
        out.write(data)
        out.flush()
        return None
    if not shown:
        raise OutputError("''", "the file name is empty")
    if "\0" in shown:
        raise OutputError(repr(shown), "the file name contains a NUL character")
    if shown.endswith(("/", "/.")) and not os.path.isdir(shown):
        # Path() and realpath() drop the slash, and a file named like the directory would be written
        raise OutputError(shown, "a name ending in '/' names a directory; drop the '/' to write a file")
    check_symlinks(shown)
    try:
        info: os.stat_result | None = os.stat(shown)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(shown, _reason(exc, Path(shown).parent)) from None
    if info is not None and (stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode)):
        _stream(shown, data)
        return Path(shown)
    target = Path(os.path.realpath(shown))  # a symlink's target is the file to replace
    if _under_kernel_dir(os.path.abspath(shown)) or _under_kernel_dir(str(target)):
        raise OutputError(shown, "it is under /proc or /sys, a kernel interface rather than a file")
    if info is not None and not stat.S_ISREG(info.st_mode):
        kind = (
            "a directory; name a file inside it"
            if stat.S_ISDIR(info.st_mode)
            else "a block device"
            if stat.S_ISBLK(info.st_mode)
            else "a socket"
            if stat.S_ISSOCK(info.st_mode)
            else "not a regular file"
        )
        raise OutputError(shown, f"it is {kind}")
    _replace(shown, target, data, info)
    return Path(shown)


def check_symlinks(shown: str) -> None:
    """Refuse a path through a symlink the kernel would not follow for us (``fs.protected_symlinks``).

    connectplan resolves links itself (to replace a link's target and keep the link), which would
    bypass the kernel's protection against links planted in shared directories: a symlink in a
    world-writable sticky directory (``/tmp``) is followed only when its owner is the user or the
    directory's owner. Every symlink on the path is checked, as the kernel checks each it follows.
    """
    current = "/" if os.path.isabs(shown) else os.getcwd()
    parts = [p for p in shown.split("/") if p not in ("", ".")]
    for part in parts:
        if part == "..":
            current = os.path.dirname(current) or "/"
            continue
        candidate = os.path.join(current, part)
        try:
            link = os.lstat(candidate)
        except (OSError, ValueError):
            return  # missing (or refused later with its own reason): nothing further to follow
        if not stat.S_ISLNK(link.st_mode):
            current = candidate
            continue
        try:
            directory = os.stat(current)
        except OSError:
            return
        shared = directory.st_mode & stat.S_ISVTX and directory.st_mode & stat.S_IWOTH
        if shared and link.st_uid not in (os.geteuid(), directory.st_uid):
            raise OutputError(
                shown,
                f"{candidate} is a symlink owned by another user (uid {link.st_uid}) in the shared sticky "
                f"directory {current}; it is not followed (the kernel's protected_symlinks rule): "
                "remove it or write elsewhere",
            )
        current = os.path.realpath(candidate)  # a loop resolves to some path; os.stat reports it later


def _stream(shown: str, data: bytes) -> None:
    try:
        fd = os.open(shown, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise OutputError(shown, _reason(exc, Path(shown).parent)) from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise OutputError(shown, exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


def _replace(shown: str, target: Path, data: bytes, info: os.stat_result | None) -> None:
    directory = target.parent
    if not directory.is_dir():
        if directory.exists():
            raise OutputError(shown, f"{directory} is not a directory")
        raise OutputError(shown, f"directory {directory} does not exist; create it first")
    try:
        # the name is cut so the temporary name stays within NAME_MAX
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:200]}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(shown, _reason(exc, directory)) from None
    try:
        try:
            if info is None:
                os.fchmod(fd, 0o666 & ~_umask())
            else:  # the replaced file keeps its mode (and, where we may set it, its owner)
                if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()) and os.geteuid() == 0:
                    os.fchown(fd, info.st_uid, info.st_gid)
                os.fchmod(fd, stat.S_IMODE(info.st_mode))
            write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(shown, _reason(exc, directory)) from None
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (best effort: some file systems do not allow opening a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (``os.write`` may write less than asked) and flush it to disk."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)
