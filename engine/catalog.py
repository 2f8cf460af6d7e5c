"""Catalog records, their canonical document form and content hash.

A catalog edition is data (see ``docs/catalog-format.md``). :func:`engine.loading.catalog_from_dict`
validates a parsed document into these immutable records; :func:`catalog_to_dict` is its inverse.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from connectplan.engine.catalog_ref import CatalogRef
from connectplan.engine.errors import SelectionError
from connectplan.engine.expression import Choice, Expr, Term, format_expression
from connectplan.engine.severity import Severity

__all__ = [
    "API_FAMILIES",
    "FORMAT",
    "HTTP_METHODS",
    "PHASES",
    "SECTIONS",
    "ApiSetting",
    "ApiValue",
    "Assignment",
    "Catalog",
    "ChangelogEntry",
    "Flow",
    "Option",
    "Party",
    "Preset",
    "Property",
    "RenameDefault",
    "Renames",
    "Responsibility",
    "Rule",
    "Step",
    "catalog_to_dict",
    "content_hash",
]

FORMAT = "connectplan-catalog/1"
PHASES = ("prerequisites", "accounts", "payments", "fees", "dashboard", "risk", "payouts", "operations")
#: A property's lifecycle section, in Stripe's order (lists of properties are grouped in this order).
SECTIONS = ("business", "accounts", "payments", "fees", "payouts", "risk", "operations")
#: The Stripe API family of a structured API setting, and the HTTP methods a setting may name.
API_FAMILIES = ("v1", "v2")
HTTP_METHODS = ("GET", "POST", "DELETE")
BASES = ("stated", "implied", "inference")
FLOW_KINDS = ("charge", "stripe_fee", "application_fee", "transfer", "payout", "refund", "dispute", "recovery")
#: Flow kinds drawn only on request (``--include refunds,disputes``).
REVERSE_FLOW_KINDS = ("refund", "dispute", "recovery")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_EDITION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: ``choice`` of a property: exactly one option, or a set of options within ``min``..``max``.
CHOICES = ("one", "many")
#: A link a catalog may carry (step ``url``, option ``docs``, the start of each ``source`` part): http(s) only.
_URL = re.compile(r"https?://[^\s<>\"'`\\]+")


@dataclass(frozen=True)
class Party:
    id: str
    title: str
    summary: str = ""


#: A parameter value of a structured API setting: text, a whole number, a boolean, or a list of those.
ApiValue = str | int | bool | tuple[str | int | bool, ...]


@dataclass(frozen=True)
class ApiSetting:
    """One API setting of an option or a step: ``text`` is the line people read.

    A structured setting (``structured=True``) that names a request carries its ``api`` family
    (``v1`` / ``v2``), ``method``, ``path`` (ids as ``{placeholders}``), ``params`` (dotted
    parameter names with their values, in the order written; a list value is a tuple),
    ``stripe_account`` (sent with the ``Stripe-Account`` header) and ``stripe_version`` (the API
    version it needs); one with only ``text`` states a fact that is not a request. A legacy plain
    string loads as ``ApiSetting(text, structured=False)`` and is written back as that string.

    >>> ApiSetting("v1 type = express", structured=False).to_doc()
    'v1 type = express'
    >>> ApiSetting("v1 type", "v1", "POST", "/v1/accounts", (("type", "express"),)).to_doc()["params"]
    {'type': 'express'}
    """

    text: str
    api: str = ""
    method: str = ""
    path: str = ""
    params: tuple[tuple[str, ApiValue], ...] = ()
    stripe_account: bool = False
    stripe_version: str = ""
    structured: bool = True

    def __str__(self) -> str:
        return self.text

    @property
    def is_request(self) -> bool:
        """True when the setting names an API request (a method and a path), not only a fact."""
        return bool(self.method and self.path)

    def to_doc(self) -> str | dict[str, Any]:
        """The setting as written in a catalog file: the plain string of a legacy setting, else a mapping."""
        if not self.structured:
            return self.text
        doc: dict[str, Any] = {"text": self.text}
        for key in ("api", "method", "path"):
            if getattr(self, key):
                doc[key] = getattr(self, key)
        if self.params:
            doc["params"] = {name: list(v) if isinstance(v, tuple) else v for name, v in self.params}
        if self.stripe_account:
            doc["stripe_account"] = True
        if self.stripe_version:
            doc["stripe_version"] = self.stripe_version
        return doc


@dataclass(frozen=True)
class Option:
    """One option of a property. ``pending`` marks "not decided yet" (a saved plan may hold it; it
    is reported as an open decision); ``exclusive`` (multi-choice properties) one chosen alone."""

    id: str
    title: str
    summary: str = ""
    best_for: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    api: tuple[ApiSetting, ...] = ()
    docs: tuple[str, ...] = ()
    pending: bool = False
    exclusive: bool = False


@dataclass(frozen=True)
class Property:
    """A question of the catalog. A single-choice property (``choice="one"``) takes exactly one
    option; a multi-choice one (``choice="many"``) a set of ``min_options`` to ``max_options``."""

    id: str
    title: str
    question: str
    options: tuple[Option, ...]
    choice: str = "one"
    min_options: int = 1
    max_options: int = 1
    #: the lifecycle section (one of :data:`SECTIONS`), or "" when the catalog does not group
    section: str = ""

    @property
    def multi(self) -> bool:
        return self.choice == "many"

    @property
    def pending_option(self) -> str | None:
        """The id of the property's pending ("not decided yet") option, or None."""
        return next((o.id for o in self.options if o.pending), None)

    @property
    def required(self) -> bool:
        """True when the property must be decided: it has no pending option."""
        return self.pending_option is None

    def is_pending(self, value: Choice) -> bool:
        """True when ``value`` (an option id, or a set for a multi-choice property) leaves the property open."""
        pending = self.pending_option
        if pending is None:
            return False
        return value == pending if isinstance(value, str) else pending in value

    def choose(self, value: Any, *, where: str) -> Choice:
        """``value`` as this property's choice: an option id, or for a multi-choice property the
        tuple of chosen ids in declaration order (from a list, a tuple or comma-separated text;
        a repeated id counts once).

        Raises
        ------
        SelectionError
            For an unknown id, several ids for a single-choice property, a count outside
            ``min_options``..``max_options``, or an exclusive option chosen with others (code
            ``exclusive_option``); ``where`` (a catalog reference) goes into the message.
        """
        if not self.multi and isinstance(value, str) and self.option(value) is not None:
            return value  # the common case, kept cheap: resolving checks every property
        ids = self.option_ids
        if not self.multi:
            if not isinstance(value, str):
                raise SelectionError(
                    f"property {self.id!r} in {where} takes exactly one option, not {_shown(value)}; "
                    f"set {self.id}=OPTION with one of: {', '.join(ids)}",
                    field=self.id,
                )
            if value not in ids:
                raise SelectionError(
                    f"unknown option {value!r} for property {self.id!r} in {where}; options: {', '.join(ids)}",
                    code="unknown_option",
                    field=self.id,
                )
            return value
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple, set, frozenset)) or not all(isinstance(i, str) for i in items):
            raise SelectionError(
                f"property {self.id!r} in {where} takes a list of option ids, not {_shown(value)}; "
                f"set {self.id}=A,B with options from: {', '.join(ids)}",
                field=self.id,
            )
        chosen = {i.strip() for i in items if i.strip()}
        for item in sorted(chosen):
            if item not in ids:
                raise SelectionError(
                    f"unknown option {item!r} for property {self.id!r} in {where}; options: {', '.join(ids)}",
                    code="unknown_option",
                    field=self.id,
                )
        if not self.min_options <= len(chosen) <= self.max_options:
            bounds = (
                f"at least {self.min_options}"
                if self.max_options == len(ids)
                else f"{self.min_options} to {self.max_options}"
            )
            got = ", ".join(o for o in ids if o in chosen) or "none"
            raise SelectionError(
                f"property {self.id!r} in {where} takes {bounds} of its options, got {len(chosen)} ({got}); "
                f"set {self.id}=A,B (comma-separated) with options from: {', '.join(ids)}"
            )
        if len(chosen) > 1:
            alone = next((o.id for o in self.options if o.exclusive and o.id in chosen), None)
            if alone is not None:
                others = ", ".join(o for o in ids if o in chosen and o != alone)
                raise SelectionError(
                    f"property {self.id!r} in {where}: option {alone!r} is chosen alone, not with {others}; "
                    f"set {self.id}={alone} or leave {alone} out",
                    code="exclusive_option",
                )
        return tuple(o for o in ids if o in chosen)

    def option(self, option_id: str) -> Option | None:
        for opt in self.options:
            if opt.id == option_id:
                return opt
        return None

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)


