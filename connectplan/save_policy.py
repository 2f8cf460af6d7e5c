"""The one save policy of ``plan new``, ``plan set``, ``plan fork``, ``plan import`` and ``plan upgrade``.

A version whose verdict is ``blocked`` or ``out_of_scope`` is saved only when the caller allows it
(``allow_blocked``); with ``fail_on`` a version whose verdict ranks at or above that severity is
not saved at all (``resolve --fail-on``'s meaning); with ``require_decided`` a version that leaves
a decision open (a property whose chosen option is pending, "not decided yet") is not saved. The
store reads what it needs, resolves and checks the policy before its write transaction begins;
that transaction is only the short insert(s) the database's unique keys guard (a save that lost a
race reads and checks again), so a refused save stores nothing and never holds the write lock
(``tests/test_save_transaction.py`` audits it). The refusal is a
:class:`~connectplan.errors.VerdictRefusedError` (exit code 1).

>>> policy = SavePolicy.of(fail_on="sales_gated")
>>> policy.refuses("caution"), policy.refuses("sales_gated"), policy.refuses("blocked")
(False, True, True)
>>> SavePolicy(allow_blocked=True).refuses("out_of_scope")
False
>>> SavePolicy().check("acme@2", "blocked")
Traceback (most recent call last):
...
connectplan.errors.VerdictRefusedError: not saved: acme@2 would be blocked; pass --allow-blocked to save it anyway
>>> SavePolicy(require_decided=True).check_decided("a@2", "allowed", ["cross_border"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
connectplan.errors.VerdictRefusedError: not saved: a@2 leaves cross_border undecided; decide it with --set P=O...
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from connectplan.engine import VERDICTS, Severity
from connectplan.errors import AppError, VerdictRefusedError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectplan.engine import Catalog, Resolution
    from connectplan.engine.expression import Choice

__all__ = ["FAIL_ON", "SaveOptions", "SavePolicy"]

#: the severities ``fail_on`` takes: every verdict but ``allowed`` (the CLI's ``--fail-on`` choices)
FAIL_ON = VERDICTS[1:]


@dataclass(frozen=True)
class SavePolicy:
    """Whether a version may be saved given its verdict: blocked designs need ``allow_blocked``; ``fail_on`` refuses
    any verdict ranking at or above it; ``require_decided`` refuses a version with open decisions."""

    allow_blocked: bool = False
    fail_on: Severity | None = None
    require_decided: bool = False

    @classmethod
    def of(
        cls, allow_blocked: bool = False, fail_on: str | Severity | None = None, require_decided: bool = False
    ) -> SavePolicy:
        """The policy for the API's keyword arguments; an unknown ``fail_on`` raises :class:`AppError`."""
        if fail_on is None or isinstance(fail_on, Severity):
            level = fail_on
        elif isinstance(fail_on, str) and fail_on in FAIL_ON:
            level = Severity.parse(fail_on)
        else:
            level = None
        if fail_on is not None and (level is None or level < Severity.CAUTION):
            raise AppError(f"unknown fail_on severity {fail_on!r}; use one of: {', '.join(FAIL_ON)}")
        return cls(allow_blocked=bool(allow_blocked), fail_on=level, require_decided=bool(require_decided))

    def refuses(self, verdict: str) -> bool:
        """True when a version with ``verdict`` may not be saved under this policy."""
        rank = Severity.parse(verdict)
        return (self.fail_on is not None and rank >= self.fail_on) or (rank.excludes and not self.allow_blocked)

    def check(self, ref: str, subject: Resolution | str) -> None:
        """Raise :class:`~connectplan.errors.VerdictRefusedError` when version ``ref`` may not be saved.

        ``subject`` is the version's resolution (the refusal then names the first blocking
        rule) or just its verdict.
        """
        verdict = subject if isinstance(subject, str) else subject.verdict
        rank = Severity.parse(verdict)
        if self.fail_on is not None and rank >= self.fail_on:
            raise VerdictRefusedError(ref, verdict, "fail_on", fail_on=self.fail_on.verdict)
        if rank.excludes and not self.allow_blocked:
            findings = () if isinstance(subject, str) else subject.findings
            blocking = next((f for f in findings if f.rank.excludes), None)
            raise VerdictRefusedError(
                ref,
                verdict,
                "blocked",
                rule_id=blocking.rule.id if blocking else None,
                rule_message=blocking.rule.message if blocking else None,
            )

    def open_decisions(self, catalog: Catalog, selection: Mapping[str, Choice]) -> list[str]:
        """The properties ``selection`` leaves open that this policy refuses (none without ``require_decided``)."""
        if not self.require_decided:
            return []
        from connectplan.output.sections import open_properties

        return open_properties(catalog, selection)

    def check_decided(self, ref: str, verdict: str, open_props: Sequence[str]) -> None:
        """Raise :class:`~connectplan.errors.VerdictRefusedError` when ``require_decided`` and ``open_props``."""
        if self.require_decided and open_props:
            raise VerdictRefusedError(ref, verdict, "undecided", open_decisions=tuple(open_props))


@dataclass(frozen=True)
class SaveOptions:
    """How a version is saved, as one value through every layer (the CLI's flags, the web's form, the
    Workspace's saving methods, the store): its ``message`` and ``author`` (None: the method's
    default message, ``$USER``), and the save policy's ``allow_blocked``, ``fail_on`` and
    ``require_decided`` (:class:`SavePolicy`).

    >>> SaveOptions(message="first cut", fail_on="blocked").policy.refuses("blocked")
    True
    >>> SaveOptions().with_defaults(message="new plan").message
    'new plan'
    """

    message: str | None = None
    author: str | None = None
    allow_blocked: bool = False
    fail_on: str | Severity | None = None
    require_decided: bool = False

    @property
    def policy(self) -> SavePolicy:
        """The save policy these options ask for; an unknown ``fail_on`` raises :class:`AppError`."""
        return SavePolicy.of(self.allow_blocked, self.fail_on, self.require_decided)

    def with_defaults(self, *, message: str | None = None, author: str | None = None) -> SaveOptions:
        """These options with ``message`` and ``author`` filled where they are None."""
        return replace(self, message=self.message or message, author=self.author or author)

    def merged(self, **fields: object) -> SaveOptions:
        """These options with the given fields set (None and False leave a field as it is)."""
        given = {k: v for k, v in fields.items() if v not in (None, False)}
        return replace(self, **given)  # type: ignore[arg-type]
