"""The API blueprint of a resolution: the requests the integration makes, grouped by its steps.

Each active step's structured API settings (:class:`~engine.catalog.ApiSetting` naming a method
and a path) become requests, in step order; the chosen options' settings then fill in what they
decide (``dashboard = express`` replaces the step's ``{{dashboard}}``, ``charge_type.direct`` adds
the merchant configuration to the account creation, the embedded components join the Account
Session). A request keeps its reasons: the steps and the options that contributed to it.

Merging, deterministically and without knowledge of any one request:

- Two settings are *the same request* when method, path (placeholders matched by position) and
  the ``Stripe-Account`` flag agree. A value conflicts with another when both are literal and
  differ, or both are different placeholders; a literal fills a placeholder.
- A step's setting whose text starts with ``or`` is an alternative to the step's earlier setting of
  the same request: the one that best matches the chosen options is kept, and the names only the
  other one has are *excluded* from the request (``application_fee_amount`` *or* a fixed
  ``transfer_data[amount]``).
- A setting joins an earlier step's request when they do not conflict. For the requests that
  configure one object (:data:`CONFIGURING`: the account, the Account Session, Balance Settings;
  and for the steps' settings the charge's PaymentIntent, :data:`CHARGES`) a name either side
  lacks is added and of two placeholders the earlier one stays; any other request (a transfer, a
  payout, a refund) joins only one whose names are a subset or superset of its own, the names
  only one side has being placeholders.
- An option's setting never makes a request of its own: it joins the request of the same kind it
  matches best (most names in common), or is left out (a ``v1 equivalent`` in a v2 plan, the
  direct-charge variant in a destination plan). Options with one setting for a request apply
  first, then those listing several (alternatives such as the Express account with and without
  Stripe-owned losses), so an alternative never overrides another decision.

Values only the user knows are placeholders ``{{name}}`` (ids in paths become
``{{connected_account_id}}``, ``{{transfer_id}}`` ...); nothing is invented. Two things follow from
the plan's choices rather than one setting: the event destination's ``enabled_events`` are the
event types the plan needs (:mod:`connectplan.engine.blueprint_events`), and an always-on step's
optional feature (:data:`OPTIONAL_FEATURES`: the Instant Payout) is requested only when the plan
chose it (the deciding option, else an option or a step whose condition holds calls for it).

>>> from connectplan.engine.loading import catalog_from_dict
>>> from connectplan.engine.resolution import resolve
>>> cat = catalog_from_dict({
...     "format": "connectplan-catalog/1", "name": "demo", "edition": "1", "title": "Demo",
...     "properties": [{"id": "dash", "title": "Dashboard", "options": [
...         {"id": "full", "title": "Full", "api": [{"text": "full", "api": "v2", "method": "POST",
...          "path": "/v2/core/accounts", "params": {"dashboard": "full"}}]},
...         {"id": "none", "title": "None"}]}], "rules": [],
...     "steps": [{"id": "create", "order": 1, "phase": "accounts", "condition": "always", "title": "Create",
...                "api": [{"text": "account", "api": "v2", "method": "POST", "path": "/v2/core/accounts",
...                         "params": {"dashboard": "{{dashboard}}", "contact_email": "{{email}}"}}]}]})
>>> bp = build_blueprint(resolve(cat, {"dash": "full"}))
>>> [(r.number, r.method, r.path, dict(r.params), r.options) for r in bp.requests]
[(1, 'POST', '/v2/core/accounts', {'dashboard': 'full', 'contact_email': '{{email}}'}, ('dash.full',))]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectplan.engine.blueprint_events import V1_THIN_EVENTS_SINCE, PlanEvents, enabled_events, plan_events
from connectplan.engine.expression import Always

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from connectplan.engine.catalog import ApiSetting, ApiValue, Catalog, Step
    from connectplan.engine.expression import Choice, Term
    from connectplan.engine.resolution import Resolution

__all__ = [
    "CHARGES",
    "CONFIGURING",
    "FEATURE_DECISIONS",
    "OPTIONAL_FEATURES",
    "Blueprint",
    "BlueprintGroup",
    "BlueprintRequest",
    "build_blueprint",
    "is_placeholder",
    "placeholder_name",
    "request_path",
]

#: Requests that configure one object per account or per charge (method, path with ``{}`` for ids):
#: settings of several steps and options merge into one of these.
CONFIGURING = frozenset(
    {
        ("POST", "/v1/accounts"),
        ("POST", "/v1/accounts/{}"),
        ("POST", "/v2/core/accounts"),
        ("POST", "/v2/core/accounts/{}"),
        ("POST", "/v1/account_sessions"),
        ("POST", "/v1/balance_settings"),
    }
)
#: The charge: the settings of several steps merge into it (the charge type's, the fee's, ``on_behalf_of``),
#: but an option's setting only joins one it fits as a subset or superset (an option lists the
#: variants for every charge type: the application fee of a direct or destination charge never
#: joins a separate charge).
CHARGES = frozenset({("POST", "/v1/payment_intents")})

_PLACEHOLDER = re.compile(r"^\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}$")
_PATH_ID = re.compile(r"\{\{?([^{}/]*)\}?\}")
_API_VERSION = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def is_placeholder(value: object) -> bool:
    """True for a value only the user knows, written ``{{name}}``."""
    return isinstance(value, str) and _PLACEHOLDER.match(value) is not None


def placeholder_name(value: str) -> str:
    """``amount`` for ``{{amount}}``.

    >>> placeholder_name("{{connected_account_id}}")
    'connected_account_id'
    """
    m = _PLACEHOLDER.match(value)
    if m is None:
        raise ValueError(f"not a placeholder: {value!r}")
    return m.group(1)


def request_path(path: str) -> str:
    """``path`` with each id as a named placeholder: the connected account's id under ``accounts``,
    else the singular of the segment before it with ``_id``.

    >>> request_path("/v1/accounts/{account}/login_links"), request_path("/v1/transfers/{id}/reversals")
    ('/v1/accounts/{{connected_account_id}}/login_links', '/v1/transfers/{{transfer_id}}/reversals')
    """
    parts = path.split("/")
    out = []
    for i, part in enumerate(parts):
        m = _PATH_ID.fullmatch(part)
        if m is None:
            out.append(part)
            continue
        if part.startswith("{{") and _PLACEHOLDER.match(part):
            out.append(part)
            continue
        before = parts[i - 1] if i else ""
        name = "connected_account_id" if before == "accounts" else f"{before.removesuffix('s') or 'object'}_id"
        out.append("{{" + name + "}}")
    return "/".join(out)


def _key(setting: ApiSetting) -> tuple[str, str, bool]:
    return setting.method.upper(), _PATH_ID.sub("{}", setting.path), setting.stripe_account


def _later_version(a: str, b: str) -> str:
    """The later of two API versions (``""`` is none)."""
    if not a or not b:
        return a or b
    da, db = (m.group(1) if (m := _API_VERSION.match(v)) else "" for v in (a, b))
    return b if db > da else a


@dataclass(frozen=True)
class BlueprintRequest:
    """One request: ``params`` are dotted names with values in the order first written (a list is a
    tuple); ``path`` names its ids as placeholders; ``stripe_version`` is the API version it needs
    (``""``: any); ``steps`` and ``options`` (``property.option``) are why it is made, ``texts``
    the catalog's lines for the settings merged into it."""

    number: int
    api: str
    method: str
    path: str
    params: tuple[tuple[str, ApiValue], ...]
    stripe_account: bool
    stripe_version: str
    step: str
    steps: tuple[str, ...]
    options: tuple[str, ...]
    texts: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        """(method, path with ``{}`` for ids): what the request is, whatever its values."""
        return self.method, _PATH_ID.sub("{}", self.path)

    def body(self) -> dict[str, Any]:
        """The parameters as a nested mapping (``a.b`` -> ``{"a": {"b": ...}}``; lists as lists)."""
        out: dict[str, Any] = {}
        for name, value in self.params:
            *parents, leaf = name.split(".")
            node = out
            for part in parents:
                nxt = node.setdefault(part, {})
                if not isinstance(nxt, dict):  # a value and an object under one name: keep the value
                    break
                node = nxt
            else:
                node[leaf] = list(value) if isinstance(value, tuple) else value
        return out

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The names of the values only the user knows, in order: path ids, the account header, parameters."""
        names: dict[str, None] = {}
        for part in self.path.split("/"):
            if is_placeholder(part):
                names[placeholder_name(part)] = None
        if self.stripe_account:
            names["connected_account_id"] = None
        for _, value in self.params:
            for item in value if isinstance(value, tuple) else (value,):
                if is_placeholder(item):
                    names[placeholder_name(str(item))] = None
        return tuple(names)


@dataclass(frozen=True)
class BlueprintGroup:
    """An active step with the requests it makes (``requests``) and the earlier requests it adds
    parameters to (``extends``, their numbers)."""

    step: Step
    because: tuple[Term, ...]
    requests: tuple[BlueprintRequest, ...]
    extends: tuple[int, ...] = ()


@dataclass(frozen=True)
class Blueprint:
    """The requests of a resolution, grouped by step in step order (steps making no request left out);
    ``subject`` names the plan version it was made for (None: a what-if selection)."""

    catalog: Catalog
    selection: tuple[tuple[str, Choice], ...]
    groups: tuple[BlueprintGroup, ...]
    subject: str | None = None

    @property
    def described(self) -> str:
        """``plan acme@3 (stripe-connect@2026-12)`` or ``a what-if selection (...)``."""
        who = f"plan {self.subject}" if self.subject else "a what-if selection"
        return f"{who} ({self.catalog.ref})"

    @property
    def requests(self) -> tuple[BlueprintRequest, ...]:
        return tuple(r for g in self.groups for r in g.requests)

    @property
    def placeholders(self) -> tuple[str, ...]:
        """Every placeholder name, in first-use order."""
        return tuple(dict.fromkeys(n for r in self.requests for n in r.placeholders))


@dataclass
class _Draft:
    setting: ApiSetting
    params: dict[str, ApiValue]
    version: str
    step: str
    steps: list[str]
    options: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    excluded: set[str] = field(default_factory=set)
    extended_by: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, bool]:
        return _key(self.setting)

    def fits(self, setting: ApiSetting, *, by_option: bool = False) -> int | None:
        """How many names ``setting`` shares with this request when it may join it, else None."""
        if _key(setting) != self.key:
            return None
        configuring = self.key[:2] in CONFIGURING or (self.key[:2] in CHARGES and not by_option)
        shared = 0
        one_sided: list[ApiValue] = []
        for name, value in setting.params:
            if name in self.excluded:
                return None
            if name not in self.params:
                one_sided.append(value)
                continue
            mine = self.params[name]
            if mine != value:
                if not is_placeholder(mine) and not is_placeholder(value):
                    return None  # two literals
                if is_placeholder(mine) and is_placeholder(value) and not configuring:
                    return None  # two different values only the user knows
            shared += 1
        if not configuring:
            names = {n for n, _ in setting.params}
            mine_only = [v for n, v in self.params.items() if n not in names]
            if one_sided and mine_only:
                return None  # neither a subset nor a superset
            if not all(is_placeholder(v) for v in (*one_sided, *mine_only)):
                return None
        return shared

    def merge(self, setting: ApiSetting) -> None:
        for name, value in setting.params:
            if name not in self.params or (is_placeholder(self.params[name]) and not is_placeholder(value)):
                self.params[name] = value
        self.version = _later_version(self.version, setting.stripe_version)
        if setting.text not in self.texts:
            self.texts.append(setting.text)


def _requests(settings: Iterable[ApiSetting]) -> list[ApiSetting]:
    return [s for s in settings if s.structured and s.is_request]


def _is_alternative(setting: ApiSetting) -> bool:
    return setting.text.lstrip().lower().startswith("or ")


def _step_choices(
    settings: list[ApiSetting], chosen: list[tuple[str, list[ApiSetting]]]
) -> Iterator[tuple[ApiSetting, frozenset[str]]]:
    """The step's settings with each ``or`` alternative resolved: (setting, names excluded)."""
    runs: list[list[ApiSetting]] = []
    for s in settings:
        if _is_alternative(s) and runs and _key(runs[-1][0]) == _key(s):
            runs[-1].append(s)
        else:
            runs.append([s])
    for run in runs:
        if len(run) == 1:
            yield run[0], frozenset()
            continue
        best = max(run, key=lambda s: (_called_for(s, run, chosen), -run.index(s)))
        names = {n for n, _ in best.params}
        yield best, frozenset(n for s in run if s is not best for n, _ in s.params if n not in names)


