"""Application services the CLI calls: one function per user action, no printing.

Catalogs come from the files shipped in ``connectplan/catalogs`` (the store takes over
in ``connectplan.store`` once plans are persisted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine import Catalog, Resolution, resolve

from connectplan.catalog_files import builtin_catalog_files, load_builtin
from connectplan.errors import AppError

DEFAULT_CATALOG = "stripe-connect"


def split_ref(ref: str) -> tuple[str, str | None]:
    """``name@edition`` -> (name, edition); a bare name -> (name, None)."""
    name, _, edition = ref.partition("@")
    if not name or (ref.count("@") > 1) or ("@" in ref and not edition):
        raise AppError(f"malformed catalog reference {ref!r}; use NAME or NAME@EDITION, e.g. stripe-connect@2025")
    return name, edition or None


def edition_key(edition: str) -> tuple[int, int | str]:
    """Sort key for editions: numeric editions by value, others after them by text."""
    return (0, int(edition)) if edition.isdigit() else (1, edition)


def builtin_catalogs() -> list[Catalog]:
    """Every built-in catalog edition, sorted by name then edition."""
    cats = [load_builtin(p.name) for p in builtin_catalog_files()]
    return sorted(cats, key=lambda c: (c.name, edition_key(c.edition)))


def pick_catalog(catalogs: Iterable[Catalog], ref: str | None) -> Catalog:
    """Choose the edition ``ref`` names among ``catalogs`` (newest edition for a bare name)."""
    name, edition = split_ref(ref or DEFAULT_CATALOG)
    cats = [c for c in catalogs if c.name == name]
    if not cats:
        raise AppError(f"unknown catalog {name!r}; known: {', '.join(sorted({c.ref for c in catalogs})) or 'none'}")
    if edition is None:
        return max(cats, key=lambda c: edition_key(c.edition))
    for cat in cats:
        if cat.edition == edition:
            return cat
    raise AppError(f"unknown edition {edition!r} of {name}; editions: {', '.join(c.edition for c in cats)}")


def get_catalog(ref: str | None) -> Catalog:
    """The built-in catalog edition named by ``ref`` (default: stripe-connect, newest edition)."""
    return pick_catalog(builtin_catalogs(), ref)


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """Parse ``--set P=O`` values (later ones win)."""
    out: dict[str, str] = {}
    for pair in pairs:
        prop, sep, opt = pair.partition("=")
        prop, opt = prop.strip(), opt.strip()
        if not sep or not prop or not opt:
            raise AppError(f"malformed --set {pair!r}; use PROPERTY=OPTION, e.g. --set dashboard=express")
        out[prop] = opt
    return out


def build_selection(catalog: Catalog, preset: str | None, assignments: Mapping[str, str]) -> dict[str, str]:
    """A preset's selection (if any) overridden by explicit assignments."""
    selection: dict[str, str] = {}
    if preset:
        found = catalog.preset_index.get(preset)
        if found is None:
            known = ", ".join(catalog.preset_index) or "none"
            raise AppError(f"unknown preset {preset!r} in {catalog.ref}; presets: {known}")
        selection.update(found.selection)
    selection.update(assignments)
    return selection


def resolve_selection(catalog_ref: str | None, preset: str | None, sets: Iterable[str]) -> Resolution:
    """Resolve ``--preset`` plus ``--set`` values against a catalog edition."""
    catalog = get_catalog(catalog_ref)
    return resolve(catalog, build_selection(catalog, preset, parse_assignments(sets)))
