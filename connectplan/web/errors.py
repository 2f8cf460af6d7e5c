"""The web's words and codes for the project's errors: HTTP status by kind, form fields, the way forward.

Every error carries a ``kind`` (``engine.errors.KINDS``); the web answers it with its status
(:data:`STATUS`) and writes its own message: the error's ``message`` (no edge's words) and, for its
``fix``, the browser's way forward (:data:`WEB_FIXES`), never a command-line flag. The JSON twins
answer ``{"error": {"kind": ..., "message": ...}}``.

>>> from connectplan.errors import AppError
>>> exc = AppError("unknown plan 'x'", kind="not_found", fix="create_plan", hint="connectplan plan new NAME --preset P")
>>> status_of(exc), web_message(exc)
(404, "unknown plan 'x'; create one: choose a preset in the configurator and save it as a new plan")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectplan.errors import VerdictRefusedError

__all__ = [
    "ALLOW_BLOCKED_HINT",
    "FIELD_LABELS",
    "STATUS",
    "WEB_FIXES",
    "error_document",
    "field_label",
    "refusal_text",
    "status_of",
    "web_message",
]

#: what a refusal tells the browser user to do to save a blocked design anyway
ALLOW_BLOCKED_HINT = 'tick "save even if blocked" to save it anyway'

#: The HTTP status of each error kind.
STATUS = {"invalid_input": 400, "not_found": 404, "conflict": 409, "refused": 422, "unavailable": 503}

#: The browser's way forward for each ``fix`` code an error names.
WEB_FIXES = {
    "create_plan": "create one: choose a preset in the configurator and save it as a new plan",
    "name_taken": "choose another name",
    "choose_option": "change at least one option before saving",
    "move_tag": 'tick "move it if it exists" to move it',
    "author": "fill in the author field, or leave it empty",
    "import_catalog": "ask the server's operator to import it",
    "other_edition": "choose a different edition in the upgrade form",
    "new_plan_on": "start a new plan on that edition in the configurator",
}


#: The browser's name of each form field an error may name (``exc.field``); a property id is its own name.
FIELD_LABELS = {
    "name": "plan name",
    "new_name": "new plan's name",
    "tag": "tag",
    "message": "message",
    "author": "author",
    "ref": "version",
    "to": "edition",
    "catalog": "edition",
    "base": "version the change was made from",
    "force": "move it if it exists",
    "allow_blocked": "save even if blocked",
    "a": "before (the first side of the comparison)",
    "b": "after (the second side of the comparison)",
    "on": "on edition",
}


def field_label(exc: BaseException) -> str | None:
    """The form field ``exc`` names, in the browser's words (None when it names none the web has)."""
    field = getattr(exc, "field", None)
    if not field or field in ("set", "as", "db"):
        return None
    return FIELD_LABELS.get(field, field)


def refusal_text(exc: VerdictRefusedError) -> str:
    """The one line a refused save shows in the browser: the verdict, and the checkbox that allows it."""
    return exc.describe(ALLOW_BLOCKED_HINT, web=True)


def status_of(exc: BaseException) -> int:
    """The HTTP status of ``exc``'s kind (400 for an error without one)."""
    return STATUS.get(getattr(exc, "kind", "invalid_input"), 400)


def web_message(exc: BaseException) -> str:
    """One line for the browser: the problem, and the way forward in the web's words."""
    from connectplan.errors import VerdictRefusedError

    if isinstance(exc, VerdictRefusedError):
        return _one_line(refusal_text(exc))
    if getattr(exc, "kind", None) == "unavailable":
        return _one_line(_unavailable(exc))
    text = str(getattr(exc, "message", None) or exc)
    fix = WEB_FIXES.get(getattr(exc, "fix", None) or "")
    return _one_line(f"{text}; {fix}" if fix else text)


def _unavailable(exc: BaseException) -> str:
    from connectplan.store_words import unavailable_reason

    reason = unavailable_reason(exc)
    if reason:  # a database failure: what happened, without the operator's command-line fix
        return f"the store cannot answer right now: {reason}; nothing was saved, try again in a moment"
    from connectplan.visualize.render import RenderError

    if isinstance(exc, RenderError):
        return "diagrams are unavailable: Graphviz (dot) is not installed on the server; ask its operator"
    first = str(getattr(exc, "message", None) or exc).split(";")[0].split(" (")[0]
    return f"{first}; try again in a moment, or ask the server's operator"


def error_document(exc: BaseException) -> dict[str, Any]:
    """The JSON twins' error document."""
    return {"error": {"kind": getattr(exc, "kind", "invalid_input"), "message": web_message(exc)}}


def _one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text or "\r" in text else text
