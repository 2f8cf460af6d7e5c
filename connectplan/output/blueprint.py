"""An API blueprint (:mod:`engine.blueprint`) as text, JSON, a curl script or a Python module.

Every string from the plan or the catalog is escaped for where it lands: the text format shows
values as JSON literals and control characters escaped, and keeps catalog lines on one line; the
curl script quotes every word with :func:`shlex.quote` (placeholders become ``"${name:?...}"``
expansions, comments hold no line break); the JSON document is :func:`json.dumps`; the Python
module writes values with :func:`ascii` (see :mod:`connectplan.output.blueprint_python`). The same
blueprint gives the same bytes.

A request's API version is the one it needs (a newer feature), else the pinned ``stripe``
package's (:data:`connectplan.stripe_api.SDK_API_VERSION`), which the curl script sends as
``Stripe-Version`` and the Python module leaves to the SDK.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import TYPE_CHECKING, Any

from connectplan.engine.blueprint import is_placeholder, placeholder_name
from connectplan.output.resolution import escape_controls, to_json
from connectplan.stripe_api import SDK_API_VERSION, SDK_VERSION

if TYPE_CHECKING:
    from connectplan.engine.blueprint import Blueprint, BlueprintGroup, BlueprintRequest

__all__ = ["BLUEPRINT_FORMATS", "blueprint_curl", "blueprint_document", "blueprint_text", "format_blueprint"]

BLUEPRINT_FORMATS = ("text", "json", "python", "curl")
#: the file name suffix of each format, for downloads and ``-o`` hints
SUFFIXES = {"text": ".txt", "json": ".json", "python": ".py", "curl": ".sh"}
API_BASE = "https://api.stripe.com"

_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]+")


def one_line(value: str) -> str:
    """Catalog or plan text on one line (every kind of line break to a space), controls escaped."""
    return escape_controls(_LINE_BREAKS.sub(" ", value))


def format_blueprint(bp: Blueprint, fmt: str) -> str:
    """``bp`` in ``fmt`` (one of :data:`BLUEPRINT_FORMATS`)."""
    if fmt == "json":
        return to_json(blueprint_document(bp))
    if fmt == "python":
        from connectplan.output.blueprint_python import blueprint_python

        return blueprint_python(bp)
    if fmt == "curl":
        return blueprint_curl(bp)
    if fmt == "text":
        return blueprint_text(bp)
    raise ValueError(f"unknown blueprint format {fmt!r}; use one of: {', '.join(BLUEPRINT_FORMATS)}")


def api_version(r: BlueprintRequest) -> str:
    """The ``Stripe-Version`` the request is made with."""
    return r.stripe_version or SDK_API_VERSION


def blueprint_document(bp: Blueprint) -> dict[str, Any]:
    """The JSON document: the plan, the SDK the bodies are checked against, the steps with their requests."""
    from connectplan.output.documents import blueprint_document as requests_document

    doc = requests_document(bp, SDK_API_VERSION)
    return {
        "plan": doc.pop("plan"),
        "catalog": doc.pop("catalog"),
        "sdk": {"package": "stripe", "version": SDK_VERSION, "api_version": SDK_API_VERSION},
        **doc,
    }


# -- text ------------------------------------------------------------------------------------------


def _literal(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if is_placeholder(value):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _reason(r: BlueprintRequest) -> str:
    steps = ", ".join(r.steps)
    options = f"; options {', '.join(r.options)}" if r.options else ""
    return f"step{'s' if len(r.steps) > 1 else ''} {steps}{options}"


def _group_head(g: BlueprintGroup) -> str:
    because = ", ".join(str(t) for t in g.because) or "always"
    return f"Step {g.step.id}: {one_line(g.step.title)} ({g.step.phase}; because {because})"


def blueprint_text(bp: Blueprint) -> str:
    """The requests grouped by step, each with its reason, API version and body (one parameter a line)."""
    out = [
        f"API blueprint of {one_line(bp.described)}",
        f"{len(bp.requests)} requests in {len(bp.groups)} steps; API version {SDK_API_VERSION}"
        f" (stripe {SDK_VERSION}) unless a request names another.",
    ]
    if bp.placeholders:
        out.append("Values only you know: " + ", ".join("{{" + n + "}}" for n in bp.placeholders))
    for g in bp.groups:
        out += ["", _group_head(g)]
        for n in g.extends:
            out.append(f"  adds its parameters to request {n}")
        for r in g.requests:
            header = " [Stripe-Account: {{connected_account_id}}]" if r.stripe_account else ""
            version = f" [Stripe-Version {r.stripe_version}]" if r.stripe_version else ""
            out.append(f"  {r.number}. {r.method} {one_line(r.path)} ({r.api}){header}{version}")
            out.append(f"     why: {one_line(_reason(r))}")
            for text in r.texts:
                out.append(f"       - {one_line(text)}")
            for name, value in r.params:
                out.append(f"     {one_line(name)} = {one_line(_literal(value))}")
    return escape_controls("\n".join(out) + "\n")


# -- curl ------------------------------------------------------------------------------------------

#: a piece of a shell word: literal text, or (``True``, name) for a placeholder
Piece = tuple[bool, str]


def shell_var(name: str) -> str:
    """The shell variable holding placeholder ``name`` (a leading ``_`` gets a ``v``: ``$_`` is special)."""
    return f"v{name}" if name.startswith("_") else name


def shell_word(pieces: list[Piece]) -> str:
    """One shell word: literal pieces single-quoted (:func:`shlex.quote`), each placeholder a checked
    ``"${name:?set name}"`` expansion.

    >>> print(shell_word([(False, "it's "), (True, "amount")]))
    'it'"'"'s '"${amount:?set amount}"
    """
    out = []
    for is_var, text in pieces:
        if is_var:
            var = shell_var(text)
            out.append(f'"${{{var}:?set {var}}}"')
        elif text:
            out.append(shlex.quote(text))
    return "".join(out) or "''"


def _pieces(value: object) -> list[Piece]:
    if is_placeholder(value):
        return [(True, placeholder_name(str(value)))]
    return [(False, _form_value(value))]


def _form_pairs(body: dict[str, Any], prefix: str = "") -> list[tuple[str, object]]:
    """v1 form encoding as the SDK does it: ``a[b]``, lists indexed ``a[0]``, booleans ``true``/``false``."""
    out: list[tuple[str, object]] = []
    for key, value in body.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            out += _form_pairs(value, name)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                out += _form_pairs(item, f"{name}[{i}]") if isinstance(item, dict) else [(f"{name}[{i}]", item)]
        else:
            out.append((name, value))
    return out


def _form_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_pieces(body: dict[str, Any]) -> list[Piece]:
    """The compact JSON of ``body`` as pieces, each placeholder a JSON string of its shell variable."""
    plain = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    token = "__connectplan_placeholder_"
    while token in plain:
        token += "_"
    names: list[str] = []

    def mark(value: object) -> object:
        if isinstance(value, list):
            return [mark(v) for v in value]
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if is_placeholder(value):
            names.append(placeholder_name(str(value)))
            return f"{token}{len(names) - 1}{token}"
        return value

    text = json.dumps(mark(body), ensure_ascii=False, separators=(",", ":"))
    pieces: list[Piece] = []
    for i, part in enumerate(re.split(f"{re.escape(token)}(\\d+){re.escape(token)}", text)):
        pieces.append((True, names[int(part)]) if i % 2 else (False, part))
    return pieces


def _curl_request(r: BlueprintRequest) -> list[str]:
    url: list[Piece] = [(False, API_BASE)]
    for i, part in enumerate(r.path.split("/")):
        if i:
            url.append((False, "/"))
        url += _pieces(part) if is_placeholder(part) else [(False, part)]
    lines = [f"curl -sS -X {r.method}" + (" -G" if r.method == "GET" else "") + f" {shell_word(url)}"]
    lines.append('-u "$STRIPE_API_KEY:"')
    lines.append("-H " + shell_word([(False, f"Stripe-Version: {api_version(r)}")]))
    if r.stripe_account:
        lines.append("-H " + shell_word([(False, "Stripe-Account: "), (True, "connected_account_id")]))
    body = r.body()
    if r.api == "v2" and r.method != "GET":
        lines.append("-H 'Content-Type: application/json'")
        lines.append("--data-binary " + shell_word(_json_pieces(body)))
    else:
        for name, value in _form_pairs(body):
            lines.append("--data-urlencode " + shell_word([(False, f"{name}="), *_pieces(value)]))
    return lines


def blueprint_curl(bp: Blueprint) -> str:
    """A bash script: one function per step, each making its requests with curl; run the steps named
    on the command line. The key comes from ``$STRIPE_API_KEY``; every placeholder is a shell
    variable the caller sets (an unset one stops the script with its name)."""
    out = [
        "#!/usr/bin/env bash",
        f"# API blueprint of {one_line(bp.described)}, written by connectplan.",
        f"# Requests use Stripe-Version {SDK_API_VERSION} unless they need a newer one.",
        "# Usage: STRIPE_API_KEY=sk_test_... NAME=VALUE ... bash THIS_FILE STEP [STEP ...]",
        "# Placeholders (shell variables): " + (" ".join(shell_var(n) for n in bp.placeholders) or "none"),
        "# A placeholder standing for a list or an object must be written out before use.",
        "set -euo pipefail",
        ': "${STRIPE_API_KEY:?set STRIPE_API_KEY (a test-mode key)}"',
    ]
    names = []
    for g in bp.groups:
        if not g.requests:
            continue
        names.append(g.step.id)
        out += ["", f"# {one_line(_group_head(g))}", f"step_{g.step.id}() {{"]
        for r in g.requests:
            out.append(f"  # {r.number}. {r.method} {one_line(r.path)}: {one_line(_reason(r))}")
            lines = _curl_request(r)
            out.append("  " + " \\\n    ".join(lines))
            out.append("  echo")
        out.append("}")
    out += [
        "",
        f"STEPS=({' '.join(names)})",
        'if [ "$#" -eq 0 ]; then',
        '  echo "usage: $0 STEP [STEP ...]; steps: ${STEPS[*]}" >&2',
        "  exit 2",
        "fi",
        'for step in "$@"; do',
        '  case " ${STEPS[*]} " in',
        '    *" $step "*) "step_$step" ;;',
        '    *) echo "unknown step: $step; steps: ${STEPS[*]}" >&2; exit 2 ;;',
        "  esac",
        "done",
    ]
    return "\n".join(out) + "\n"