def _called_for(setting: ApiSetting, run: list[ApiSetting], chosen: list[tuple[str, list[ApiSetting]]]) -> int:
    """How many chosen options call for ``setting`` rather than its alternatives: they have a
    setting of the same request naming every parameter only ``setting`` of ``run`` names."""
    others = {n for s in run if s is not setting for n, _ in s.params}
    own = {n for n, _ in setting.params} - others
    if not own:
        return 0
    return sum(
        any(_key(c) == _key(setting) and own <= {n for n, _ in c.params} for c in settings) for _, settings in chosen
    )


def build_blueprint(res: Resolution, subject: str | None = None) -> Blueprint:
    """The blueprint of ``res``: the requests its active steps and chosen options make (see the module)."""
    cat = res.catalog
    chosen: list[tuple[str, list[ApiSetting]]] = []
    for prop_id, value in res.selection:
        prop = cat.property_index[prop_id]
        for opt_id in (value,) if isinstance(value, str) else value:
            option = prop.option(opt_id)
            if option is not None and not option.pending:
                chosen.append((f"{prop_id}.{opt_id}", _requests(option.api)))

    wanted = _features_called_for(res, chosen)
    drafts: list[_Draft] = []
    for active in res.steps:
        step_id = active.step.id
        for setting, excluded in _step_choices(_requests(active.step.api), chosen):
            feature = _feature(setting)
            if feature is not None and feature not in wanted:
                continue  # an optional feature the plan did not choose
            target = _best(drafts, setting, excluded)
            if target is None:
                draft = _Draft(setting, {}, "", step_id, [step_id])
                draft.merge(setting)
                draft.excluded |= excluded
                drafts.append(draft)
                continue
            target.merge(setting)
            target.excluded |= excluded
            if step_id not in target.steps:
                target.steps.append(step_id)
                if target.step != step_id:
                    target.extended_by.append(step_id)

    # options: those with one setting per request first, then those listing alternatives
    single: list[tuple[str, ApiSetting]] = []
    several: list[tuple[str, ApiSetting]] = []
    for label, settings in chosen:
        counts: dict[tuple[str, str, bool], int] = {}
        for s in settings:
            counts[_key(s)] = counts.get(_key(s), 0) + 1
        for s in settings:
            (single if counts[_key(s)] == 1 else several).append((label, s))
    for label, setting in (*single, *several):
        target = _best(drafts, setting, frozenset(), by_option=True)
        if target is not None:
            target.merge(setting)
            if label not in target.options:
                target.options.append(label)

    _fill_events(drafts, plan_events(res))
    return _assemble(res, drafts, {label: i for i, (label, _) in enumerate(chosen)}, subject)


