"""``explore``: what a partial selection still allows, as text and JSON (same input, same bytes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectplan.output.resolution import escape_controls, resolution_text, to_json

if TYPE_CHECKING:
    from engine.propagation import Propagation

__all__ = ["exploration_text", "format_exploration"]


def format_exploration(result: Propagation, fmt: str) -> str:
    """``explore`` in ``fmt`` (text or json)."""
    return to_json(result.to_dict()) if fmt == "json" else exploration_text(result)


def exploration_text(result: Propagation) -> str:
    """The text form of an exploration (deterministic)."""
    cat = result.catalog
    out: list[str] = []
    if result.resolution is not None:
        out.append(resolution_text(result.resolution).rstrip("\n"))
        out.append("")
        out.append("Each option below is judged with every other property kept as selected.")
    else:
        chosen = ", ".join(f"{p}={o}" for p, o in result.selection) or "nothing yet"
        out.append(f"Catalog:   {cat.ref}  ({cat.title})")
        out.append(f"Selection: {chosen}")
        out.append("Each option below is judged with the other properties' choices.")
    width = max((len(o.id) for p in result.properties for o in p.options), default=0)
    for prop in result.properties:
        title = cat.property_index[prop.id].title
        chosen = f" = {prop.selected}" if prop.selected else ""
        out.append("")
        out.append(f"{prop.id}{chosen}  ({title})")
        for opt in prop.options:
            mark = "*" if opt.id == prop.selected else " "
            line = f" {mark} {opt.id.ljust(width)}  {opt.status:<8}  best: {opt.best_verdict}"
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
