"""Checking API settings (method, path, dotted parameters) against the official ``stripe`` package.

The ``stripe`` Python package is generated from Stripe's OpenAPI definitions; its services
(``stripe/_account_service.py``, ``stripe/v2/core/_account_service.py`` ...) make each request with
``self._request("post", "/v2/core/accounts", ...)`` in a method whose ``params`` argument is
annotated with a typed request-parameters ``TypedDict`` (``stripe/params/...``). This module reads
those service modules with :mod:`ast` to map every ``(METHOD, path)`` to its parameters type, then
walks each dotted parameter name through the ``TypedDict`` s and checks its value.

What the package defines is read by :mod:`connectplan.stripe_sdk`; this module checks requests against it.

Pinned SDK: ``stripe==16.1.0`` (the ``test`` extra), whose API version
(``stripe._api_version._ApiVersion.CURRENT``) is ``2026-10-28.endive``; a test asserts both, so a
bump is deliberate. ``stripe`` is imported inside the functions that need it, never at import time.

Path matching: placeholders are matched by position, not by name, so a catalog's
``/v1/accounts/{account}/login_links`` (or ``{id}``, or ``{{connected_account_id}}``) matches the SDK's
``"/v1/accounts/{account}/login_links".format(...)`` and ``f"/v1/accounts/{sanitize_id(account)}"``:
every ``{...}`` or ``{{...}}`` becomes ``{}`` on both sides (:func:`normalise_path`); everything else
must be equal.

Values: a leaf typed ``Literal[...]`` (also ``Union[Literal[...], str]``, the SDK's open enums) takes
one of the literals; ``Literal[""]`` beside other types marks a parameter that ``""`` empties; ``bool``
takes true/false, ``int`` a whole number (not a bool), ``float`` and ``Decimal`` a number, ``str`` a
string; a ``List[...]`` takes a list (its items checked, an item that is a mapping field by field); a
``Dict[str, X]`` (``metadata``) takes any key. A placeholder ``{{name}}`` is accepted for any type. An
object is never given whole at a name: name its fields (``defaults.currency``). Request options
(``stripe_account``, ``stripe_version``, ``idempotency_key`` ...) are not parameters. An event
destination's ``enabled_events``, typed as any strings, take the event types the package knows for
its ``event_payload`` (:func:`sdk_event_types`).

Anything newer than the pinned SDK is accepted only through :data:`ALLOWED`, each entry naming the
exact request, parameter, enum value or combination of values and the Stripe changelog that introduced
it; a request using an entry must state ``stripe_version`` at least the entry's version, and a
``stripe_version`` newer than the SDK's is accepted only for a request that uses an entry. An entry
marked ``removed`` names what Stripe removed before the SDK's version, for an older ``stripe_version``.
When two services make the same request (``DELETE /v1/customers/{}/sources/{}``) a name or value any of
their parameter types accepts passes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectplan.stripe_sdk import (
    _fields,
    _index,
    _installed_version,
    _request_option_keys,
    _required,
    _Shape,
    _shape,
    normalise_path,
    sdk_api_version,
    sdk_event_types,
    sdk_requests,
)

if TYPE_CHECKING:
    from connectplan.engine import Catalog, Problem
    from connectplan.engine.catalog import ApiSetting

__all__ = [
    "ALLOWED",
    "SDK_API_VERSION",
    "SDK_VERSION",
    "Allowance",
    "RequestProblem",
    "api_settings",
    "check_catalog",
    "check_request",
    "normalise_path",
    "sdk_api_version",
    "sdk_event_types",
    "sdk_requests",
]

#: The ``stripe`` package version this check is written against (pinned in pyproject's ``test`` extra).
SDK_VERSION = "16.1.0"
#: That package's API version, ``stripe._api_version._ApiVersion.CURRENT``.
SDK_API_VERSION = "2026-10-28.endive"

METHODS = ("GET", "POST", "DELETE")
APIS = ("v1", "v2")

_PLACEHOLDER = re.compile(r"\{\{[A-Za-z_][A-Za-z0-9_]*\}\}")
_API_VERSION = re.compile(r"^(\d{4}-\d{2}-\d{2})(\.[a-z]+)?$")  # 2024-06-20, 2026-11-18.endive
#: the requestor methods a service calls with ``(method, path, ...)``


@dataclass(frozen=True)
class Allowance:
    """One thing the pinned SDK lacks, accepted on the word of a Stripe changelog.

    ``param`` empty: the request ``method path`` itself. ``param`` set and ``value`` None: a new
    parameter, taking ``takes`` (``string``, ``list of strings``, ``true or false`` or ``whole number``).
    ``value`` set: a new enum value of ``param``. ``combination``: no new name, but values the SDK
    knows that become valid together at ``api_version`` (the pairs must all be in the request for the
    allowance to apply). ``api_version`` is the version that introduced the thing; with ``removed`` it
    is the version (not newer than the SDK's) that removed it, and a request naming it must state an
    older ``stripe_version`` (an older edition's parameter).
    """

    method: str
    path: str
    api_version: str
    changelog: str
    param: str = ""
    value: str | None = None
    combination: tuple[tuple[str, str], ...] = ()
    takes: str = "string"
    removed: bool = False

    def __str__(self) -> str:
        if self.combination:
            thing = " + ".join(f"{n}={v}" for n, v in self.combination)
        elif self.value is not None:
            thing = f"{self.param}={self.value}"
        else:
            thing = self.param or "(the request)"
        when = f"removed in {self.api_version}" if self.removed else self.api_version
        return f"{self.method} {self.path} {thing} (API {when}: {self.changelog})"


_AL_DASHBOARD = "https://docs.stripe.com/changelog/endive/2026-11-18/dashboard-access-use-case-account-links-v2"
_EXPRESS_V2 = "https://docs.stripe.com/changelog/endive/2026-11-18/express-accounts-v2-stripe-owned-pricing-negative-balance-liability"
_EXPRESS_V1 = "https://docs.stripe.com/changelog/endive/2026-11-18/express-accounts-v1-stripe-owned-pricing-negative-balance-liability"

#: Everything newer than the pinned SDK that a catalog (or a blueprint) may name. Keep it short and
#: honest: a test fails when the SDK already knows an entry's name or value.
ALLOWED: tuple[Allowance, ...] = (
    Allowance(
        "POST", "/v2/core/account_links", "2026-11-18.endive", _AL_DASHBOARD, "use_case.type", "account_dashboard"
    ),
    Allowance(
        "POST", "/v2/core/account_links", "2026-11-18.endive", _AL_DASHBOARD, "use_case.account_dashboard.refresh_url"
    ),
    Allowance(
        "POST",
        "/v2/core/accounts",
        "2026-11-18.endive",
        _EXPRESS_V2,
        combination=(("dashboard", "express"), ("defaults.responsibilities.losses_collector", "stripe")),
    ),
    Allowance(
        "POST",
        "/v1/accounts",
        "2026-11-18.endive",
        _EXPRESS_V1,
        combination=(("controller.stripe_dashboard.type", "express"), ("controller.losses.payments", "stripe")),
    ),
)


@dataclass(frozen=True)
class RequestProblem:
    """One thing wrong with a request: ``code``, the dotted parameter (or ``""``) and a one-line message.

    Codes: ``unknown_api``, ``unknown_method``, ``unknown_request``, ``unknown_param``,
    ``request_option``, ``not_a_leaf`` (an object given whole, or a name through a list),
    ``unknown_value`` (an enum value), ``wrong_type``, ``missing_param`` (``complete=True`` only),
    ``api_version``.
    """

    code: str
    param: str
    message: str

    def __str__(self) -> str:
        return self.message


# ---------------------------------------------------------------------------------------------------
# Checking a request


def _resolve_params_classes(key: tuple[str, str]) -> list[type | None]:
    import importlib

    out: dict[type | None, None] = {}
    for req in _index()[key]:
        out[getattr(importlib.import_module(req.params_module), req.params_class) if req.params_module else None] = None
    return list(out)


def _version_date(version: str) -> str:
    m = _API_VERSION.match(version)
    return m.group(1) if m else ""


_LIST_AT_MOST = 30  # enum values a message lists


class _Check:
    """State of one :func:`check_request` call."""

    def __init__(self, method: str, path: str, label: str, allowed: tuple[Allowance, ...]) -> None:
        self.method, self.path, self.label, self.allowances = method, normalise_path(path), label, allowed
        self.problems: list[RequestProblem] = []
        self.used: list[Allowance] = []

    def problem(self, code: str, param: str, message: str) -> None:
        self.problems.append(RequestProblem(code, param, f"{self.label}: {message}"))

    def allowed(self, param: str, value: Any = None) -> Allowance | None:
        for entry in self.allowances:
            if (entry.method, normalise_path(entry.path), entry.param) != (self.method, self.path, param):
                continue
            if entry.combination or (entry.value is not None) != (value is not None):
                continue
            if entry.value is None or entry.value == value:
                self.used.append(entry)
                return entry
        return None

    def name(self, roots: list[type], name: str, prefix: str = "") -> _Shape | None:
        """The shape at dotted ``name`` below ``roots``, or None after reporting why it has none.

        ``prefix`` (``line_items[0].``) goes before the names in messages: ``roots`` are a list item's.
        """
        shape = _shape(roots)
        walked: list[str] = [prefix.removesuffix(".")] if prefix else []
        full = prefix + name
        for part in name.split("."):
            here = ".".join(walked)
            fields = [_fields(cls) for cls in shape.objects]
            found = [f[part] for f in fields if part in f] + list(shape.maps)
            if not found:
                if shape.anything:
                    return _Shape(anything=True)
                if fields:
                    known = sorted({k for f in fields for k in f})
                    near = difflib.get_close_matches(part, known, n=1)
                    hint = f"; did you mean {'.'.join([*walked, near[0]])!r}?" if near else ""
                    where = f" (no field {part!r} in {here!r})" if here else ""
                    if not here and part in _request_option_keys():
                        self.problem(
                            "request_option",
                            full,
                            f"{full!r} is a request option, not a parameter"
                            + (" (use stripe_account: true)" if part == "stripe_account" else ""),
                        )
                        return None
                    self.problem("unknown_param", full, f"unknown parameter {full!r}{where}{hint}")
                elif shape.lists:
                    self.problem(
                        "not_a_leaf", full, f"{here!r} is a list: give the whole list as its value, not {full!r}"
                    )
                else:
                    self.problem(
                        "unknown_param", full, f"unknown parameter {full!r}: {here!r} takes {shape.describe()}"
                    )
                return None
            walked.append(part)
            shape = _shape(found)
        return shape

    def value(self, name: str, shape: _Shape, value: Any) -> None:
        if isinstance(value, str) and _PLACEHOLDER.fullmatch(value):
            return
        if shape.anything or (value == "" and shape.emptyable):
            return
        if isinstance(value, Mapping):
            if shape.objects or shape.maps:
                self.problem("not_a_leaf", name, f"{name!r} is given as a whole object: name its fields ({name}.FIELD)")
            else:
                self.problem("wrong_type", name, f"{name!r} takes {shape.describe()}, not an object")
            return
        if isinstance(value, (list, tuple)):
            if not shape.lists:
                self.problem("wrong_type", name, f"{name!r} takes {shape.describe()}, not a list")
                return
            items = _shape(shape.lists)
            for i, item in enumerate(value):
                if isinstance(item, Mapping) and items.objects:
                    self.item(f"{name}[{i}]", list(items.objects), item)
                else:
                    self.value(f"{name}[{i}]", items, item)
            return
        if isinstance(value, str) and shape.literals:
            if value in [v for v in shape.literals if isinstance(v, str)] or self.allowed(name.split("[")[0], value):
                return
            strings = [v for v in shape.literals if isinstance(v, str)]
            if len(strings) > _LIST_AT_MOST:  # an enum of hundreds (event types): the nearest, not the list
                near = difflib.get_close_matches(value, strings, n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                self.problem("unknown_value", name, f"{name!r} takes one of {len(strings)} values, not {value!r}{hint}")
                return
            choices = ", ".join(repr(v) for v in shape.literals)
            self.problem("unknown_value", name, f"{name!r} takes one of {choices}, not {value!r}")
            return
        if _scalar_fits(value, shape):
            return
        if shape.objects and not shape.scalars and not shape.literals:
            self.problem("not_a_leaf", name, f"{name!r} is an object: name its fields ({name}.FIELD)")
            return
        self.problem("wrong_type", name, f"{name!r} takes {shape.describe()}, not {_kind(value)} {value!r}")

    def item(self, name: str, classes: list[type], item: Mapping[str, Any]) -> None:
        """A list item given as a mapping: each of its keys (nested mappings flattened) is checked."""
        for key, value in _flatten(item):
            shape = self.name(classes, key, f"{name}.")
            if shape is not None:
                self.value(f"{name}.{key}", shape, value)

    def missing(self, roots: list[type], names: Iterable[str]) -> None:
        given = list(names)
        objects: dict[str, tuple[type, ...]] = {"": tuple(c for c in roots)}
        for name in given:
            parts = name.split(".")
            shape = _shape(roots)
            for i, part in enumerate(parts[:-1]):
                fields = [_fields(c) for c in shape.objects if part in _fields(c)]
                if not fields:
                    break
                shape = _shape([f[part] for f in fields])
                objects[".".join(parts[: i + 1])] = shape.objects
        for prefix, classes in objects.items():
            if len(classes) != 1:
                continue  # a union of objects: which one is meant is not known
            for key in sorted(_required(classes[0])):
                full = f"{prefix}.{key}" if prefix else key
                if not any(n == full or n.startswith(full + ".") for n in given):
                    self.problem("missing_param", full, f"missing required parameter {full!r}")


def _scalar_fits(value: Any, shape: _Shape) -> bool:
    import decimal

    if isinstance(value, bool):
        return bool in shape.scalars or value in [v for v in shape.literals if isinstance(v, bool)]
    if isinstance(value, int):
        return bool(shape.scalars & {int, float, decimal.Decimal})
    if isinstance(value, float):
        return bool(shape.scalars & {float, decimal.Decimal})
    if isinstance(value, str):
        return bool(shape.scalars & {str, decimal.Decimal})
    return False


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "the number"
    return "the string" if isinstance(value, str) else type(value).__name__


def _flatten(body: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in body.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, name + ".")
        else:
            yield name, value


def check_request(
    api: str,
    method: str,
    path: str,
    params: Mapping[str, Any] | Iterable[tuple[str, Any]] = (),
    *,
    stripe_version: str = "",
    complete: bool = False,
    allowed: Iterable[Allowance] = ALLOWED,
) -> list[RequestProblem]:
    """Problems of one request against the installed ``stripe`` package (empty: the SDK knows it all).

    ``api`` is ``v1`` or ``v2``, ``method`` ``GET``/``POST``/``DELETE``, ``path`` Stripe's path with
    ids as placeholders (``/v1/accounts/{account}/login_links``), ``params`` dotted names -> values (a
    mapping or ``(name, value)`` pairs). ``stripe_version``: the API version the request needs.
    ``complete``: the parameters are a whole request body, so required ones must be present (off for
    catalog settings, which name only what a decision sets). ``allowed``: what is accepted beyond the
    SDK (default :data:`ALLOWED`). Each message starts ``METHOD path:``.

    >>> check_request("v2", "POST", "/v2/core/accounts", {"dashboard": "full"})
    []
    >>> [p.message for p in check_request("v2", "POST", "/v2/core/accounts", {"dashbord": "full"})]
    ["POST /v2/core/accounts: unknown parameter 'dashbord'; did you mean 'dashboard'?"]
    """
    method = method.upper()
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    ck = _Check(method, path, f"{method} {path}", tuple(allowed))
    if api not in APIS:
        ck.problem("unknown_api", "", f"api {api!r} is not one of {', '.join(APIS)}")
    elif not path.startswith(f"/{api}/"):
        ck.problem("unknown_api", "", f"the path does not start with /{api}/")
    if method not in METHODS:
        ck.problem("unknown_method", "", f"method {method!r} is not one of {', '.join(METHODS)}")
    key = (method, ck.path)
    if key not in _index():
        if not ck.allowed(""):
            near = difflib.get_close_matches(ck.path, [p for m, p in _index() if m == method], n=1)
            hint = f"; did you mean {method} {near[0]}?" if near else ""
            ck.problem("unknown_request", "", f"no such request in stripe {_installed_version()}{hint}")
        _check_version(ck, key, pairs, stripe_version)
        return ck.problems
    roots = _resolve_params_classes(key)
    classes = [c for c in roots if c is not None]
    for name, value in pairs:
        if not classes:
            ck.problem("unknown_param", name, f"the SDK has no typed parameters for this request ({name!r})")
            continue
        entry = ck.allowed(name)
        if entry is not None:
            if not _TAKES.get(entry.takes, _is_str)(value) and not _PLACEHOLDER.fullmatch(str(value)):
                ck.problem("wrong_type", name, f"{name!r} takes {entry.takes}, not {_kind(value)} {value!r}")
            continue
        shape = ck.name(list(classes), name)
        if shape is not None:
            ck.value(name, shape, value)
    if complete and classes:
        ck.missing(classes, [n for n, _ in pairs])
    if key in _EVENT_TYPE_REQUESTS:
        _check_event_types(ck, pairs)
    _check_version(ck, key, pairs, stripe_version)
    return ck.problems


#: Requests whose ``enabled_events`` the SDK types as any string: their event types are checked
#: against the SDK's event types (:func:`sdk_event_types`) for the request's ``event_payload``.
_EVENT_TYPE_REQUESTS = frozenset({("POST", "/v2/core/event_destinations"), ("POST", "/v2/core/event_destinations/{}")})


def _check_event_types(ck: _Check, pairs: list[tuple[str, Any]]) -> None:
    given = dict(pairs)
    events, payload = given.get("enabled_events"), given.get("event_payload")
    if not isinstance(events, (list, tuple)):
        return
    payloads = [payload] if payload in ("snapshot", "thin") else ["snapshot", "thin"]
    known = frozenset().union(*(sdk_event_types(p) for p in payloads))
    for i, event in enumerate(events):
        if not isinstance(event, str) or event in known or _PLACEHOLDER.fullmatch(event):
            continue
        near = difflib.get_close_matches(event, sorted(known), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        what = f"a {payload} event type" if len(payloads) == 1 else "an event type"
        ck.problem("unknown_value", f"enabled_events[{i}]", f"{event!r} is not {what} stripe knows{hint}")


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


#: what an allow-listed new parameter takes (:attr:`Allowance.takes`)
_TAKES: dict[str, Callable[[Any], bool]] = {
    "string": _is_str,
    "list of strings": lambda v: isinstance(v, (list, tuple)) and all(isinstance(i, str) for i in v),
    "true or false": lambda v: isinstance(v, bool),
    "whole number": lambda v: isinstance(v, int) and not isinstance(v, bool),
}


def _check_version(ck: _Check, key: tuple[str, str], pairs: list[tuple[str, Any]], stripe_version: str) -> None:
    """``stripe_version`` against the SDK's API version and the allowances the request used."""
    given = dict(pairs)
    for entry in ck.allowances:
        if entry.combination and (entry.method, normalise_path(entry.path)) == key:
            if all(given.get(n) == v for n, v in entry.combination):
                ck.used.append(entry)
    if stripe_version and not _version_date(stripe_version):
        ck.problem("api_version", "", f"stripe_version {stripe_version!r} is not an API version (2026-11-18.endive)")
        return
    for entry in dict.fromkeys(ck.used):
        if entry.removed:
            if not stripe_version or _version_date(stripe_version) >= _version_date(entry.api_version):
                ck.problem(
                    "api_version",
                    entry.param,
                    f"{entry} needs a stripe_version before {entry.api_version} (given: {stripe_version or 'none'})",
                )
        elif not stripe_version or _version_date(stripe_version) < _version_date(entry.api_version):
            ck.problem(
                "api_version",
                entry.param,
                f"{entry} needs stripe_version {entry.api_version} or later (given: {stripe_version or 'none'})",
            )
    sdk = sdk_api_version()
    if stripe_version and _version_date(stripe_version) > _version_date(sdk) and all(e.removed for e in ck.used):
        ck.problem(
            "api_version",
            "",
            f"stripe_version {stripe_version} is newer than the SDK's {sdk} and the request uses nothing "
            "allow-listed: add an allowance with its changelog, or bump the pinned stripe package",
        )


# ---------------------------------------------------------------------------------------------------
# Catalogs


def api_settings(catalog: Catalog) -> Iterator[tuple[str, ApiSetting]]:
    """``(where, setting)`` for every structured API setting naming a request, in catalog order.

    ``where`` is ``option PROPERTY.OPTION api[i]`` or ``step STEP api[i]`` (``i`` counts every entry).
    Legacy string settings and text-only entries are skipped: they name no request.
    """
    for prop in catalog.properties:
        for option in prop.options:
            yield from _requests(f"option {prop.id}.{option.id}", option.api)
    for step in catalog.steps:
        yield from _requests(f"step {step.id}", step.api)


def _requests(owner: str, settings: Iterable[ApiSetting]) -> Iterator[tuple[str, ApiSetting]]:
    for i, setting in enumerate(settings):
        if setting.structured and setting.is_request:
            yield f"{owner} api[{i}]", setting


def check_catalog(catalog: Catalog, source: str = "") -> list[Problem]:
    """Every API setting of ``catalog`` checked by :func:`check_request`, as :class:`engine.Problem` s.

    ``source`` (a file name) defaults to ``NAME@EDITION``; a problem's path names the option or step
    and the setting (``option dashboard.full api[0]``), its message the request and the parameter;
    its code is ``sdk_`` + the :class:`RequestProblem` code.
    """
    from connectplan.engine import Problem

    source = source or f"{catalog.name}@{catalog.edition}"
    out: list[Problem] = []
    for where, setting in api_settings(catalog):
        for p in check_request(
            setting.api, setting.method, setting.path, setting.params, stripe_version=setting.stripe_version
        ):
            out.append(Problem(source, where, p.message, code=f"sdk_{p.code}"))
    return out