#: Optional features a step's settings may describe (an always-on step lists what it *can* do):
#: ``(method, path, parameter, value) -> feature``. Such a setting makes a request only when the
#: plan chose the feature (:func:`_features_called_for`).
OPTIONAL_FEATURES: dict[tuple[str, str, str, ApiValue], str] = {
    ("POST", "/v1/payouts", "method", "instant"): "instant_payouts",  # https://docs.stripe.com/connect/instant-payouts
}
#: The property deciding a feature and its options that offer it: where a catalog has the property,
#: its choice alone decides (``instant_payouts = not_offered`` drops every Instant Payout, even one a
#: resale step would make).
FEATURE_DECISIONS: dict[str, tuple[str, frozenset[str]]] = {
    "instant_payouts": ("instant_payouts", frozenset({"offered_no_markup", "offered_with_markup"})),
}


def _feature(setting: ApiSetting) -> str | None:
    method, path, _ = _key(setting)
    for name, value in setting.params:
        feature = OPTIONAL_FEATURES.get((method, path, name, value))
        if feature is not None:
            return feature
    return None


def _features_called_for(res: Resolution, chosen: list[tuple[str, list[ApiSetting]]]) -> set[str]:
    """The optional features the plan chose: where the catalog has the property deciding a feature
    (:data:`FEATURE_DECISIONS`), when an option offering it is selected; otherwise when a chosen
    option or an active step with a condition (not ``always``) has a setting of the feature."""
    settings = [s for _, option_settings in chosen for s in option_settings]
    settings += [s for a in res.steps if not isinstance(a.step.condition, Always) for s in _requests(a.step.api)]
    wanted = {f for s in settings if (f := _feature(s)) is not None}
    selected = dict(res.selection)
    for feature, (prop_id, offering) in FEATURE_DECISIONS.items():
        if prop_id in res.catalog.property_index:
            value = selected.get(prop_id)
            chosen_options = {value} if isinstance(value, str) else set(value or ())
            wanted.discard(feature)
            if chosen_options & offering:
                wanted.add(feature)
    return wanted


