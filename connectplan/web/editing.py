"""The configurator's view of the plan version it edits (``?plan=NAME&base=N``): has anything changed, and
where to compare the unsaved selection with the saved version.

Kept apart from the page modules so the configurator (:mod:`connectplan.web.views`) and the forms
(:mod:`connectplan.web.forms`) share one rule for "nothing changed" without importing each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from connectplan.engine.errors import INVALID, NOT_FOUND, ConnectplanError
from connectplan.web.params import query_string

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectplan.workspace import Workspace

__all__ = ["changes_from", "configurator_state"]


def changes_from(before: Mapping[str, Any], mapping: Mapping[str, Any]) -> dict[str, Any]:
    """The choices of ``mapping`` that differ from ``before`` (a saved version's selection): what a new
    version would change. Empty: nothing changed, so there is nothing to save.

    >>> changes_from({"dashboard": "full", "liability": "stripe"}, {"dashboard": "full", "liability": "platform"})
    {'liability': 'platform'}
    """
    return {p: v for p, v in mapping.items() if before.get(p) != v}


def configurator_state(
    ws: Workspace, plan: str | None, base: str | None, link: str, selection: Mapping[str, Any]
) -> dict[str, Any]:
    """What the configurator shows about the version it edits (``plan`` at ``base``):

    - ``base_unchanged``: True when the selection equals that version's (Save version has nothing to save);
    - ``compare_saved_url``: ``/diff`` of that version with the unsaved selection (None without a version).
    """
    state: dict[str, Any] = {"base_unchanged": False, "compare_saved_url": None}
    if not plan or not base:
        return state
    ref = f"{plan}@{base}"
    try:
        record = ws.version(ref)
    except ConnectplanError as exc:  # a plan deleted meanwhile, or a malformed name: the page still works
        if exc.kind not in (NOT_FOUND, INVALID):
            raise
        return state
    before = dict(record.selection)
    state["base_unchanged"] = not changes_from(before, selection) and set(before) <= set(selection)
    state["compare_saved_url"] = "/diff?" + urlencode({"a": ref, "b_query": query_string(link, selection)})
    return state
