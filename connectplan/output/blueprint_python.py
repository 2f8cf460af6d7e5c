"""An API blueprint as a runnable Python module using the official ``stripe`` package's ``StripeClient``.

One function per step makes the step's requests through the SDK's typed services
(``client.v2.core.accounts.create(params, options)``), so ``mypy`` checks every parameter name and
enum value of the body against the package's request-parameter ``TypedDict`` s. A request that
needs a newer API version than the pinned package knows goes through ``client.raw_request``.
Placeholders are keyword arguments of the step functions (``Any``: only the user knows them);
:func:`run` takes them from one mapping, and ``python -m`` / ``python FILE VALUES.json STEP...``
runs steps with the key from ``STRIPE_API_KEY``.

Every string from the catalog is written with :func:`ascii` (a valid, ASCII-only Python literal),
catalog text appears only inside such literals (never in a comment), and names are Python
identifiers checked against the keywords.
"""

from __future__ import annotations

import keyword
from typing import TYPE_CHECKING

from connectplan.engine.blueprint import is_placeholder, placeholder_name
from connectplan.stripe_api import SDK_API_VERSION, SDK_VERSION

if TYPE_CHECKING:
    from connectplan.engine.blueprint import Blueprint, BlueprintGroup, BlueprintRequest

__all__ = ["SERVICES", "blueprint_python", "python_name"]

#: (METHOD, path with ``{}`` for ids) -> (the ``StripeClient`` service, its method). Every request the
#: built-in catalogs name; anything else goes through ``client.raw_request``. The tests check each
#: against the installed package.
SERVICES: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/v1/accounts/{}/capabilities"): ("v1.accounts.capabilities", "list"),
    ("GET", "/v2/core/accounts/{}"): ("v2.core.accounts", "retrieve"),
    ("POST", "/v1/account_links"): ("v1.account_links", "create"),
    ("POST", "/v1/account_sessions"): ("v1.account_sessions", "create"),
    ("POST", "/v1/accounts"): ("v1.accounts", "create"),
    ("POST", "/v1/accounts/{}"): ("v1.accounts", "update"),
    ("POST", "/v1/accounts/{}/external_accounts"): ("v1.accounts.external_accounts", "create"),
    ("POST", "/v1/accounts/{}/login_links"): ("v1.accounts.login_links", "create"),
    ("POST", "/v1/balance_settings"): ("v1.balance_settings", "update"),
    ("POST", "/v1/checkout/sessions"): ("v1.checkout.sessions", "create"),
    ("POST", "/v1/disputes/{}"): ("v1.disputes", "update"),
    ("POST", "/v1/invoices"): ("v1.invoices", "create"),
    ("POST", "/v1/payment_intents"): ("v1.payment_intents", "create"),
    ("POST", "/v1/payment_links"): ("v1.payment_links", "create"),
    ("POST", "/v1/payouts"): ("v1.payouts", "create"),
    ("POST", "/v1/refunds"): ("v1.refunds", "create"),
    ("POST", "/v1/setup_intents"): ("v1.setup_intents", "create"),
    ("POST", "/v1/subscriptions"): ("v1.subscriptions", "create"),
    ("POST", "/v1/transfers"): ("v1.transfers", "create"),
    ("POST", "/v1/transfers/{}/reversals"): ("v1.transfers.reversals", "create"),
    ("POST", "/v1/webhook_endpoints"): ("v1.webhook_endpoints", "create"),
    ("POST", "/v2/core/account_links"): ("v2.core.account_links", "create"),
    ("POST", "/v2/core/accounts"): ("v2.core.accounts", "create"),
    ("POST", "/v2/core/accounts/{}"): ("v2.core.accounts", "update"),
    ("POST", "/v2/core/event_destinations"): ("v2.core.event_destinations", "create"),
}

_RESERVED = frozenset({"client", "values", "steps", "options", "params", "Any", "StripeClient"})


def python_name(name: str) -> str:
    """A placeholder name as a keyword argument: a keyword or a name the module uses gets a ``_``.

    >>> python_name("amount"), python_name("class"), python_name("client")
    ('amount', 'class_', 'client_')
    """
    if not name.isidentifier() or keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in _RESERVED:
        return name + "_"
    return name


def _version_date(version: str) -> str:
    return version[:10]