_EVENT_RECEIVERS = frozenset({("POST", "/v1/webhook_endpoints"), ("POST", "/v2/core/event_destinations")})


def _fill_events(drafts: list[_Draft], events: PlanEvents) -> None:
    """Replace the ``{{enabled_events}}`` placeholder of the event destinations with the plan's event types."""
    receivers = [
        d
        for d in drafts
        if d.key[:2] in _EVENT_RECEIVERS
        and isinstance(d.params.get("enabled_events"), str)
        and is_placeholder(d.params["enabled_events"])
    ]

    def snapshot(d: _Draft) -> bool:
        return d.key[:2] == ("POST", "/v1/webhook_endpoints") or d.params.get("event_payload") == "snapshot"

    v1_elsewhere = any(snapshot(d) for d in receivers)
    for d in receivers:
        value = enabled_events(events, snapshot=snapshot(d), v1_elsewhere=v1_elsewhere)
        d.params["enabled_events"] = value
        if any(e.startswith("v1.") for e in value):
            d.version = _later_version(d.version, V1_THIN_EVENTS_SINCE)


def _best(
    drafts: list[_Draft], setting: ApiSetting, excluded: frozenset[str], *, by_option: bool = False
) -> _Draft | None:
    """The earlier request ``setting`` may join that shares the most names with it (the first of equals)."""
    best: tuple[int, _Draft] | None = None
    for d in drafts:
        if excluded & set(d.params):
            continue
        shared = d.fits(setting, by_option=by_option)
        if shared is not None and (best is None or shared > best[0]):
            best = (shared, d)
    return best[1] if best else None


def _assemble(res: Resolution, drafts: list[_Draft], order: dict[str, int], subject: str | None) -> Blueprint:
    number = 0
    numbers: dict[int, int] = {}
    groups: list[BlueprintGroup] = []
    own: dict[str, list[_Draft]] = {}
    for d in drafts:
        own.setdefault(d.step, []).append(d)
    for active in res.steps:
        step_id = active.step.id
        requests = []
        for d in own.get(step_id, []):
            number += 1
            numbers[id(d)] = number
            s = d.setting
            requests.append(
                BlueprintRequest(
                    number=number,
                    api=s.api,
                    method=s.method.upper(),
                    path=request_path(s.path),
                    params=tuple(d.params.items()),
                    stripe_account=s.stripe_account,
                    stripe_version=d.version,
                    step=d.step,
                    steps=tuple(d.steps),
                    options=tuple(sorted(d.options, key=order.__getitem__)),
                    texts=tuple(d.texts),
                )
            )
        extends = tuple(sorted({numbers[id(d)] for d in drafts if step_id in d.extended_by and id(d) in numbers}))
        if requests or extends:
            groups.append(BlueprintGroup(active.step, active.because, tuple(requests), extends))
    return Blueprint(res.catalog, res.selection, tuple(groups), subject)
