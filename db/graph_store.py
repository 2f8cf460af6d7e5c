"""Reading stored catalog graphs: the start-up path of every command, kept to a few cheap queries.

Plain SQL through :func:`sqlalchemy.text` with bound parameters on a ``Connection`` (no ORM
compilation and no model import on this path): one query lists the editions, two more (nodes,
edges) load one edition's graph, from which :func:`engine.catalog_from_graph` rebuilds the
catalog; :func:`save_catalog` writes an edition with one ``executemany`` per table.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

import networkx as nx
from sqlalchemy import JSON, DateTime, Integer, String, bindparam, column, text

from connectplan.db.records import EditionRow, edition_sort_key
from connectplan.engine import Catalog, NodeKey, catalog_from_graph

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Connection

__all__ = ["CatalogCache", "load_catalog", "load_graph", "read_editions", "save_catalog"]


class CatalogCache:
    """Catalogs rebuilt from a store, by content hash, at most ``size`` of them (least recently used goes).

    Editions are immutable, so the content hash is the identity and an entry never goes stale.
    A :class:`~connectplan.workspace.Workspace` owns one; nothing is cached per process.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict[str, Catalog] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, content_hash: str) -> Catalog | None:
        found = self._items.get(content_hash)
        if found is not None:
            self._items.move_to_end(content_hash)
        return found

    def put(self, catalog: Catalog) -> Catalog:
        """Remember ``catalog`` (an equal one already cached wins); return the cached one."""
        found = self.get(catalog.content_hash)
        if found is not None:
            return found
        self._items[catalog.content_hash] = catalog
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return catalog

    def clear(self) -> None:
        self._items.clear()


_EDITIONS = text(
    "SELECT id, name, edition, title, content_hash, meta, imported_at, revision FROM catalog_edition"
).columns(
    column("id", Integer),
    column("name", String),
    column("edition", String),
    column("title", String),
    column("content_hash", String),
    column("meta", JSON),
    column("imported_at", DateTime(timezone=True)),
    column("revision", Integer),
)
_NODES = text(
    "SELECT id, kind, key, position, data FROM catalog_node WHERE edition_id = :edition_id ORDER BY id"
).columns(
    column("id", Integer),
    column("kind", String),
    column("key", String),
    column("position", Integer),
    column("data", JSON),
)
_EDGES = text("SELECT src_id, dst_id, kind FROM catalog_edge WHERE edition_id = :edition_id ORDER BY id")
_INSERT_EDITION = text(
    "INSERT INTO catalog_edition (name, edition, revision, title, content_hash, meta, imported_at) "
    "VALUES (:name, :edition, :revision, :title, :content_hash, :meta, :imported_at) RETURNING id"
).bindparams(bindparam("meta", type_=JSON), bindparam("imported_at", type_=DateTime(timezone=True)))
_INSERT_NODE = text(
    "INSERT INTO catalog_node (edition_id, kind, key, position, data) "
    "VALUES (:edition_id, :kind, :key, :position, :data)"
).bindparams(bindparam("data", type_=JSON))
_NODE_IDS = text("SELECT id, kind, key FROM catalog_node WHERE edition_id = :edition_id")
_INSERT_EDGE = text(
    "INSERT INTO catalog_edge (edition_id, src_id, dst_id, kind) VALUES (:edition_id, :src_id, :dst_id, :kind)"
)


def read_editions(conn: Connection) -> list[EditionRow]:
    """Every stored edition revision, sorted by name, edition and revision (one query)."""
    rows = [EditionRow(*row) for row in conn.execute(_EDITIONS)]
    return sorted(rows, key=lambda r: (r.name, edition_sort_key(r.edition), r.revision))


def load_graph(conn: Connection, edition: EditionRow) -> nx.DiGraph:
    """The edition's graph as :func:`engine.build_graph` made it (same nodes, edges, attributes and order)."""
    G = nx.DiGraph()
    G.graph.update(format=edition.meta.get("format"), name=edition.name, edition=edition.edition, title=edition.title)
    G.graph["description"] = edition.meta.get("description", "")
    G.graph["renames"] = edition.meta.get("renames", {"options": {}, "steps": {}})
    keys: dict[int, NodeKey] = {}
    for node_id, kind, key, position, data in conn.execute(_NODES, {"edition_id": edition.id}):
        nk = NodeKey(kind, key)
        keys[node_id] = nk
        G.add_node(nk, kind=kind, index=position, data=data)
    edges = conn.execute(_EDGES, {"edition_id": edition.id})
    G.add_edges_from((keys[src], keys[dst], {"kind": kind}) for src, dst, kind in edges)
    return G


def load_catalog(conn: Connection, edition: EditionRow, cache: CatalogCache | None = None) -> Catalog:
    """The :class:`~engine.Catalog` of a stored edition (rebuilt from its graph unless ``cache`` has it)."""
    cached = cache.get(edition.content_hash) if cache is not None else None
    if cached is None:
        cached = catalog_from_graph(load_graph(conn, edition), source=f"store:{edition.ref}")
        if cache is not None:
            cached = cache.put(cached)
    return cached


def save_catalog(conn: Connection, catalog: Catalog, *, now: datetime | None = None) -> tuple[EditionRow, bool]:
    """Store ``catalog`` as its graph; ``(edition row, created)``. Never commits.

    Identical content already stored under the same name@edition is a no-op (``created`` is
    False); different content raises :class:`~db.errors.EditionConflictError` naming both
    hashes. Nodes and edges go in with one ``executemany`` each; a concurrent insert of the
    same edition surfaces as ``IntegrityError``.
    """
    from connectplan.db.errors import EditionConflictError
    from connectplan.db.records import utc_now

    digest = catalog.content_hash
    for existing in read_editions(conn):
        if (existing.name, existing.edition, existing.revision) == (catalog.name, catalog.edition, catalog.revision):
            if existing.content_hash != digest:
                raise EditionConflictError(existing.revision_ref, existing.content_hash, digest)
            return existing, False
    from connectplan.engine.compiled import compile_catalog

    G = compile_catalog(catalog).graph
    meta = {k: G.graph[k] for k in ("format", "description", "renames") if k in G.graph}
    imported_at = now or utc_now()
    values = {
        "name": catalog.name,
        "edition": catalog.edition,
        "revision": catalog.revision,
        "title": catalog.title,
        "content_hash": digest,
        "meta": meta,
        "imported_at": imported_at,
    }
    edition_id = conn.execute(_INSERT_EDITION, values).scalar_one()
    conn.execute(
        _INSERT_NODE,
        [
            {"edition_id": edition_id, "kind": k.kind, "key": k.id, "position": a["index"], "data": a["data"]}
            for k, a in G.nodes(data=True)
        ],
    )
    ids = {(kind, key): node_id for node_id, kind, key in conn.execute(_NODE_IDS, {"edition_id": edition_id})}
    edges = [
        {"edition_id": edition_id, "src_id": ids[(u.kind, u.id)], "dst_id": ids[(v.kind, v.id)], "kind": kind}
        for u, v, kind in G.edges(data="kind")
    ]
    if edges:
        conn.execute(_INSERT_EDGE, edges)
    row = EditionRow(
        edition_id, catalog.name, catalog.edition, catalog.title, digest, meta, imported_at, catalog.revision
    )
    return row, True
