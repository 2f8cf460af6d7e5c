"""What the installed ``stripe`` package defines: the requests its services make and their typed parameters.

The ``stripe`` Python package is generated from Stripe's OpenAPI definitions; its services
(``stripe/_account_service.py``, ``stripe/v2/core/_account_service.py`` ...) make each request with
``self._request("post", "/v2/core/accounts", ...)`` in a method whose ``params`` argument is
annotated with a typed request-parameters ``TypedDict`` (``stripe/params/...``). This module reads
those service modules with :mod:`ast` to map every ``(METHOD, path)`` to its parameters type
(:func:`sdk_requests`), turns a parameter's annotation into the shapes a value may take, and lists the
event types the package knows (:func:`sdk_event_types`). :mod:`connectplan.stripe_api` checks
requests against it. ``stripe`` is imported inside the functions that need it, never at import time.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["normalise_path", "sdk_api_version", "sdk_event_types", "sdk_requests"]

_PATH_PLACEHOLDER = re.compile(r"\{\{?[^{}/]*\}?\}")
_REQUEST_CALLS = frozenset({"_request", "_request_async", "_request_stream", "_request_stream_async"})


def normalise_path(path: str) -> str:
    """``path`` with every ``{name}`` / ``{{name}}`` placeholder as ``{}``: the form requests are matched in.

    >>> normalise_path("/v1/accounts/{{connected_account_id}}/login_links")
    '/v1/accounts/{}/login_links'
    """
    return _PATH_PLACEHOLDER.sub("{}", path)


def sdk_api_version() -> str:
    """The API version of the installed ``stripe`` package."""
    from stripe._api_version import _ApiVersion

    return str(_ApiVersion.CURRENT)


@dataclass(frozen=True)
class _SdkRequest:
    service: str  # e.g. "v2/core/_account_service.py:AccountService.create"
    params_module: str  # "" when the method takes no typed parameters
    params_class: str


@lru_cache(maxsize=1)
def _index() -> dict[tuple[str, str], tuple[_SdkRequest, ...]]:
    """``(METHOD, normalised path) -> the service methods making it``, read from every ``*_service.py``."""
    import stripe

    root = Path(stripe.__file__).resolve().parent
    found: dict[tuple[str, str], dict[_SdkRequest, None]] = {}
    for path in sorted(root.rglob("*_service.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.asname or alias.name: (node.module, alias.name)
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
            for alias in node.names
        }
        rel = path.relative_to(root).as_posix()
        for cls in tree.body:
            if not isinstance(cls, ast.ClassDef):
                continue
            for fn in cls.body:
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                typed = _params_type(fn, imported)
                for call in ast.walk(fn):
                    key = _request_key(call)
                    if key is not None:
                        label = f"{rel}:{cls.name}.{fn.name.removesuffix('_async')}"  # create and create_async
                        found.setdefault(key, {})[_SdkRequest(label, *typed)] = None
    return {key: tuple(reqs) for key, reqs in found.items()}


def _params_type(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, imported: Mapping[str, tuple[str, str]]
) -> tuple[str, str]:
    """(module, class) of the ``TypedDict`` annotating ``fn``'s ``params`` argument; ("", "") if none."""
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    annotation = next((a.annotation for a in args if a.arg == "params" and a.annotation is not None), None)
    if annotation is None:
        return "", ""
    for node in ast.walk(annotation):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in imported:
            return imported[node.value]
    return "", ""  # Mapping[str, Any]: untyped


