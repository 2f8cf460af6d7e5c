"""The errors connectplan raises for bad input, in one place.

Every error the application API raises for bad input or an unusable store derives from
:class:`ConnectplanError` (``engine.errors``, so every layer can use it); each layer has its own
base class under it:

- :class:`engine.EngineError`: a catalog or selection is invalid (``CatalogError`` with every
  problem, ``SelectionError``, ``ExpressionSyntaxError``);
- :class:`db.errors.StoreError`: the store cannot be used (``SchemaError``; ``DatabaseError`` once
  open), an unknown plan, version, tag or edition (``NotFoundError``), a lost save race or a taken
  name (``ConflictError``), an edition stored with other content (``EditionConflictError``); the
  repository raises them as a problem code and facts, :mod:`connectplan.store_words` words them;
- :class:`AppError`: a bad file, reference, option combination or output path;
  :class:`VerdictRefusedError` under it: a save refused by the save policy
  (:mod:`connectplan.save_policy`: a blocked design without ``allow_blocked``, or a verdict
  at or above ``fail_on``), the one input error whose exit code is 1;
- :class:`visualize.render.RenderError`: a diagram cannot be rendered (unknown format, no
  Graphviz ``dot`` binary, Graphviz failed).

``str(exc)`` is one line that names the problem and the fix. Every error has a ``kind``
(``engine.errors.KINDS``: ``invalid_input``, ``not_found``, ``conflict``, ``refused``,
``unavailable``); each edge answers it in its own words and code: the CLI exits 2, 2, 2, 1, 3
(``connectplan.cli.EXIT_CODES``), the web answers 400, 404, 409, 422, 503.
"""

from __future__ import annotations

from typing import Any

from connectplan.engine.errors import REFUSED, ConnectplanError

__all__ = ["USER_ERRORS", "AppError", "ConnectplanError", "VerdictRefusedError", "path_problem", "shorten"]


class AppError(ConnectplanError):
    """Bad input at the application level (a file, a reference, a name, an option)."""


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
    kind = REFUSED
    field = "allow_blocked"

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

    def describe(self, allow_hint: str = "pass --allow-blocked to save it anyway", *, web: bool = False) -> str:
        """The one-line text; ``allow_hint`` tells how to save a blocked design anyway (CLI wording by
        default); ``web`` words the other reasons for the browser (no command-line flag)."""
        if self.reason == "fail_on":
            limit = "the refusal threshold" if web else "--fail-on"
            return f"not saved: {self.ref} would be {self.verdict}, at or above {limit} {self.fail_on}"
        if self.reason == "undecided":
            if web:
                them = "it" if len(self.open_decisions) == 1 else "them"
                decided = ", ".join(self.open_decisions)
                return f"not saved: {self.ref} leaves {decided} undecided; choose an option for {them}"
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


def shorten(text: str, limit: int = 240) -> str:
    """``text`` cut past ``limit`` characters (its start kept: a path's directory), with its length.

    >>> shorten("a" * 300, 30)
    'aaaaaaaaaaaaaaaaaaaa…aaaaaaaaa (300 characters)'
    """
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    return f"{text[:head]}…{text[-(limit - head - 1) :]} ({len(text)} characters)"


def path_problem(exc: BaseException) -> str:
    """What is wrong with a path, from the error the file system (or Python) gave for it."""
    import errno

    if isinstance(exc, ValueError):
        return "the path contains a NUL character" if "null" in str(exc) else str(exc)
    if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
        return "the file name is too long for the file system; use a shorter one"
    return getattr(exc, "strerror", None) or str(exc)
