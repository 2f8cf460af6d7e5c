"""The problem-collecting checker that :mod:`engine.loading` reads a catalog document with.

A :class:`Checker` reads one element at a time (a mapping with its allowed keys, text, an id, a
URL, a condition) and records a :class:`~engine.errors.Problem` with a machine-readable code and
the element's path for everything wrong, returning a usable default so the reading goes on:
every problem of a document is reported at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from engine.catalog import _ID, _URL
from engine.errors import MAX_PROBLEMS, ExpressionSyntaxError, Problem
from engine.expression import Expr, iter_terms, parse_expression

if TYPE_CHECKING:
    import re

    from engine.catalog import Property

__all__ = ["Checker", "join_path", "kind_of"]


class Checker:
    """Collects problems while reading a document; nothing is raised until the end."""

    def __init__(self, source: str, locate: Callable[[str], int | None] | None) -> None:
        self.source = source
        self.locate = locate
        self.problems: list[Problem] = []
        #: problems found past :data:`~engine.errors.MAX_PROBLEMS`: counted, not recorded
        self.more = 0

    @property
    def full(self) -> bool:
        """True once :data:`~engine.errors.MAX_PROBLEMS` problems are recorded (the rest are only counted)."""
        return len(self.problems) >= MAX_PROBLEMS

    def problem(self, code: str, path: str, message: str) -> None:
        if self.full:
            self.more += 1
            return
        line = self.locate(path) if self.locate else None
        self.problems.append(Problem(self.source, path, message, line, code=code))

    def mapping(self, value: Any, path: str, required: Iterable[str], optional: Iterable[str]) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            self.problem("wrong_type", path, f"expected a mapping, found {kind_of(value)}")
            return None
        required = tuple(required)
        allowed = set(required) | set(optional)
        unknown = [key for key in value if key not in allowed]
        shown = ", ".join(sorted(allowed))
        for i, key in enumerate(unknown):
            if self.full:  # counted in one step: 200,000 unknown keys cost no message each
                self.more += len(unknown) - i
                break
            self.problem("unknown_key", join_path(path, str(key)), f"unknown key {key!r} (allowed: {shown})")
        for key in required:
            if key not in value:
                self.problem("missing_key", path, f"missing required key {key!r}")
        return dict(value)

    def text(self, value: Any, path: str, *, default: str = "", required: bool = False) -> str:
        if value is None:
            return default
        if not isinstance(value, str):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            self.problem("wrong_type", path, f"expected text, found {kind_of(value)}")
            return default
        if required and not value.strip():
            self.problem("empty", path, "must not be empty")
        return value

    def ident(self, value: Any, path: str, pattern: re.Pattern[str] = _ID) -> str:
        text = self.text(value, path)
        if text and not pattern.match(text):
            self.problem("invalid_id", path, f"invalid id {text!r} (expected {pattern.pattern[1:-1]})")
        return text

    def url(self, value: Any, path: str, *, leading: bool = False) -> str:
        """Text that is an ``https://`` (or ``http://``) URL; with ``leading``, each ``; ``-part starts with one."""
        text = self.text(value, path)
        parts = text.split("; ") if leading else [text]
        for part in parts if text else ():
            head = part.split(None, 1)[0] if leading and part.strip() else part
            if not _URL.fullmatch(head):
                self.problem("invalid_url", path, f"expected an https:// (or http://) URL, found {head[:80]!r}")
                break
        return text

    def texts(self, value: Any, path: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem("wrong_type", path, f"expected a list of text, found {kind_of(value)}")
            return ()
        return tuple(self.text(v, f"{path}[{i}]") for i, v in enumerate(value))

    def pairs(self, value: Any, path: str, what: str) -> Mapping[Any, Any]:
        """``value`` as a mapping (``what`` describes its keys and values), or ``{}`` after a problem."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problem("wrong_type", path, f"expected a mapping of {what}, found {kind_of(value)}")
            return {}
        return value

    def items(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem("wrong_type", path, f"expected a list, found {kind_of(value)}")
            return []
        return value

    def condition(self, value: Any, path: str, props: Mapping[str, Property]) -> Expr:
        from engine.expression import ALWAYS

        if not isinstance(value, str):
            self.problem("wrong_type", path, f"expected a condition string, found {kind_of(value)}")
            return ALWAYS
        try:
            expr = parse_expression(value)
        except ExpressionSyntaxError as exc:
            self.problem("syntax_error", path, f"syntax error: {exc}")
            return ALWAYS
        for term in iter_terms(expr):
            prop = props.get(term.prop)
            if prop is None:
                known = ", ".join(props) or "none declared"
                self.problem(
                    "unknown_property", path, f"unknown property {term.prop!r} in term {term} (properties: {known})"
                )
            elif prop.option(term.option) is None:
                self.problem(
                    "unknown_option",
                    path,
                    f"unknown option {term.option!r} of property {term.prop!r} in term {term} "
                    f"(options: {', '.join(prop.option_ids)})",
                )
        return expr

    def unique(self, ids: list[tuple[str, str]], what: str) -> None:
        seen: dict[str, str] = {}
        for ident, path in ids:
            if not ident:
                continue
            if ident in seen:
                self.problem(
                    "duplicate_id", join_path(path, "id"), f"duplicate {what} id {ident!r} (first at {seen[ident]})"
                )
            else:
                seen[ident] = path


def join_path(path: str, key: str) -> str:
    """``path.key`` (``key`` alone at the top)."""
    return f"{path}.{key}" if path else key


def kind_of(value: Any) -> str:
    """What a value is, in the words of a problem message (``a mapping``, ``text``, ``nothing``...)."""
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )
