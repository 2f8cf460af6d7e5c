"""``connectplan presets``: the business archetypes of a catalog edition with their verdicts."""

from __future__ import annotations

import click

from connectplan.commands.options import catalog_option, format_option


@click.command()
@catalog_option
@format_option("text", "json")
@click.pass_context
def presets(ctx: click.Context, catalog_ref: str | None, fmt: str) -> None:
    """List a catalog's presets: selection, one-line reasoning and the verdict it resolves to.

    Use one with --preset on resolve, explore or plan new (later --set values override it).

    Example: connectplan presets --catalog stripe-connect@2025
    """
    from connectplan import app
    from connectplan.output.resolution import to_json

    catalog, resolutions = app.preset_resolutions(catalog_ref, (ctx.obj or {}).get("db_url"))
    if fmt == "json":
        doc = {
            "catalog": {"name": catalog.name, "edition": catalog.edition},
            "presets": [
                {
                    "id": p.id,
                    "title": p.title,
                    "examples": list(p.examples),
                    "reasoning": p.reasoning,
                    "selection": dict(p.selection),
                    "verdict": res.verdict,
                }
                for p, res in zip(catalog.presets, resolutions, strict=True)
            ],
        }
        click.echo(to_json(doc), nl=False)
        return
    lines = [f"Presets of {catalog.ref}  ({catalog.title})"]
    if not catalog.presets:
        lines.append("  none")
    width = max((len(p.id) for p in catalog.presets), default=0)
    for preset, res in zip(catalog.presets, resolutions, strict=True):
        examples = f" (e.g. {', '.join(preset.examples)})" if preset.examples else ""
        lines.append("")
        lines.append(f"  {preset.id.ljust(width)}  {res.verdict:<12}  {preset.title}{examples}")
        lines.append(f"  {' ' * width}  {' / '.join(o for _, o in preset.selection)}")
        if preset.reasoning:
            lines.append(f"  {' ' * width}  {preset.reasoning}")
    lines.append("")
    lines.append(f"Selection order: {' / '.join(p.id for p in catalog.properties)}")
    click.echo("\n".join(lines) + "\n", nl=False)
