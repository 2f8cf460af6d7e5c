"""Reading catalog files (YAML or JSON) with line numbers for validation messages.

YAML parsing lives here, outside ``engine``, which stays free of third-party parsers.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine import Catalog, CatalogError, Problem, catalog_from_dict

__all__ = [
    "BUILTIN_DIR",
    "builtin_catalog_files",
    "builtin_catalogs",
    "builtin_revision_files",
    "load_catalog_file",
    "parse_catalog_text",
]

BUILTIN_DIR = Path(__file__).resolve().parent / "catalogs"


#: ``NAME@EDITION.rN.yaml``: revision N of an edition, superseded by ``NAME@EDITION.yaml`` (its newest revision)
_REVISION_FILE = re.compile(r"^(?P<ref>[^@]+@.+)\.r(?P<revision>[0-9]+)$")


def builtin_catalog_files() -> list[Path]:
    """The newest revision of every catalog edition shipped with connectplan (``NAME@EDITION.yaml``), sorted by name.

    Superseded revisions ship beside them as ``NAME@EDITION.rN.yaml`` (byte for byte what revision N
    was, so stores and exports pinned to its content hash keep it); see :func:`builtin_revision_files`.
    """
    return sorted(p for p in BUILTIN_DIR.glob("*.yaml") if not _REVISION_FILE.match(p.stem))


def builtin_revision_files() -> dict[str, list[tuple[int, Path]]]:
    """Superseded revisions of the built-in editions: ``{"NAME@EDITION": [(revision, path), ...]}``, oldest first."""
    found: dict[str, list[tuple[int, Path]]] = {}
    for p in sorted(BUILTIN_DIR.glob("*.yaml")):
        m = _REVISION_FILE.match(p.stem)
        if m:
            found.setdefault(m["ref"], []).append((int(m["revision"]), p))
    return {ref: sorted(revs) for ref, revs in sorted(found.items())}


def _yaml_lines(text: str, source: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML safely; return the data and a map from element path to 1-based line.

    Duplicate mapping keys are reported as problems (PyYAML would silently keep the last one).
    """
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CatalogError([Problem(source, "", f"YAML syntax error: {reason}", line)]) from None
    lines: dict[str, int] = {}
    problems: list[Problem] = []

    def walk(node: Any, path: str) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                if key in seen:
                    problems.append(Problem(source, child, f"duplicate key {key!r}", key_node.start_mark.line + 1))
                seen.add(key)
                lines[child] = key_node.start_mark.line + 1
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{path}[{i}]")

    if root is not None:
        walk(root, "")
    if problems:
        raise CatalogError(problems)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:  # pragma: no cover - compose already accepted the text
        raise CatalogError([Problem(source, "", f"YAML error: {exc}")]) from None
    return data, lines


def parse_catalog_text(text: str, source: str) -> Catalog:
    """Parse and validate catalog text (JSON if it starts with ``{``, else YAML)."""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogError([Problem(source, "", f"JSON syntax error: {exc.msg}", exc.lineno)]) from None
        lines: dict[str, int] = {}
    else:
        data, lines = _yaml_lines(text, source)
    return catalog_from_dict(data, source=source, locate=lambda path: _nearest_line(lines, path))


def _nearest_line(lines: dict[str, int], path: str) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return lines.get("")


def load_catalog_file(path: str | Path) -> Catalog:
    """Read and validate one catalog file.

    Raises
    ------
    CatalogError
        When the file cannot be read, is not valid YAML/JSON, or is not a valid catalog.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError([Problem(str(path), "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError([Problem(str(path), "", f"cannot read the file: {exc}")]) from None
    return parse_catalog_text(text, str(path))


@lru_cache(maxsize=None)
def load_builtin(filename: str) -> Catalog:
    return load_catalog_file(BUILTIN_DIR / filename)


def builtin_catalogs() -> list[Catalog]:
    """Every built-in catalog edition, sorted by name then edition."""
    from db.records import edition_sort_key

    cats = [load_builtin(p.name) for p in builtin_catalog_files()]
    return sorted(cats, key=lambda c: (c.name, edition_sort_key(c.edition)))
