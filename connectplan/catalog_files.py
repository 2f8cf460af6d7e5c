"""Reading catalog files (YAML or JSON) with line numbers for validation messages.

YAML parsing lives here, outside ``engine``, which stays free of third-party parsers. A file is
parsed once, with PyYAML's C loader when libyaml is installed, and hostile files are refused with
one problem naming the limit: larger than :data:`MAX_CATALOG_BYTES` (4 MiB), not a regular file,
nested deeper than :data:`MAX_DEPTH` (64) levels, a self-referencing alias, or more than
:data:`MAX_VALUES` values once aliases are expanded.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

from connectplan.engine import Catalog, CatalogError, Problem, catalog_from_dict
from connectplan.engine.errors import MAX_PROBLEMS
from connectplan.infile import MAX_DEPTH, MAX_VALUES, InputFileError, check_nesting, read_text_file

__all__ = [
    "BUILTIN_DIR",
    "MAX_CATALOG_BYTES",
    "MAX_DEPTH",
    "MAX_VALUES",
    "builtin_catalog_files",
    "builtin_catalogs",
    "builtin_loaders",
    "builtin_revision_files",
    "load_catalog_file",
    "parse_catalog_text",
]

#: Largest catalog file accepted (the shipped catalogs are under 80 KB).
MAX_CATALOG_BYTES = 4 << 20

BUILTIN_DIR = Path(__file__).resolve().parent / "catalogs"


#: ``NAME@EDITION.rN.yaml``: revision N of an edition, superseded by ``NAME@EDITION.yaml`` (its newest revision)
_REVISION_FILE = re.compile(r"^(?P<ref>[^@]+@.+)\.r(?P<revision>[0-9]+)$")


def builtin_catalog_files() -> list[Path]:
    """The newest revision of every catalog edition shipped with connectplan (``NAME@EDITION.yaml``).

    Sorted by name, then edition in the app's edition order (``2026`` before ``2026-12``), so the last
    file is the newest edition, the default.

    Superseded revisions ship beside them as ``NAME@EDITION.rN.yaml`` (byte for byte what revision N
    was, so stores and exports pinned to its content hash keep it); see :func:`builtin_revision_files`.
    """
    from connectplan.db.records import edition_sort_key

    def key(p: Path) -> tuple[str, tuple[int, tuple[tuple[int, str], ...], str]]:
        name, _, edition = p.stem.partition("@")
        return name, edition_sort_key(edition)

    return sorted((p for p in BUILTIN_DIR.glob("*.yaml") if not _REVISION_FILE.match(p.stem)), key=key)


def builtin_revision_files() -> dict[str, list[tuple[int, Path]]]:
    """Superseded revisions of the built-in editions: ``{"NAME@EDITION": [(revision, path), ...]}``, oldest first."""
    found: dict[str, list[tuple[int, Path]]] = {}
    for p in sorted(BUILTIN_DIR.glob("*.yaml")):
        m = _REVISION_FILE.match(p.stem)
        if m:
            found.setdefault(m["ref"], []).append((int(m["revision"]), p))
    return {ref: sorted(revs) for ref, revs in sorted(found.items())}


def _loader_class() -> type:
    """PyYAML's C loader (libyaml) when installed, else the pure-Python one; both are safe loaders."""
    import yaml

    return getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


def _yaml_problem(source: str, message: str, line: int | None = None) -> CatalogError:
    return CatalogError([Problem(source, "", message, line)])