def _request_key(node: ast.AST) -> tuple[str, str] | None:
    """``("POST", "/v1/accounts/{}")`` for a ``self._request("post", PATH, ...)`` call, else None."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _REQUEST_CALLS
        and len(node.args) >= 2
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return None
    path = node.args[1]
    if isinstance(path, ast.Call) and isinstance(path.func, ast.Attribute) and path.func.attr == "format":
        path = path.func.value  # "/v1/accounts/{account}".format(account=...)
    if isinstance(path, ast.Constant) and isinstance(path.value, str):
        text = path.value
    elif isinstance(path, ast.JoinedStr):  # f"/v2/core/events/{sanitize_id(id)}"
        text = "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in path.values)
    else:
        return None
    return node.args[0].value.upper(), normalise_path(text)


def sdk_requests() -> dict[tuple[str, str], tuple[str, ...]]:
    """Every request the installed SDK makes: ``(METHOD, normalised path) -> (params class, ...)``.

    Each class is named ``module:Class`` (``stripe.params.v2.core._account_create_params:AccountCreateParams``),
    or ``""`` for a method without typed parameters. Derived from the service modules, not a table.
    """
    return {
        key: tuple(dict.fromkeys(f"{r.params_module}:{r.params_class}" if r.params_module else "" for r in reqs))
        for key, reqs in _index().items()
    }


# ---------------------------------------------------------------------------------------------------
# Types: a parameter's annotation as the set of shapes a value may take


@dataclass(frozen=True)
class _Shape:
    literals: tuple[Any, ...] = ()
    scalars: frozenset[type] = frozenset()  # str, int, float, bool, Decimal
    lists: tuple[Any, ...] = ()  # item types
    maps: tuple[Any, ...] = ()  # value types of Dict[str, X]
    objects: tuple[type, ...] = ()  # TypedDict classes
    anything: bool = False
    emptyable: bool = False  # Literal[""]|X: "" unsets the parameter

    def describe(self) -> str:
        """``one of 'a', 'b'``, ``true or false``, ``a whole number or a list`` ...: for messages."""
        names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}
        scalars = self.scalars - {str} if self.literals else self.scalars  # an open enum reads as its values
        parts = [f"one of {', '.join(repr(v) for v in self.literals)}"] if self.literals else []
        parts += [names.get(t, "a decimal number") for t in sorted(scalars, key=lambda t: t.__name__)]
        parts += ["a list"] * bool(self.lists) + ["an object"] * bool(self.objects or self.maps)
        return " or ".join(parts) or "anything"


@lru_cache(maxsize=None)
def _request_option_keys() -> frozenset[str]:
    from stripe._request_options import RequestOptions

    return frozenset(RequestOptions.__annotations__)


@lru_cache(maxsize=None)
def _fields(cls: type) -> dict[str, Any]:
    """A ``TypedDict``'s fields with annotations resolved in its module (those of ``RequestOptions`` left out)."""
    import sys
    from typing import get_type_hints

    from stripe._request_options import RequestOptions

    inherited = RequestOptions.__annotations__
    own = {k: v for k, v in cls.__annotations__.items() if not (k in inherited and v is inherited[k])}
    # get_type_hints(cls) itself evaluates the inherited RequestOptions annotations in the wrong module
    shim = type(cls.__name__, (), {"__annotations__": own, "__module__": cls.__module__})
    return get_type_hints(shim, globalns=vars(sys.modules[cls.__module__]))


@lru_cache(maxsize=None)
def _required(cls: type) -> frozenset[str]:
    return frozenset(getattr(cls, "__required_keys__", frozenset()))  # RequestOptions' keys are all optional


def _shape(types: Iterable[Any]) -> _Shape:
    import decimal
    import types as pytypes
    import typing

    from typing_extensions import is_typeddict

    literals: list[Any] = []
    scalars: set[type] = set()
    lists: list[Any] = []
    maps: list[Any] = []
    objects: dict[type, None] = {}
    anything = False
    pending = list(types)
    while pending:
        tp = pending.pop(0)
        origin = typing.get_origin(tp)
        if origin is typing.Union or origin is pytypes.UnionType:
            pending.extend(typing.get_args(tp))
        elif origin is typing.Literal:
            literals.extend(typing.get_args(tp))
        elif tp is type(None):
            continue
        elif tp in (str, int, float, bool) or tp is decimal.Decimal:
            scalars.add(tp)
        elif origin in (list, tuple, set) or (origin is not None and getattr(origin, "__name__", "") == "Sequence"):
            lists.append(typing.get_args(tp)[0] if typing.get_args(tp) else Any)
        elif origin is dict or (origin is not None and getattr(origin, "__name__", "") == "Mapping"):
            maps.append(typing.get_args(tp)[1] if typing.get_args(tp) else Any)
        elif isinstance(tp, type) and is_typeddict(tp):
            objects[tp] = None
        elif tp is Any:
            anything = True
        # anything else (UntypedStripeObject[...] beside a Dict) adds nothing a catalog can name
    emptyable = "" in literals and bool(len(literals) > 1 or scalars or lists or maps or objects)
    if emptyable:
        literals = [v for v in literals if v != ""]
    if not (literals or scalars or lists or maps or objects):
        anything = True
    unique = tuple(dict.fromkeys(literals))
    return _Shape(unique, frozenset(scalars), tuple(lists), tuple(maps), tuple(objects), anything, emptyable)


@lru_cache(maxsize=2)
def sdk_event_types(payload: str) -> frozenset[str]:
    """The event types the installed ``stripe`` package knows for an event destination's ``payload``:
    ``snapshot`` the v1 types (the webhook endpoint's ``enabled_events`` enum, ``payment_intent.succeeded``),
    ``thin`` the thin types it has classes for (``v2.core.account[requirements].updated``, ``v1.payout.paid``).

    >>> "v2.core.account[requirements].updated" in sdk_event_types("thin")
    True
    >>> "account.updated" in sdk_event_types("snapshot"), "v2.core.account.updated" in sdk_event_types("snapshot")
    (True, False)
    """
    if payload == "thin":
        from stripe.events._event_classes import _V2_EVENT_NOTIFICATION_CLASS_LOOKUP

        return frozenset(_V2_EVENT_NOTIFICATION_CLASS_LOOKUP)
    from stripe.params._webhook_endpoint_create_params import WebhookEndpointCreateParams

    listed = _shape([_fields(WebhookEndpointCreateParams)["enabled_events"]])
    return frozenset(str(v) for v in _shape(listed.lists).literals)


def _installed_version() -> str:
    import stripe

    return str(stripe.VERSION)
