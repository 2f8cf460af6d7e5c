"""Shared click option sets (decorator factories, as in sqlite-utils)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def catalog_option(func: F) -> F:
    return click.option(
        "--catalog",
        "catalog_ref",
        metavar="NAME[@EDITION]",
        help="Catalog edition (default: stripe-connect at its newest edition).",
    )(func)


def selection_options(func: F) -> F:
    func = click.option(
        "--set",
        "sets",
        multiple=True,
        metavar="PROPERTY=OPTION",
        help="Choose an option for a property; repeat for each property. Overrides --preset.",
    )(func)
    return click.option("--preset", metavar="NAME", help="Start from a preset selection (see `connectplan presets`).")(
        func
    )


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    def deco(func: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(choices),
            default=default,
            show_default=True,
            help="Output format.",
        )(func)

    return deco
