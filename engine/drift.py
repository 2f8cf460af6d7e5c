"""What a plan requires of every connected account, and how one account compares with it.

:func:`account_expectations` reads a :class:`~engine.resolution.Resolution`: the structured API
settings (:class:`~engine.catalog.ApiSetting`) of the chosen options and of the active steps that
create or update a connected account or its Balance Settings, keeping each parameter whose value
is concrete (a ``{{placeholder}}`` is the user's, never the plan's). :func:`compare_account` checks
one account, given as a plain mapping in Stripe's response shape, against them. Both are pure.

The API family is the plan's: ``v2`` when an active step creates accounts with
``POST /v2/core/accounts``, else ``v1`` when one creates them with ``POST /v1/accounts`` (the 2024
edition, controller properties). Settings of the other family are ignored.

Mapping from a request parameter to the account field it sets (the response shape of
``GET /v2/core/accounts/{id}`` with ``include``, or of ``GET /v1/accounts``):

======================================================================  ============================================
parameter (``POST /v2/core/accounts``, ``/v2/core/accounts/{id}``)       account field (v2)
======================================================================  ============================================
``dashboard``                                                            ``dashboard``
``defaults.responsibilities.fees_collector`` / ``losses_collector``      the same path
``configuration.C.capabilities.X[.Y].requested: true``                   ``configuration.C.capabilities.X[.Y]`` present
any ``configuration.C.…``                                                ``applied_configurations`` holds ``C``
``payments.…`` of ``POST /v1/balance_settings`` (Stripe-Account)          ``balance_settings.payments.…``
======================================================================  ============================================

======================================================================  ============================================
parameter (``POST /v1/accounts``, ``/v1/accounts/{account}``)            account field (v1)
======================================================================  ============================================
``controller.…`` (dashboard type, fees payer, losses, requirements)      the same path
``capabilities.X.requested: true``                                       ``capabilities.X`` present (its status)
``tos_acceptance.service_agreement``                                     the same path
``settings.payouts.…``                                                   the same path
``payments.payouts.schedule.interval`` (Balance Settings)                ``settings.payouts.schedule.interval``
``payments.debit_negative_balances`` (Balance Settings)                  ``settings.payouts.debit_negative_balances``
======================================================================  ============================================

The requirements collector is never a create parameter in v2 (Stripe derives it from the losses
collector and the dashboard): when the catalog has the rule ``platform_collects_requirements``,
the plan expects ``application`` where that rule fires and ``stripe`` where it does not, at
``defaults.responsibilities.requirements_collector`` (v2) or ``controller.requirement_collection``
(v1). When two sources ask one field for different values, the chosen option of the decision that
owns the field (:data:`OWNERS`: dashboard, fee_payer, liability) wins; otherwise the plan is ambiguous
there: the field is listed in :attr:`AccountExpectations.ambiguous` and not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectplan.engine.catalog import ApiSetting
    from connectplan.engine.resolution import Resolution

__all__ = [
    "DRIFT",
    "MATCH",
    "OBJECT_TYPES",
    "UNKNOWN",
    "AccountCheck",
    "AccountExpectations",
    "Ambiguity",
    "Difference",
    "Expectation",
    "account_expectations",
    "compare_account",
    "plan_api",
]

MATCH, DRIFT, UNKNOWN = "match", "drift", "unknown"
#: ``Expectation.kind``: the field equals the value; the capability is present; the list holds the value
EQUALS, REQUESTED, INCLUDES = "equals", "requested", "includes"
#: the rule whose firing makes the platform the requirements collector
REQUIREMENTS_RULE = "platform_collects_requirements"
#: the object type each family's account response carries in ``object``
OBJECT_TYPES = {"v1": "account", "v2": "v2.core.account"}

_PLACEHOLDER = re.compile(r"^\{\{[^{}]*\}\}$")
_ACCOUNT_PATHS = {
    "v1": ("/v1/accounts", "/v1/accounts/{}"),
    "v2": ("/v2/core/accounts", "/v2/core/accounts/{}"),
}
_BALANCE_SETTINGS = "/v1/balance_settings"
_V1_BALANCE_FIELDS = {
    "payments.payouts.schedule.interval": "settings.payouts.schedule.interval",
    "payments.debit_negative_balances": "settings.payouts.debit_negative_balances",
}
_V1_FIELDS = ("controller.", "tos_acceptance.service_agreement", "settings.payouts.")
#: the decision that owns a field: when sources disagree, the chosen option of this property wins
#: (another option's setting naming the field is a note about a combination, e.g. dashboard.express's
#: "losses_collector = stripe with dashboard = express needs 2026-11-18.endive")
OWNERS = {
    "dashboard": "dashboard",
    "defaults.responsibilities.fees_collector": "fee_payer",
    "defaults.responsibilities.losses_collector": "liability",
    "controller.stripe_dashboard.type": "dashboard",
    "controller.fees.payer": "fee_payer",
    "controller.losses.payments": "liability",
}
_V2_FIELDS = ("dashboard", "defaults.responsibilities.fees_collector", "defaults.responsibilities.losses_collector")


@dataclass(frozen=True)
class Expectation:
    """One thing every connected account must satisfy.

    ``field`` is a dotted path in the account's response document; ``kind`` is ``equals`` (the
    field holds ``value``), ``requested`` (the capability at ``field`` is present: it was requested)
    or ``includes`` (the list at ``field`` holds ``value``); ``needed_by`` names what asks for it
    (``option dashboard.express``, ``step create_accounts_v2``, ``rule platform_collects_requirements``).
    """

    field: str
    value: str | bool
    kind: str = EQUALS
    needed_by: tuple[str, ...] = ()

    @property
    def shown(self) -> str | bool:
        """The plan's value as reports show it."""
        return "requested" if self.kind == REQUESTED else self.value


