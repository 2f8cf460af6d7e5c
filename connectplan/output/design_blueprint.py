"""The design document's "Implementation" section: the plan's API blueprint (:mod:`engine.blueprint`).

Each request is one list item (method and path as code, its steps and options), with its
parameters nested under it as code; every span is escaped by the block writers.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from connectplan.engine.blueprint import build_blueprint, is_placeholder
from connectplan.output.blocks import B, Block, C, Inline, Span, T
from connectplan.stripe_api import SDK_API_VERSION, SDK_VERSION

if TYPE_CHECKING:
    from connectplan.engine import Resolution

__all__ = ["implementation_blocks"]


def _literal(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return str(value) if is_placeholder(value) else json.dumps(value, ensure_ascii=False)


def implementation_blocks(res: Resolution, subject: str | None = None) -> list[Block]:
    """The blocks under the "Implementation" heading (the heading itself is the caller's)."""
    bp = build_blueprint(res, subject)
    ref = subject or "REF"
    intro: list[Span] = [
        T(
            f"The {len(bp.requests)} API requests this design makes, grouped by its steps in order, each with the "
            "steps and options that bring it in (the API blueprint; "
        ),
        C(f"connectplan blueprint {ref} --format python"),
        T(" writes it as a module using the official "),
        C("stripe"),
        T(" package, "),
        C("--format curl"),
        T(
            " as a script). Values in double braces are placeholders for what only the implementer knows; "
            f"requests use API version {SDK_API_VERSION} (stripe {SDK_VERSION}) unless one names another."
        ),
    ]
    blocks = [Block("para", tuple(intro))]
    if not bp.requests:
        return [*blocks, Block("para", (T("No step of this design names an API request."),))]
    items: list[Inline] = []
    children: list[tuple[Inline, ...]] = []
    for g in bp.groups:
        for r in g.requests:
            item: list[Span] = [B(f"{r.number}."), T(" "), C(f"{r.method} {r.path}")]
            if r.stripe_account:
                item.append(T(" on the connected account (Stripe-Account header)"))
            if r.stripe_version:
                item += [T(", Stripe-Version "), C(r.stripe_version)]
            item += [T(f" — {g.step.title}; steps "), C(", ".join(r.steps))]
            if r.options:
                item += [T("; options "), C(", ".join(r.options))]
            items.append(tuple(item))
            children.append(tuple((C(f"{name} = {_literal(value)}"),) for name, value in r.params))
    blocks.append(Block("olist", items=tuple(items), children=tuple(children)))
    return blocks
