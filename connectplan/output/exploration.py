"""``explore``: what a partial selection still allows, as text and JSON (same input, same bytes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectplan.output.documents import propagation_document
from connectplan.output.resolution import choice_text, escape_controls, resolution_text, to_json
from connectplan.output.sections import open_properties, property_fields, section_groups, section_title

if TYPE_CHECKING:
    from connectplan.engine.propagation import Propagation

__all__ = ["exploration_document", "exploration_text", "format_exploration"]

#: the mark after a pending option ("not decided yet") in the text form
PENDING_MARK = "(not decided yet)"


def format_exploration(result: Propagation, fmt: str) -> str:
    """``explore`` in ``fmt`` (text or json)."""
    return to_json(exploration_document(result)) if fmt == "json" else exploration_text(result)


def exploration_document(result: Propagation) -> dict[str, Any]:
    """``explore --format json``: the propagation's document; each property also carries its ``section``
    (null when unset) and ``required``. For a catalog with pending options, ``open_decisions`` (after
    ``selection``) lists the properties the selection leaves pending ("not decided yet"), in catalog
    order, shaped as ``resolve``'s (``property``, ``question``, ``section``, ``options``: each real
    option's ``id`` and ``best_verdict``, here the best any completion with it can still reach). A
    catalog without pending options keeps its document's keys."""
    cat = result.catalog
    doc = propagation_document(result)
    pending = any(not p.required for p in cat.properties)
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key == "properties":
            value = [{**item, **property_fields(cat.property_index[item["id"]])} for item in value]
        out[key] = value
        if key == "selection" and pending:
            out["open_decisions"] = [
                _open_decision(result, prop_id) for prop_id in open_properties(cat, dict(result.selection))
            ]
    return out


def _open_decision(result: Propagation, prop_id: str) -> dict[str, Any]:
    prop = result.catalog.property_index[prop_id]
    status = result.property(prop_id)
    return {
        "property": prop_id,
        "question": prop.question,
        "section": prop.section or None,
        "options": [
            {"id": o.id, "best_verdict": o.best_verdict}
            for o in status.options
            if not (option := prop.option(o.id)) or not option.pending
        ],
    }


def exploration_text(result: Propagation) -> str:
    """The text form of an exploration (deterministic); properties grouped by section when the catalog has them."""
    cat = result.catalog
    out: list[str] = []
    opened = open_properties(cat, dict(result.selection))
    if result.resolution is not None:
        out.append(resolution_text(result.resolution).rstrip("\n"))
        out.append("")
        out.append("Each option below is judged with every other property kept as selected.")
    else:
        chosen = ", ".join(f"{p}={choice_text(o)}" for p, o in result.selection) or "nothing yet"
        out.append(f"Catalog:   {cat.ref}  ({cat.title})")
        out.append(f"Selection: {chosen}")
        if opened:
            out.append(f"Open decisions (not decided yet): {', '.join(opened)}")
        out.append("Each option below is judged with the other properties' choices.")
    width = max((len(o.id) for p in result.properties for o in p.options), default=0)
    status = {p.id: p for p in result.properties}
    groups = section_groups(cat, [cat.property_index[p.id] for p in result.properties])
    for section, props in groups:
        if section or len(groups) > 1:
            out.append("")
            out.append(f"== {section_title(section)} ==")
        for catalog_prop in props:
            prop = status[catalog_prop.id]
            chosen = f" = {choice_text(prop.selected)}" if prop.selected else ""
            pending = "  -- open decision, not decided yet" if prop.id in opened else ""
            out.append("")
            out.append(f"{prop.id}{chosen}  ({catalog_prop.title}){pending}")
            selected = set(prop.selected) if isinstance(prop.selected, tuple) else {prop.selected}
            for opt in prop.options:
                option = catalog_prop.option(opt.id)
                mark = "*" if opt.id in selected else " "
                line = f" {mark} {opt.id.ljust(width)}  {opt.status:<8}  best: {opt.best_verdict}"
                if option is not None and option.pending:
                    line += f"  {PENDING_MARK}"
                if opt.reason is not None:
                    # an empty cause means the option excludes itself, whatever else is chosen
                    because = ", ".join(str(t) for t in opt.reason.because) or f"{prop.id}.{opt.id} itself"
                    if opt.reason.rule is not None:
                        line += f"  -- rule {opt.reason.rule}, because {because}"
                    else:
                        line += f"  -- rules {' + '.join(opt.reason.rules)} together, because {because}"
                out.append(line)
    out.append("")
    out.append("(* = selected; excluded = every completion is blocked or out of scope; forced = the only option left)")
    return escape_controls("\n".join(out) + "\n")  # catalog text cannot drive the terminal