@dataclass(frozen=True)
class Ambiguity:
    """A field two sources of the plan ask different values for; not checked. ``values``: ``(value, needed_by)``."""

    field: str
    values: tuple[tuple[str | bool, tuple[str, ...]], ...]


@dataclass(frozen=True)
class AccountExpectations:
    """What a plan requires of every connected account; ``api`` is ``v1`` or ``v2``."""

    api: str
    expectations: tuple[Expectation, ...]
    ambiguous: tuple[Ambiguity, ...] = ()

    @property
    def needs_balance_settings(self) -> bool:
        """True when a v2 plan sets payout settings, read from each account's Balance Settings."""
        return any(e.field.startswith("balance_settings.") for e in self.expectations)


@dataclass(frozen=True)
class Difference:
    """A field of an account that is not what the plan needs: the plan's value, the account's, and why."""

    field: str
    expected: str | bool
    actual: Any
    needed_by: tuple[str, ...]


@dataclass(frozen=True)
class AccountCheck:
    """One account compared with the plan: ``status`` ``match``, ``drift`` or ``unknown`` (cannot judge).

    ``differences`` are the drifting fields; ``unjudged`` the reasons some fields (or the whole
    account) could not be judged. An account with a difference drifts even if other fields are unjudged.
    """

    account: str
    status: str
    differences: tuple[Difference, ...] = ()
    unjudged: tuple[str, ...] = ()


def plan_api(res: Resolution) -> str | None:
    """The Accounts API family the plan creates accounts with (``v2`` before ``v1``), or None."""
    families = {
        a.api
        for s in res.steps
        for a in s.step.api
        if a.method == "POST" and a.api in _ACCOUNT_PATHS and a.path == _ACCOUNT_PATHS[a.api][0]
    }
    return "v2" if "v2" in families else "v1" if "v1" in families else None


def account_expectations(res: Resolution) -> AccountExpectations | None:
    """What every connected account of the plan must satisfy, or None when no step creates accounts."""
    api = plan_api(res)
    if api is None:
        return None
    # (field, kind, the value for a list that must hold several) -> value -> what needs it
    wanted: dict[tuple[str, str, str], dict[str | bool, list[str]]] = {}

    def want(field: str, kind: str, value: str | bool, source: str) -> None:
        key = (field, kind, str(value) if kind == INCLUDES else "")
        sources = wanted.setdefault(key, {}).setdefault(value, [])
        if source not in sources:
            sources.append(source)

    sources: list[tuple[str, ApiSetting]] = []
    for prop in res.catalog.properties:
        chosen = res.selection_dict.get(prop.id)
        ids = (chosen,) if isinstance(chosen, str) else tuple(chosen or ())
        for option in prop.options:
            if option.id in ids:
                sources += [(f"option {prop.id}.{option.id}", a) for a in option.api]
    sources += [(f"step {s.step.id}", a) for s in res.steps for a in s.step.api]
    for source, setting in sources:
        for field, kind, value in _fields(api, setting):
            want(field, kind, value, source)
    if any(r.id == REQUIREMENTS_RULE for r in res.catalog.rules):
        fires = any(f.rule.id == REQUIREMENTS_RULE for f in res.findings)
        field = (
            "controller.requirement_collection" if api == "v1" else "defaults.responsibilities.requirements_collector"
        )
        want(field, EQUALS, "application" if fires else "stripe", f"rule {REQUIREMENTS_RULE}")
    expectations: list[Expectation] = []
    ambiguous: list[Ambiguity] = []
    for (field, kind, _), values in sorted(wanted.items()):
        owner = OWNERS.get(field)
        if len(values) > 1 and owner:
            owned = {v: by for v, by in values.items() if any(b.startswith(f"option {owner}.") for b in by)}
            values = owned if len(owned) == 1 else values
        if len(values) == 1:
            ((value, by),) = values.items()
            expectations.append(Expectation(field, value, kind, tuple(by)))
        else:
            ordered = sorted(values.items(), key=lambda item: str(item[0]))
            ambiguous.append(Ambiguity(field, tuple((v, tuple(by)) for v, by in ordered)))
    return AccountExpectations(api, tuple(expectations), tuple(ambiguous))


