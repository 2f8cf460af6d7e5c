"""Severities of rules and verdicts of selections: one vocabulary, one order (DOMAIN §0.3).

A rule's severity and a selection's verdict rank on the same scale, lowest first::

    allowed = info (0) < caution (1) < sales_gated (2) < blocked (3) < out_of_scope (4)

``info`` is the severity of a note; it ranks with ``allowed`` and never changes a verdict, so
it is an alias of :attr:`Severity.ALLOWED`. The texts used in catalogs and JSON documents are
the members' lower-case names (``info`` for a rule, ``allowed`` for a verdict):

>>> Severity.parse("info") is Severity.ALLOWED
True
>>> max(Severity.parse(s) for s in ("info", "blocked", "caution")).verdict
'blocked'
>>> Severity.BLOCKED > Severity.SALES_GATED
True
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["RULE_SEVERITIES", "VERDICTS", "VERDICT_RANK", "Severity"]


class Severity(IntEnum):
    """A rank on the severity scale; compare members with ``<``, combine with ``max``."""

    ALLOWED = 0
    INFO = 0  # alias: a note ranks with allowed
    CAUTION = 1
    SALES_GATED = 2
    BLOCKED = 3
    OUT_OF_SCOPE = 4

    @property
    def verdict(self) -> str:
        """The verdict's text: ``allowed``, ``caution``, ``sales_gated``, ``blocked`` or ``out_of_scope``."""
        return _VERDICT_TEXT[self]

    @property
    def excludes(self) -> bool:
        """True from ``blocked`` up: a selection this bad is never presented as a plan."""
        return self >= Severity.BLOCKED

    @classmethod
    def parse(cls, text: str) -> Severity:
        """The member for a severity or verdict text (``info`` and ``allowed`` are both rank 0).

        Raises
        ------
        ValueError
            For any other text.
        """
        try:
            return _BY_TEXT[text]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected one of: {', '.join(_BY_TEXT)})") from None


_VERDICT_TEXT = {member: member.name.lower() for member in Severity}
_BY_TEXT = {"info": Severity.INFO, **{text: member for member, text in _VERDICT_TEXT.items()}}

#: Severities a catalog rule may declare, highest first.
RULE_SEVERITIES = ("out_of_scope", "blocked", "sales_gated", "caution", "info")
#: Verdicts, best first (``VERDICTS[rank]`` is the text of rank ``rank``).
VERDICTS = tuple(member.verdict for member in Severity)
#: Deprecated (callers outside the engine still read it): ``VERDICT_RANK[text]`` is
#: ``Severity.parse(text)``; use :class:`Severity` instead.
VERDICT_RANK = {member.verdict: int(member) for member in Severity}
