"""The errors connectplan raises for bad input, in one place.

Every error the application API raises for bad input or an unusable store derives from
:class:`ConnectplanError` (``engine.errors``, so every layer can use it); each layer has its own
base class under it:

- :class:`engine.EngineError`: a catalog or selection is invalid (``CatalogError`` with every
  problem, ``SelectionError``, ``ExpressionSyntaxError``);
- :class:`db.errors.StoreError`: the store cannot be used (``SchemaError``), an unknown plan,
  version, tag or edition (``NotFoundError``), a lost save race or a taken name
  (``ConflictError``), an edition stored with other content (``EditionConflictError``);
- :class:`AppError`: a bad file, reference, option combination or output path;
  :class:`VerdictRefusedError` under it: a save refused by the save policy
  (:mod:`connectplan.save_policy`: a blocked design without ``allow_blocked``, or a verdict
  at or above ``fail_on``), the one input error whose exit code is 1;
- :class:`visualize.render.RenderError`: a diagram cannot be rendered (unknown format, no
  Graphviz ``dot`` binary, Graphviz failed).

``str(exc)`` is one line that names the problem and the fix. The CLI prints it and exits with the
exception's ``exit_code`` (2, except 1 for :class:`VerdictRefusedError`).
"""

from __future__ import annotations

from typing import Any

from connectplan.engine.errors import ConnectplanError

__all__ = ["USER_ERRORS", "AppError", "ConnectplanError", "VerdictRefusedError"]


class AppError(ConnectplanError):
    """Bad input at the application level (a file, a reference, a name, an option). Exit code 2."""

    exit_code = 2


class VerdictRefusedError(AppError):
    """A save refused by the save policy; nothing was stored. Exit code 1 (a checked condition).

    ``ref`` is the version that would have been saved (``acme@2``), ``verdict`` its verdict,
    ``reason`` ``"blocked"`` (blocked or out of scope, and blocked designs not allowed),
    ``"fail_on"`` (the verdict ranks at or above ``fail_on``) or ``"undecided"`` (``require_decided``
    and the version leaves the properties ``open_decisions`` pending); ``rule_id`` and ``rule_message``
    name the first blocking rule when it is known; ``report`` is the impact report when the
    refused save was a ``plan upgrade`` (``engine.upgrade.PlanUpgrade``), else None.

    >>> str(VerdictRefusedError("acme@2", "sales_gated", "fail_on", fail_on="caution"))
    'not saved: acme@2 would be sales_gated, at or above --fail-on caution'
    >>> str(VerdictRefusedError("acme@1", "blocked", "blocked", rule_id="r1", rule_message="no."))
    'not saved: acme@1 would be blocked (r1: no.); pass --allow-blocked to save it anyway'
    >>> str(VerdictRefusedError("a@1", "allowed", "undecided", open_decisions=("cross_border", "payouts")))
    'not saved: a@1 leaves cross_border, payouts undecided; decide them with --set P=O or drop --require-decided'
    """

    exit_code = 1

    def __init__(
        self,
        ref: str,
        verdict: str,
        reason: str,
        *,
        fail_on: str | None = None,
        rule_id: str | None = None,
        rule_message: str | None = None,
        open_decisions: tuple[str, ...] = (),
    ) -> None:
        super().__init__(ref, verdict, reason)
        self.ref = ref
        self.verdict = verdict
        self.reason = reason
        self.fail_on = fail_on
        self.rule_id = rule_id
        self.rule_message = rule_message
        self.open_decisions = open_decisions
        self.report: Any = None

    def describe(self, allow_hint: str = "pass --allow-blocked to save it anyway") -> str:
        """The one-line text; ``allow_hint`` tells how to save a blocked design anyway (CLI wording by default)."""
        if self.reason == "fail_on":
            return f"not saved: {self.ref} would be {self.verdict}, at or above --fail-on {self.fail_on}"
        if self.reason == "undecided":
            return f"not saved: {self.ref} " + undecided_text(self.open_decisions)
        rule = f" ({self.rule_id}: {' '.join((self.rule_message or '').split())})" if self.rule_id else ""
        return f"not saved: {self.ref} would be {self.verdict}{rule}; {allow_hint}"

    def __str__(self) -> str:
        return self.describe()


def undecided_text(open_props: tuple[str, ...] | list[str]) -> str:
    """What ``--require-decided`` says about ``open_props``: how many are open, which, and the fix."""
    them = "it" if len(open_props) == 1 else "them"
    return f"leaves {', '.join(open_props)} undecided; decide {them} with --set P=O or drop --require-decided"


#: The exception classes the API raises for bad input (their common root); ``except USER_ERRORS:`` catches them all.
USER_ERRORS: tuple[type[Exception], ...] = (ConnectplanError,)