def _fields(api: str, setting: ApiSetting) -> Iterable[tuple[str, str, str | bool]]:
    """``(field, kind, value)`` an API setting asks of every account of family ``api``."""
    if setting.method != "POST":
        return
    path = re.sub(r"\{[^{}]*\}", "{}", setting.path)
    if path == _BALANCE_SETTINGS and setting.stripe_account:
        for name, value in _concrete(setting.params):
            if api == "v2":
                yield f"balance_settings.{name}", EQUALS, value
            elif name in _V1_BALANCE_FIELDS:
                yield _V1_BALANCE_FIELDS[name], EQUALS, value
        return
    if setting.api != api or path not in _ACCOUNT_PATHS[api]:
        return
    if api == "v2":
        for name, _value in setting.params:
            if name.startswith("configuration.") and name.count(".") >= 2:
                yield "applied_configurations", INCLUDES, name.split(".")[1]
    for name, value in _concrete(setting.params):
        if name.endswith(".requested") and value is True and _is_capability(api, name):
            yield name.removesuffix(".requested"), REQUESTED, True
        elif (api == "v2" and name in _V2_FIELDS) or (api == "v1" and name.startswith(_V1_FIELDS)):
            yield name, EQUALS, value


def _is_capability(api: str, name: str) -> bool:
    parts = name.split(".")
    if api == "v1":
        return parts[0] == "capabilities" and len(parts) == 3
    return parts[0] == "configuration" and len(parts) >= 5 and parts[2] == "capabilities"


def _concrete(params: Iterable[tuple[str, Any]]) -> Iterable[tuple[str, str | bool]]:
    """The parameters whose value the plan fixes: a text that is not a placeholder, or a boolean."""
    for name, value in params:
        if isinstance(value, bool) or (isinstance(value, str) and not _PLACEHOLDER.match(value)):
            yield name, value


_MISSING = object()


def compare_account(account: Any, expected: AccountExpectations) -> AccountCheck:
    """One account (a mapping in Stripe's response shape) compared with the plan's expectations.

    Cannot judge (``unknown``) an account that is not a mapping, has no text ``id`` or another
    ``object`` type than the family's; a field whose parent object is missing from the response is
    unjudged (its reason listed) while the other fields are still compared.
    """
    if not isinstance(account, Mapping):
        return AccountCheck("?", UNKNOWN, unjudged=(f"not an account object but {type(account).__name__}",))
    ident = account.get("id")
    name = ident if isinstance(ident, str) and ident else "?"
    if name == "?":
        return AccountCheck(name, UNKNOWN, unjudged=("the object has no id",))
    kind = account.get("object")
    if kind != OBJECT_TYPES[expected.api]:
        want = OBJECT_TYPES[expected.api]
        return AccountCheck(name, UNKNOWN, unjudged=(f"object is {kind!r}, not {want!r} (an unknown shape)",))
    differences: list[Difference] = []
    unjudged: list[str] = []
    for e in expected.expectations:
        actual = _lookup(account, e.field, present_leaf=e.kind == REQUESTED)
        if actual is _MISSING:
            unjudged.append(f"{e.field}: not in the response (a parent object is missing or not included)")
            continue
        differs, shown = _differs(e, actual)
        if differs:
            differences.append(Difference(e.field, e.shown, shown, e.needed_by))
    status = DRIFT if differences else UNKNOWN if unjudged else MATCH
    return AccountCheck(name, status, tuple(differences), tuple(unjudged))


def _lookup(doc: Mapping[str, Any], field: str, *, present_leaf: bool) -> Any:
    """The value at ``field``; ``_MISSING`` when an object on the way is absent from the document.

    A parent that is present but null (a configuration not applied) reads as None at the leaf;
    so does an absent leaf. For a capability (``present_leaf``) an absent node anywhere below the
    first level reads as None (not requested), since the response leaves such objects out.
    """
    parts = field.split(".")
    node: Any = doc
    for depth, part in enumerate(parts):
        if node is None:
            return None
        if not isinstance(node, Mapping):
            return _MISSING
        if part not in node:
            last = depth == len(parts) - 1
            return None if last or (present_leaf and depth > 0) else _MISSING
        node = node[part]
    return node


def _differs(e: Expectation, actual: Any) -> tuple[bool, Any]:
    """``(True, the account's value as reports show it)`` when ``actual`` does not satisfy ``e``."""
    if e.kind == REQUESTED:
        if isinstance(actual, Mapping):
            return (False, None) if actual.get("status") is not None else (True, "no status")
        if isinstance(actual, str):  # a v1 capability is its status text
            return False, None
        return True, "not requested" if actual is None else actual
    if e.kind == INCLUDES:
        if isinstance(actual, list | tuple):
            return e.value not in actual, list(actual)
        return True, actual
    return actual != e.value, actual