def _check_depth_by_events(text: str, source: str, loader: type) -> None:
    """Refuse nesting past :data:`MAX_DEPTH` before the recursive pure-Python composer sees it."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                line = mark.line + 1 if mark is not None else None
                raise _yaml_problem(source, f"nested deeper than {MAX_DEPTH} levels", line)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _expanded_size(root: Any) -> int:
    """How many values the node graph under ``root`` holds with every alias expanded, in time linear in its nodes.

    Each distinct node is sized once (a node an alias repeats is counted, not walked, again), so an
    alias bomb is measured without being expanded. A node that contains itself counts once here;
    the walk in :func:`_yaml_lines` reports it.
    """
    import yaml

    def children(node: Any) -> list[Any]:
        if isinstance(node, yaml.MappingNode):
            return [value for _, value in node.value]
        return list(node.value) if isinstance(node, yaml.SequenceNode) else []

    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            sizes[key] = min(1 + sum(sizes.get(id(c), 0) for c in children(node)), MAX_VALUES + 1)
            continue
        if key in sizes or key in on_path:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children(node) if id(c) not in sizes)
    return sizes.get(id(root), 0)


def _yaml_lines(text: str, source: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML safely, once; return the data and a map from element path to 1-based line.

    The text is composed into nodes once (by libyaml when installed), the nodes are checked without
    recursion, and the data is constructed from those same nodes. Refused with one problem each:
    nesting deeper than :data:`MAX_DEPTH`, an alias that contains itself, and more than
    :data:`MAX_VALUES` values once aliases are expanded (an "alias bomb"). Duplicate mapping keys
    are reported as problems (PyYAML would silently keep the last one).
    """
    import yaml

    loader_class = _loader_class()
    try:
        if loader_class is yaml.SafeLoader:  # its composer recurses once per level
            _check_depth_by_events(text, source, loader_class)
        loader = loader_class(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "maximum nesting depth" in str(reason):
            reason = f"nested deeper than libyaml's limit ({MAX_DEPTH} levels are allowed)"
        raise _yaml_problem(source, f"YAML syntax error: {reason}", line) from None
    # before the walk, which follows every alias (a text without '*' has none: the pass is skipped)
    if root is not None and "*" in text and _expanded_size(root) > MAX_VALUES:
        raise _yaml_problem(source, f"more than {MAX_VALUES} values once aliases are expanded (an alias bomb?)", None)
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    duplicates = 0
    values = 0
    # iterative depth-first walk; ``open_nodes`` holds the ids of the nodes on the current path
    stack: list[tuple[Any, str, int, bool]] = [(root, "", 1, False)] if root is not None else []
    open_nodes: set[int] = set()
    while stack:
        node, path, depth, leaving = stack.pop()
        if leaving:
            open_nodes.discard(id(node))
            continue
        values += 1
        if values > MAX_VALUES:
            raise _yaml_problem(
                source, f"more than {MAX_VALUES} values once aliases are expanded (an alias bomb?)", None
            )
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            continue
        if id(node) in open_nodes:
            raise _yaml_problem(
                source, f"{path or 'the document'}: an alias refers to a node that contains it", lines[path]
            )
        if depth > MAX_DEPTH:
            raise _yaml_problem(source, f"nested deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        open_nodes.add(id(node))
        stack.append((node, path, depth, True))
        # a scalar child is counted and its line recorded here rather than pushed and popped (most values
        # are scalars: a catalog, or a file of 200,000 unknown keys, is walked in half the time)
        children: list[tuple[Any, str, int, bool]] = []
        scalars = 0
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                if key in seen:
                    duplicates += 1
                    if len(problems) < MAX_PROBLEMS:
                        problems.append(Problem(source, child, f"duplicate key {key!r}", key_node.start_mark.line + 1))
                seen.add(key)
                lines[child] = key_node.start_mark.line + 1
                if isinstance(value_node, yaml.ScalarNode):
                    scalars += 1
                else:
                    children.append((value_node, child, depth + 1, False))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                if isinstance(item, yaml.ScalarNode):
                    scalars += 1
                    lines.setdefault(f"{path}[{i}]", item.start_mark.line + 1)
                else:
                    children.append((item, f"{path}[{i}]", depth + 1, False))
        values += scalars
        if values > MAX_VALUES:
            raise _yaml_problem(
                source, f"more than {MAX_VALUES} values once aliases are expanded (an alias bomb?)", None
            )
        stack.extend(reversed(children))
    if problems:
        raise CatalogError(problems, duplicates - len(problems))
    if root is None:
        return None, lines
    try:
        data = loader_class("").construct_document(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _yaml_problem(
            source, f"YAML error: {getattr(exc, 'problem', None) or exc}", mark and mark.line + 1
        ) from None
    except ValueError as exc:  # int() of a number of more than 4,300 digits
        raise _yaml_problem(source, _number_problem(exc)) from None
    return data, lines


def _number_problem(exc: ValueError) -> str:
    """The problem for a number too long to read (Python refuses to convert more than 4,300 digits)."""
    if "digits" in str(exc):
        return "a number has more than 4,300 digits; a catalog's numbers are small whole numbers"
    return f"a value cannot be read ({exc})"


def parse_catalog_text(text: str, source: str) -> Catalog:
    """Parse and validate catalog text (JSON if it starts with ``{``, else YAML)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CATALOG_BYTES:
        raise CatalogError([Problem(source, "", f"larger than the {MAX_CATALOG_BYTES >> 20} MiB limit for a catalog")])
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogError([Problem(source, "", f"JSON syntax error: {exc.msg}", exc.lineno)]) from None
        except RecursionError:
            raise CatalogError([Problem(source, "", f"nested deeper than {MAX_DEPTH} levels")]) from None
        except ValueError as exc:  # json raises it for a number of more than 4,300 digits
            raise CatalogError([Problem(source, "", _number_problem(exc))]) from None
        try:
            check_nesting(data, source=source)
        except InputFileError as exc:
            raise CatalogError([Problem(source, "", exc.reason.removeprefix("it is ").removeprefix("it "))]) from None
        lines: dict[str, int] = {}
    else:
        data, lines = _yaml_lines(text, source)
    # a NUL or a surrogate is in the text itself or written as an escape (JSON "\u0000", YAML "\0")
    problems = unstorable_text(data, source) if "\\" in text or "\0" in text else []
    if problems:
        located = [Problem(p.source, p.path, p.message, _nearest_line(lines, p.path)) for p in problems]
        raise CatalogError(located)
    return catalog_from_dict(data, source=source, locate=lambda path: _nearest_line(lines, path))


#: NUL (PostgreSQL's text cannot hold it) and lone surrogates (not Unicode text: no UTF-8 encodes them)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_text(data: Any, source: str, *, limit: int = MAX_PROBLEMS) -> list[Problem]:
    """Problems for every key or string in ``data`` holding a NUL or a lone surrogate (at most ``limit``).

    Refused in every catalog, whatever its source or the store it goes to: SQLite would store a
    NUL that PostgreSQL refuses, so a store could not move to PostgreSQL, and a lone surrogate
    (``"\\ud800"`` in JSON) cannot be written as UTF-8 at all.
    """
    problems: list[Problem] = []
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack and len(problems) < limit:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, child in reversed(list(value.items())):
                where = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and _UNSTORABLE.search(key):
                    problems.append(Problem(source, path, f"a key {_unstorable(key)}"))
                    continue
                stack.append((child, where))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{i}]") for i, child in reversed(list(enumerate(value))))
        elif isinstance(value, str) and _UNSTORABLE.search(value):
            problems.append(Problem(source, path, _unstorable(value)))
    return problems


def _unstorable(text: str) -> str:
    found = _UNSTORABLE.search(text)
    assert found is not None
    at = found.start() + 1
    if found[0] == "\x00":
        return f"contains a NUL character (U+0000, at character {at}), which a store cannot hold; remove it"
    return (
        f"contains a lone surrogate (U+{ord(found[0]):04X}, at character {at}), which is not Unicode text; "
        "remove it or write the character it stands for"
    )


def check_storable(catalog: Catalog) -> None:
    """Refuse a loaded catalog holding a NUL or a lone surrogate (see :func:`unstorable_text`)."""
    from connectplan.engine import catalog_to_dict

    problems = unstorable_text(catalog_to_dict(catalog), catalog.ref)
    if problems:
        raise CatalogError(problems)


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
        When the file cannot be read, is not a regular file, is larger than
        :data:`MAX_CATALOG_BYTES`, is not valid YAML/JSON, nests deeper than ``MAX_DEPTH``, expands
        past ``MAX_VALUES`` values through aliases, or is not a valid catalog.
    """
    try:
        text = read_text_file(path, limit=MAX_CATALOG_BYTES, what="catalog file")
    except InputFileError as exc:
        reason = "no such file" if exc.reason == "no such catalog file" else exc.reason
        raise CatalogError([Problem(str(path), "", reason)]) from None
    return parse_catalog_text(text, str(path))


@lru_cache(maxsize=None)
def load_builtin(filename: str) -> Catalog:
    return load_catalog_file(BUILTIN_DIR / filename)


def builtin_catalogs() -> list[Catalog]:
    """Every built-in catalog edition, sorted by name then edition."""
    from connectplan.db.records import edition_sort_key

    cats = [load_builtin(p.name) for p in builtin_catalog_files()]
    return sorted(cats, key=lambda c: (c.name, edition_sort_key(c.edition)))


def builtin_loaders() -> dict[str, Callable[[], Catalog]]:
    """``NAME@EDITION.rN -> loader`` of every catalog revision shipped with connectplan (no file is parsed here).

    ``NAME@EDITION.rN.yaml`` files hold superseded revisions; ``NAME@EDITION.yaml`` holds the
    newest, revision N + 1 of the highest such N (1 without any; a test checks each file declares it).
    """
    from functools import partial

    older = builtin_revision_files()
    loaders: dict[str, Callable[[], Catalog]] = {}
    for ref, revisions in older.items():
        for number, path in revisions:
            loaders[f"{ref}.r{number}"] = partial(load_builtin, path.name)
    for path in builtin_catalog_files():
        newest = max((n for n, _ in older.get(path.stem, [])), default=0) + 1
        loaders[f"{path.stem}.r{newest}"] = partial(load_builtin, path.name)
    return loaders
