"""Catalog identity: ``NAME``, ``NAME@EDITION`` (its newest revision) or ``NAME@EDITION.rN`` (exactly that one).

One value, :class:`CatalogRef`, parses and formats every way a catalog is named, so no layer
drops the revision by formatting a catalog as ``NAME@EDITION`` and parsing it back.

>>> CatalogRef.parse("stripe-connect@2025.r1")
CatalogRef(name='stripe-connect', edition='2025', revision=1)
>>> str(CatalogRef.parse("stripe-connect@2025")), CatalogRef.parse("stripe-connect@2025.r1").exact
('stripe-connect@2025', True)
>>> str(CatalogRef("stripe-connect", "2024", 1)), str(CatalogRef("stripe-connect", "2024", 1).loose)
('stripe-connect@2024.r1', 'stripe-connect@2024')
"""

from __future__ import annotations

import re
from typing import NamedTuple

from connectplan.engine.errors import SelectionError

__all__ = ["CatalogRef"]

_REVISION = re.compile(r"(?P<edition>.+)\.r(?P<revision>[1-9][0-9]{0,8})")


class CatalogRef(NamedTuple):
    """A catalog's name, edition (None: its newest edition) and revision (None: the edition's newest).

    ``exact`` when it names one revision; :attr:`loose` is the same edition at its newest revision.
    """

    name: str
    edition: str | None = None
    revision: int | None = None

    @classmethod
    def parse(cls, text: str | CatalogRef) -> CatalogRef:
        """``NAME``, ``NAME@EDITION`` or ``NAME@EDITION.rN``; a malformed one raises :class:`SelectionError`."""
        if isinstance(text, CatalogRef):
            return text
        name, sep, edition = text.partition("@")
        if not name or text.count("@") > 1 or (sep and not edition):
            raise SelectionError(
                f"malformed catalog reference {text!r}; use NAME, NAME@EDITION or NAME@EDITION.rN, "
                "e.g. stripe-connect@2025",
                code="bad_catalog_ref",
                field="catalog",
            )
        if not sep:
            return cls(name)
        m = _REVISION.fullmatch(edition)
        return cls(name, m["edition"], int(m["revision"])) if m else cls(name, edition)

    @property
    def exact(self) -> bool:
        """True when it names exactly one revision."""
        return self.revision is not None

    @property
    def loose(self) -> CatalogRef:
        """The same edition at its newest revision (``NAME@EDITION``)."""
        return CatalogRef(self.name, self.edition)

    def __str__(self) -> str:
        if self.edition is None:
            return self.name
        return f"{self.name}@{self.edition}" + (f".r{self.revision}" if self.revision is not None else "")
