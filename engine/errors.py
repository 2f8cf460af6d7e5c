"""The engine's exceptions: one base class, payloads kept as attributes.

Every exception the engine raises on purpose derives from :class:`EngineError`, so a
caller can catch the whole family with one ``except`` clause. The human text is built
in ``__str__`` from the attributes; it is always a single line.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CONFLICT",
    "INVALID",
    "KINDS",
    "NOT_FOUND",
    "REFUSED",
    "UNAVAILABLE",
    "CatalogError",
    "ConnectplanError",
    "EngineError",
    "ExpressionSyntaxError",
    "Problem",
    "SelectionError",
]


#: The kinds of failure every edge maps to its own answer (CLI exit code, HTTP status, JSON ``error.kind``).
INVALID = "invalid_input"  #: malformed or unknown input: exit 2, HTTP 400
NOT_FOUND = "not_found"  #: an unknown plan, version, tag or catalog edition: exit 2, HTTP 404
CONFLICT = "conflict"  #: a lost save race, a taken name, an edition stored with other content: exit 2, HTTP 409
REFUSED = "refused"  #: a checked condition refused it (the save policy): exit 1, HTTP 422
UNAVAILABLE = "unavailable"  #: the database or Graphviz cannot serve now: exit 3, HTTP 503
KINDS = (INVALID, NOT_FOUND, CONFLICT, REFUSED, UNAVAILABLE)


class ConnectplanError(Exception):
    """Root of every error connectplan raises for bad input or an unusable store.

    Each layer derives its own base from it (:class:`EngineError` here, ``db.errors.StoreError``,
    ``visualize.render.RenderError``, ``connectplan.errors.AppError``), so one ``except`` clause
    catches them all; its text is one line naming the problem and the fix.

    ``kind`` (one of :data:`KINDS`) says what went wrong for every edge to answer in its own
    words and code: the CLI's exit code, the web's HTTP status, the JSON twins' ``error.kind``.
    A class sets its kind; an instance may override it (``kind=`` keyword).

    A message that names a way forward keeps it apart: the text is ``message`` (no edge's words),
    ``fix`` a code naming the way forward and ``hint`` its words for the Python API and the CLI
    (``str(exc)`` is ``message; hint``); ``field`` names the input at fault (``set``, ``to``,
    ``author``, ``name``, ``ref``...). The web writes its own words for ``fix`` and ``field``.
    """

    kind: str = INVALID
    fix: str | None = None
    hint: str | None = None
    field: str | None = None

    def __init__(
        self,
        *args: object,
        kind: str | None = None,
        fix: str | None = None,
        hint: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(*args)
        if kind is not None:
            if kind not in KINDS:
                raise ValueError(f"unknown error kind {kind!r}; kinds: {', '.join(KINDS)}")
            self.kind = kind
        if fix is not None:
            self.fix = fix
        if hint is not None:
            self.hint = hint
        if field is not None:
            self.field = field

    @property
    def message(self) -> str:
        """The problem in no edge's words (``str(exc)`` without the ``hint``; a class with its own text: that text)."""
        if type(self).__str__ is not ConnectplanError.__str__:
            return str(self)
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class EngineError(ConnectplanError):
    """Base class of every error the engine raises for bad input."""


class ExpressionSyntaxError(EngineError):
    """A condition expression cannot be parsed.

    ``position`` is the 0-based character offset in ``text`` where parsing failed.
    """

    def __init__(self, text: str, position: int, reason: str) -> None:
        super().__init__(text, position, reason)
        self.text = text
        self.position = position
        self.reason = reason

    def __str__(self) -> str:
        shown = self.text if len(self.text) <= 120 else self.text[:100] + "..."  # a hostile text stays one short line
        return f"{self.reason} at position {self.position} in {shown!r}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a catalog: where it is, what is wrong, and a machine-readable ``code``.

    Codes the catalog loader uses: ``wrong_type``, ``unknown_key``, ``missing_key``, ``empty``,
    ``invalid_id``, ``duplicate_id``, ``syntax_error``, ``unsupported_format``,
    ``unknown_property``, ``unknown_option``, ``unknown_value`` (a severity, phase, basis, flow
    kind ... outside its fixed set), ``unknown_step``, ``unknown_party``, ``self_prerequisite``,
    ``prerequisite_cycle``, ``incomplete_preset``, ``bad_selection``, ``bad_rename``,
    ``bad_count``, ``invalid_url`` (a link that is not https:// or http://); file readers add their
    own (``invalid`` when nothing more precise applies).
    """

    source: str
    path: str
    message: str
    line: int | None = None
    code: str = "invalid"

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


#: Most problems a catalog check records; past it they are only counted (``CatalogError.more``), so a
#: file with 200,000 unknown keys is refused fast, in 50 lines and a count.
MAX_PROBLEMS = 50


class CatalogError(EngineError):
    """A catalog document is malformed; ``problems`` lists the problems found (the first
    :data:`MAX_PROBLEMS`), ``more`` counts those found past them."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], more: int = 0) -> None:
        super().__init__(problems)
        self.problems = tuple(problems)
        self.more = more

    def __str__(self) -> str:
        first = str(self.problems[0]) if self.problems else "invalid catalog"
        more = len(self.problems) - 1 + self.more
        return f"{first} (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else first


class SelectionError(EngineError):
    """A selection names an unknown property or option, leaves a property out, or chooses too few
    or too many options of a multi-choice property; ``code`` says which (machine-readable)."""

    def __init__(
        self, message: str, *, code: str = "bad_selection", value: str | None = None, **fields: str | None
    ) -> None:
        super().__init__(message, **fields)
        self.code = code
        #: the text at fault, as given (``code="malformed_choice"``: the ``PROPERTY=OPTION`` text)
        self.value = value
