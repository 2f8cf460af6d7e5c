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
from pathlib import Path

from connectplan.errors import AppError
from connectplan.outfile import OutputError, write_output

__all__ = ["MANIFEST", "doc_format", "write_doc_files"]

MANIFEST = ".connectplan-doc.json"
_SUFFIX_FORMAT = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


def doc_format(output: str | Path, fmt: str | None) -> str:
    """The document format from ``--format`` and the ``-o`` suffix, which must agree.

    >>> doc_format("plan.html", None), doc_format("docs/acme", None), doc_format("x.md", "markdown")
    ('html', 'markdown', 'markdown')
    """
    implied = _SUFFIX_FORMAT.get(Path(output).suffix.lower())
    if fmt is not None and implied is not None and fmt != implied:
        raise AppError(f"-o {output} names a {implied} file but --format is {fmt}; drop --format or make them agree")
    return fmt or implied or "markdown"


def is_file_target(output: str | Path) -> bool:
    """True when ``-o`` names the document's file rather than a directory."""
    return Path(output).suffix.lower() in _SUFFIX_FORMAT


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(directory: Path) -> dict[str, str]:
    try:
        doc = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        files = doc["files"]
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _current_digest(path: Path) -> str | None:
    try:
        return _digest(path.read_bytes()) if path.is_file() and not path.is_symlink() else None
    except OSError:
        return None


def _refuse(directory: Path, name: str, why: str) -> AppError:
    return AppError(f"refusing to overwrite {directory / name}: {why}; choose a new or empty directory, or add --force")


def write_doc_files(
    directory: Path, files: dict[str, bytes], *, named: str | None = None, force: bool = False
) -> list[Path]:
    """Write ``files`` (name -> bytes) into ``directory`` under the rules above; return the paths.

    ``named`` is the file the user named with ``-o`` (None for ``-o DIR``). Every check runs before
    the first byte is written; each file is written atomically (:func:`connectplan.outfile.write_output`).
    """
    if directory.exists() and not directory.is_dir():
        raise OutputError(directory, "it is a file; give a directory, or a file name ending in .md or .html")
    recorded = _read_manifest(directory) if directory.is_dir() else {}
    if not force and directory.is_dir():
        if named is None:
            for entry in sorted(p.name for p in directory.iterdir()):
                if entry != MANIFEST and entry not in recorded:
                    raise _refuse(directory, entry, "it was not written by connectplan doc")
        for name in files:
            if name == named or not (directory / name).exists():
                continue
            if name not in recorded:
                raise _refuse(directory, name, "it was not written by connectplan doc")
            if _current_digest(directory / name) != recorded[name]:
                raise _refuse(directory, name, "it was changed after connectplan doc wrote it")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(directory, exc.strerror or str(exc)) from None
    written = [write_output(directory / name, data) or directory / name for name, data in files.items()]
    if named is None or len(files) > 1:
        recorded.update({name: _digest(data) for name, data in files.items() if name != named})
        manifest = {"connectplan-doc": 1, "files": dict(sorted(recorded.items()))}
        write_output(directory / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return written