@dataclass(frozen=True)
class Rule:
    id: str
    condition: Expr
    severity: str
    message: str
    alternative: str = ""
    source: str = ""
    basis: str = "stated"
    basis_note: str = ""

    @property
    def condition_text(self) -> str:
        return format_expression(self.condition)

    @property
    def rank(self) -> Severity:
        """The rule's severity on the verdict scale (``info`` ranks with ``allowed``)."""
        return Severity.parse(self.severity)


@dataclass(frozen=True)
class Step:
    id: str
    order: int
    phase: str
    core: bool
    condition: Expr
    prereqs: tuple[str, ...]
    title: str
    body: str = ""
    url: str = ""
    title_source: str = ""
    #: where the step's facts come from when that is not ``url``, and how firmly (``stated`` ...)
    source: str = ""
    basis: str = ""
    basis_note: str = ""
    #: the API settings the step makes (optional)
    api: tuple[ApiSetting, ...] = ()

    @property
    def condition_text(self) -> str:
        return format_expression(self.condition)


@dataclass(frozen=True)
class Flow:
    id: str
    from_party: str
    to_party: str
    what: str
    kind: str
    condition: Expr
    note: str = ""

    @property
    def is_reverse(self) -> bool:
        return self.kind in REVERSE_FLOW_KINDS


