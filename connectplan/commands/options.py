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


#: the severities ``--fail-on`` takes (``connectplan resolve`` and the saving plan commands)
FAIL_ON = ("caution", "sales_gated", "blocked", "out_of_scope")


def fail_on_option(help: str) -> Callable[[F], F]:
    """``--fail-on SEVERITY`` with ``resolve``'s choices; ``help`` may name them as ``{choices}``."""

    def deco(func: F) -> F:
        return click.option(
            "--fail-on",
            type=click.Choice(FAIL_ON),
            metavar="SEVERITY",
            help=help.format(choices=", ".join(FAIL_ON)),
        )(func)

    return deco


def allow_blocked_option(func: F) -> F:
    """``--allow-blocked``: the save policy's one exception (see docs/exploration.md, "Saving blocked designs")."""
    return click.option(
        "--allow-blocked",
        is_flag=True,
        help="Save even when the version's verdict is blocked or out_of_scope (refused otherwise: exit 1).",
    )(func)


def require_decided_option(help: str) -> Callable[[F], F]:
    """``--require-decided``, next to ``--fail-on``: refuse a selection that leaves a decision open."""

    def deco(func: F) -> F:
        return click.option("--require-decided", is_flag=True, help=help)(func)

    return deco


def save_policy_options(func: F) -> F:
    """The save policy's flags of ``plan new``, ``set``, ``fork`` and ``import``.

    ``--allow-blocked``, ``--fail-on`` and ``--require-decided``.
    """
    func = require_decided_option(
        "Save nothing and exit 1 when a property is left pending (an open decision, 'not decided yet')."
    )(func)
    func = fail_on_option("Save nothing and exit 1 when the verdict ranks at or above SEVERITY ({choices}).")(func)
    return allow_blocked_option(func)


#: the flags a saving command folds into one :class:`~connectplan.save_policy.SaveOptions`
SAVE_FLAGS = ("message", "author", "allow_blocked", "fail_on", "require_decided")


def collect_save_options(func: F) -> F:
    """Hand a saving command one ``options`` (:class:`~connectplan.save_policy.SaveOptions`) for its
    ``-m``, ``--author``, ``--allow-blocked``, ``--fail-on`` and ``--require-decided`` flags (those it has).

    Put it right above the ``def``: the flags are declared once here and in the option decorators,
    and travel as one value through the Workspace to the store.
    """
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from connectplan.save_policy import SaveOptions

        fields = {name: kwargs.pop(name) for name in SAVE_FLAGS if name in kwargs}
        return func(*args, options=SaveOptions(**fields), **kwargs)

    return wrapper  # type: ignore[return-value]
