"""The problem-collecting checker that :mod:`engine.loading` reads a catalog document with.

A :class:`Checker` reads one element at a time (a mapping with its allowed keys, text, an id, a
URL, a condition) and records a :class:`~engine.errors.Problem` with a machine-readable code and
the element's path for everything wrong, returning a usable default so the reading goes on:
every problem of a document is reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from connectplan.engine.catalog import _ID, _URL, API_FAMILIES, HTTP_METHODS, ApiSetting, ApiValue
from connectplan.engine.errors import MAX_PROBLEMS, ExpressionSyntaxError, Problem
from connectplan.engine.expression import Expr, iter_terms, parse_expression

if TYPE_CHECKING:
    from connectplan.engine.catalog import Property

__all__ = ["Checker", "join_path", "kind_of"]

#: A Stripe API path: ``/v1/...`` or ``/v2/...``, segments of ids or ``{placeholders}``.
_API_PATH = re.compile(r"^/(v1|v2)(/([a-z0-9_.-]+|\{[a-z][a-z0-9_]*\}))+$")
#: A dotted request parameter name (``defaults.responsibilities.fees_collector``).
_PARAM = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
#: An API version (``2026-11-18.endive``, ``2024-06-20``).
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
#: A value only the user knows: ``{{name}}``.
_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
_PLACEHOLDER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_API_KEYS = ("api", "method", "path", "params", "stripe_account", "stripe_version")


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

    def api_settings(self, value: Any, path: str) -> tuple[ApiSetting, ...]:
        """A list of API settings: legacy strings, or mappings (``text`` and an optional request)."""
        out: list[ApiSetting] = []
        for i, item in enumerate(self.items(value, path)):
            ipath = f"{path}[{i}]"
            if isinstance(item, str):
                out.append(ApiSetting(item, structured=False))
                continue
            m = self.mapping(item, ipath, ("text",), _API_KEYS)
            if m is not None:
                out.append(self._api_setting(m, ipath))
        return tuple(out)

    def _api_setting(self, m: Mapping[str, Any], path: str) -> ApiSetting:
        text = self.text(m.get("text"), join_path(path, "text"), required=True)
        request = [k for k in _API_KEYS if k in m]
        if request:
            missing = [k for k in ("api", "method", "path") if k not in m]
            if missing:
                self.problem(
                    "missing_key",
                    path,
                    f"an API request needs api, method and path (missing {', '.join(missing)}); "
                    "keep only text for a fact that is not a request",
                )
        api = self.text(m.get("api"), join_path(path, "api"))
        if "api" in m and api not in API_FAMILIES:
            self.problem("unknown_value", join_path(path, "api"), f"unknown API {api!r} (expected v1 or v2)")
        method = self.text(m.get("method"), join_path(path, "method"))
        if "method" in m and method not in HTTP_METHODS:
            self.problem(
                "unknown_value",
                join_path(path, "method"),
                f"unknown method {method!r} (expected one of: {', '.join(HTTP_METHODS)})",
            )
        api_path = self.text(m.get("path"), join_path(path, "path"))
        found = _API_PATH.match(api_path) if "path" in m else None
        if "path" in m and found is None:
            self.problem(
                "invalid_path",
                join_path(path, "path"),
                f"expected a Stripe API path like /v1/accounts/{{account}}/login_links, found {api_path!r}",
            )
        elif found is not None and api in API_FAMILIES and found.group(1) != api:
            self.problem("invalid_path", join_path(path, "path"), f"path {api_path!r} is not a {api} path")
        params: list[tuple[str, ApiValue]] = []
        ppath = join_path(path, "params")
        for name, raw in self.pairs(m.get("params"), ppath, "parameter name to value").items():
            vpath = join_path(ppath, str(name))
            if not (isinstance(name, str) and _PARAM.match(name)):
                self.problem("invalid_param", vpath, f"expected a dotted parameter name, found {name!r}")
                continue
            value = self._api_value(raw, vpath)
            if value is not None:
                params.append((name, value))
        stripe_account = m.get("stripe_account", False)
        if not isinstance(stripe_account, bool):
            self.problem(
                "wrong_type",
                join_path(path, "stripe_account"),
                f"expected true or false, found {kind_of(stripe_account)}",
            )
            stripe_account = False
        raw_version: Any = m.get("stripe_version")
        if hasattr(raw_version, "isoformat"):  # YAML reads a bare 2024-06-20 as a date
            raw_version = raw_version.isoformat()
        version = self.text(raw_version, join_path(path, "stripe_version"))
        if version and not _API_VERSION.match(version):
            self.problem(
                "unknown_value",
                join_path(path, "stripe_version"),
                f"expected an API version like 2026-11-18.endive, found {version!r}",
            )
        return ApiSetting(text, api, method, api_path, tuple(params), stripe_account, version)

    def _api_value(self, raw: Any, path: str) -> ApiValue | None:
        """A parameter value: text, a whole number, a boolean, or a list of those (as a tuple)."""
        items = raw if isinstance(raw, list) else [raw]
        for item in items:
            if isinstance(item, float) or not isinstance(item, (str, int, bool)):
                found = kind_of(item)
                expected = "text, a whole number, a boolean or a list of those"
                self.problem("wrong_type", path, f"expected {expected}, found {found}")
                return None
            for name in _PLACEHOLDER.findall(item) if isinstance(item, str) else ():
                if not _PLACEHOLDER_NAME.match(name):
                    bad = "{{" + name + "}}"
                    message = f"expected a placeholder like {{{{amount}}}}, found {bad}"
                    self.problem("invalid_placeholder", path, message)
        return tuple(items) if isinstance(raw, list) else raw

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
        from connectplan.engine.expression import ALWAYS

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