@dataclass(frozen=True)
class Assignment:
    party: str
    condition: Expr
    note: str = ""


@dataclass(frozen=True)
class Responsibility:
    id: str
    title: str
    assignments: tuple[Assignment, ...]


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    selection: tuple[tuple[str, Choice], ...]
    reasoning: str = ""
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenameDefault:
    """A choice ``plan upgrade`` fills in for a property new in this edition: ``option`` (a tuple
    for a multi-choice property) when ``when`` holds for the carried-over selection (None: always)."""

    property: str
    option: Choice
    because: str
    when: Expr | None = None


@dataclass(frozen=True)
class Renames:
    """Ids renamed since an older edition: ``options`` maps ``prop.old`` to ``prop.new``;
    ``defaults`` fill in properties the older edition did not have (first match per property)."""

    options: tuple[tuple[str, str], ...] = ()
    steps: tuple[tuple[str, str], ...] = ()
    defaults: tuple[RenameDefault, ...] = ()


@dataclass(frozen=True)
class ChangelogEntry:
    """What one revision of an edition changed."""

    revision: int
    date: str
    changes: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Catalog:
    """One immutable catalog edition. Equality is by content (:func:`content_hash`)."""

    name: str
    edition: str
    title: str
    properties: tuple[Property, ...]
    rules: tuple[Rule, ...]
    steps: tuple[Step, ...]
    parties: tuple[Party, ...] = ()
    flows: tuple[Flow, ...] = ()
    responsibilities: tuple[Responsibility, ...] = ()
    presets: tuple[Preset, ...] = ()
    description: str = ""
    renames: Renames = field(default_factory=Renames)
    revision: int = 1
    changelog: tuple[ChangelogEntry, ...] = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Catalog) and self.content_hash == other.content_hash

    def __hash__(self) -> int:
        return hash(self.content_hash)

    def __repr__(self) -> str:
        return f"<Catalog {self.ref}>"

    @property
    def ref(self) -> str:
        """``name@edition``."""
        return f"{self.name}@{self.edition}"

    @property
    def revision_ref(self) -> str:
        """``name@edition.rN``: this exact revision of the edition."""
        return f"{self.name}@{self.edition}.r{self.revision}"

    @property
    def catalog_ref(self) -> CatalogRef:
        """This exact revision as a :class:`~engine.catalog_ref.CatalogRef` (``str()`` is :attr:`revision_ref`)."""
        return CatalogRef(self.name, self.edition, self.revision)

    @cached_property
    def content_hash(self) -> str:
        return content_hash(self)

    @cached_property
    def property_index(self) -> dict[str, Property]:
        return {p.id: p for p in self.properties}

    @cached_property
    def step_index(self) -> dict[str, Step]:
        return {s.id: s for s in self.steps}

    @cached_property
    def rule_index(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    @cached_property
    def preset_index(self) -> dict[str, Preset]:
        return {p.id: p for p in self.presets}

    @cached_property
    def party_index(self) -> dict[str, Party]:
        return {p.id: p for p in self.parties}

    def party_title(self, party_id: str) -> str:
        party = self.party_index.get(party_id)
        return party.title if party else party_id

    def option_title(self, term: Term) -> str:
        prop = self.property_index.get(term.prop)
        opt = prop.option(term.option) if prop else None
        return opt.title if opt else str(term)


# ---------------------------------------------------------------------------
# Serialisation


def _expr_text(expr: Expr) -> str:
    return format_expression(expr)


def catalog_to_dict(catalog: Catalog) -> dict[str, Any]:
    """The catalog as a plain document in the file format (keys in schema order).

    ``catalog_from_dict(catalog_to_dict(c))`` equals ``c``.
    """
    doc: dict[str, Any] = {
        "format": FORMAT,
        "name": catalog.name,
        "edition": catalog.edition,
        "title": catalog.title,
    }
    # revision 1 without a changelog serialises (and hashes) exactly as before revisions existed
    if catalog.revision != 1:
        doc["revision"] = catalog.revision
    if catalog.changelog:
        doc["changelog"] = [
            {"revision": c.revision, "date": c.date, "changes": list(c.changes)} for c in catalog.changelog
        ]
    if catalog.description:
        doc["description"] = catalog.description
    renames = catalog.renames
    if renames.options or renames.steps or renames.defaults:
        doc["renames"] = {"options": dict(renames.options), "steps": dict(renames.steps)}
        if renames.defaults:
            doc["renames"]["defaults"] = [_default_doc(d) for d in renames.defaults]
    doc["parties"] = [{"id": p.id, "title": p.title, "summary": p.summary} for p in catalog.parties]
    doc["properties"] = [
        {
            "id": p.id,
            "title": p.title,
            "question": p.question,
            # new keys are emitted only when set, so catalogs without them hash as before
            **({"section": p.section} if p.section else {}),
            **({"choice": p.choice, "min": p.min_options, "max": p.max_options} if p.multi else {}),
            "options": [
                {
                    "id": o.id,
                    "title": o.title,
                    **({"pending": True} if o.pending else {}),
                    **({"exclusive": True} if o.exclusive else {}),
                    "summary": o.summary,
                    "best_for": list(o.best_for),
                    "examples": list(o.examples),
                    "api": [a.to_doc() for a in o.api],
                    "docs": list(o.docs),
                }
                for o in p.options
            ],
        }
        for p in catalog.properties
    ]
    doc["rules"] = [
        {
            "id": r.id,
            "condition": _expr_text(r.condition),
            "severity": r.severity,
            "message": r.message,
            "alternative": r.alternative,
            "source": r.source,
            "basis": r.basis,
            "basis_note": r.basis_note,
        }
        for r in catalog.rules
    ]
    doc["steps"] = [
        {
            "id": s.id,
            "order": s.order,
            "phase": s.phase,
            "core": s.core,
            "condition": _expr_text(s.condition),
            "prereqs": list(s.prereqs),
            "title": s.title,
            "title_source": s.title_source,
            "body": s.body,
            "url": s.url,
            # optional and emitted only when set, so catalogs without them hash as before
            **{k: v for k, v in (("source", s.source), ("basis", s.basis), ("basis_note", s.basis_note)) if v},
            **({"api": [a.to_doc() for a in s.api]} if s.api else {}),
        }
        for s in catalog.steps
    ]
    doc["flows"] = [
        {
            "id": f.id,
            "from": f.from_party,
            "to": f.to_party,
            "what": f.what,
            "kind": f.kind,
            "condition": _expr_text(f.condition),
            "note": f.note,
        }
        for f in catalog.flows
    ]
    doc["responsibilities"] = [
        {
            "id": r.id,
            "title": r.title,
            "assignments": [
                {"party": a.party, "condition": _expr_text(a.condition), "note": a.note} for a in r.assignments
            ],
        }
        for r in catalog.responsibilities
    ]
    doc["presets"] = [
        {
            "id": p.id,
            "title": p.title,
            "examples": list(p.examples),
            "reasoning": p.reasoning,
            "selection": {prop: _choice_doc(value) for prop, value in p.selection},
        }
        for p in catalog.presets
    ]
    return doc


def _choice_doc(value: Choice) -> str | list[str]:
    return value if isinstance(value, str) else list(value)


def _default_doc(default: RenameDefault) -> dict[str, Any]:
    doc: dict[str, Any] = {"property": default.property, "option": _choice_doc(default.option)}
    if default.when is not None:
        doc["when"] = format_expression(default.when)
    doc["because"] = default.because
    return doc


def content_hash(catalog: Catalog) -> str:
    """``sha256:`` of the canonical JSON of :func:`catalog_to_dict` (stable across runs)."""
    text = json.dumps(catalog_to_dict(catalog), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _shown(value: Any) -> str:
    """A bad selection value in an error message: ids joined with commas, never a tuple's repr."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return repr(
            ",".join(sorted(str(v) for v in value))
            if isinstance(value, (set, frozenset))
            else ",".join(str(v) for v in value)
        )
    return repr(value)