def _value(value: object, indent: str) -> str:
    """A parameter value as Python source: a placeholder its argument, text an :func:`ascii` literal."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = indent + "    "
        items = "".join(f"{inner}{k!a}: {_value(v, inner)},\n" for k, v in value.items())
        return "{\n" + items + indent + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v, indent) for v in value) + "]"
    if is_placeholder(value):
        return python_name(placeholder_name(str(value)))
    if isinstance(value, (bool, int)):
        return repr(value)
    return ascii(str(value))


def _fstring_text(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _call(r: BlueprintRequest) -> list[str]:
    """The statement making ``r``, indented for a function body."""
    ids = [python_name(placeholder_name(p)) for p in r.path.split("/") if is_placeholder(p)]
    options: dict[str, str] = {}
    if r.stripe_account:
        options["stripe_account"] = python_name("connected_account_id")
    if r.stripe_version:
        options["stripe_version"] = ascii(r.stripe_version)
    service = SERVICES.get(r.key)
    if service is None or _version_date(r.stripe_version) > _version_date(SDK_API_VERSION):
        # the pinned package does not know this request (or a parameter of it) yet
        path_parts = [
            "{" + python_name(placeholder_name(p)) + "}" if is_placeholder(p) else _fstring_text(p)
            for p in r.path.split("/")
        ]
        path = "f" + ascii("/".join(path_parts)) if ids else ascii(r.path)
        extra = "".join(f", {k}={v}" for k, v in options.items())
        body = _value(r.body(), "    ")
        return [f"    client.raw_request({r.method.lower()!a}, {path}{extra}, **{body})"]
    attr, method = service
    args = [*ids, f"params={_value(r.body(), '        ')}"]
    if options:
        args.append("options={" + ", ".join(f"{k!a}: {v}" for k, v in options.items()) + "}")
    return [f"    client.{attr}.{method}(", *(f"        {a}," for a in args), "    )"]


def _function(g: BlueprintGroup) -> list[str]:
    names = list(dict.fromkeys(python_name(n) for r in g.requests for n in r.placeholders))
    args = "".join(f", {n}: Any" for n in names)
    kwonly = ", *" if names else ""
    doc = f"Step {g.step.id}: {g.step.title}"
    lines = [f"def step_{g.step.id}(client: StripeClient{kwonly}{args}) -> None:", f"    {doc!a}"]
    for r in g.requests:
        lines.append(f"    # request {r.number} (REQUESTS[{r.number}])")
        lines += _call(r)
    return lines


def _why(r: BlueprintRequest) -> str:
    why = f"steps {', '.join(r.steps)}"
    return why + (f"; options {', '.join(r.options)}" if r.options else "")


def blueprint_python(bp: Blueprint) -> str:
    """The module's source: header, one function per step, :func:`run` and a command-line entry point."""
    groups = [g for g in bp.groups if g.requests]
    head = f"API blueprint of {bp.described}, written by connectplan."
    out = [
        ascii(head),
        "",
        f"# Generated for stripe {SDK_VERSION} (API {SDK_API_VERSION}); mypy checks each body against it.",
        "# Run: STRIPE_API_KEY=sk_test_... python THIS_FILE VALUES.json STEP [STEP ...]",
        "# VALUES.json maps every placeholder name in PLACEHOLDERS to its value.",
        "from __future__ import annotations",
        "",
        "import json",
        "import os",
        "import sys",
        "from collections.abc import Mapping",
        "from typing import Any",
        "",
        "from stripe import StripeClient",
        "",
        f"TITLE = {head!a}",
        "#: values only you know (ids, amounts, URLs), by placeholder name",
        "PLACEHOLDERS: tuple[str, ...] = (" + "".join(f"{n!a}, " for n in bp.placeholders).rstrip() + ")",
        "#: the steps, in order",
        "STEPS: tuple[str, ...] = (" + "".join(f"{g.step.id!a}, " for g in groups).rstrip() + ")",
        "#: each request by number: (method, path, why: its steps and options)",
        "REQUESTS: dict[int, tuple[str, str, str]] = {",
        *(f"    {r.number}: ({r.method!a}, {r.path!a}, {_why(r)!a})," for r in bp.requests),
        "}",
    ]
    for g in groups:
        out += ["", "", *_function(g)]
    out += [
        "",
        "",
        "def run(client: StripeClient, values: Mapping[str, Any], steps: tuple[str, ...] = STEPS) -> None:",
        '    "Make the requests of ``steps`` in order, placeholders taken from ``values``."',
        "    for step in steps:",
    ]
    for g in groups:
        names = list(dict.fromkeys(n for r in g.requests for n in r.placeholders))
        kwargs = "".join(f", {python_name(n)}=values[{n!a}]" for n in names)
        out += [f"        if step == {g.step.id!a}:", f"            step_{g.step.id}(client{kwargs})"]
    out += [
        "",
        "",
        "def main(argv: list[str]) -> int:",
        "    if len(argv) < 2:",
        "        print('usage: python THIS_FILE VALUES.json STEP [STEP ...]; steps: ' + ' '.join(STEPS))",
        "        return 2",
        "    unknown = [s for s in argv[1:] if s not in STEPS]",
        "    if unknown:",
        "        print('unknown step: ' + ', '.join(unknown) + '; steps: ' + ' '.join(STEPS))",
        "        return 2",
        "    with open(argv[0], encoding='utf-8') as f:",
        "        values = json.load(f)",
        "    run(StripeClient(os.environ['STRIPE_API_KEY']), values, tuple(argv[1:]))",
        "    return 0",
        "",
        "",
        "if __name__ == '__main__':",
        "    sys.exit(main(sys.argv[1:]))",
    ]
    return "\n".join(out) + "\n"
