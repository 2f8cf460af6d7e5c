"""The Blueprint page of a plan version (``/versions/{ref}/blueprint``): its API requests in the four formats.

Each format is shown in a ``<pre>`` with a copy button (``static/blueprint.js``: no inline script,
the button names its block with ``data-copy-target``) and a download link (the same URL with
``?download=FORMAT``). Like every view that only computes, this is a plain ``def``: Starlette runs
it in its thread pool, off the event loop. The blueprint holds no key and no id: verify stays on the
command line and in the Python API (the server never holds a Stripe key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.responses import Response

from connectplan.output.blueprint import BLUEPRINT_FORMATS, SUFFIXES, format_blueprint
from connectplan.web.params import BadRequest
from connectplan.web.views import render, ws_of

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["FORMAT_TITLES", "BlueprintBlock", "page_blueprint"]

#: each format's heading on the page
FORMAT_TITLES = {
    "text": "Requests by step",
    "json": "JSON",
    "python": "Python (StripeClient)",
    "curl": "curl (bash)",
}
MEDIA_TYPES = {
    "text": "text/plain; charset=utf-8",
    "json": "application/json",
    "python": "text/x-python; charset=utf-8",
    "curl": "text/x-shellscript; charset=utf-8",
}


@dataclass(frozen=True)
class BlueprintBlock:
    """One format on the page: its id (``bp-FORMAT``), heading, text and download URL."""

    format: str
    title: str
    text: str
    download: str
    filename: str

    @property
    def id(self) -> str:
        return f"bp-{self.format}"


def _filename(ref: str, fmt: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in ref.replace("@", "-"))
    if fmt == "python":
        stem = stem.replace("-", "_")  # an importable module name
    return f"{stem}_blueprint{SUFFIXES[fmt]}" if fmt == "python" else f"{stem}-blueprint{SUFFIXES[fmt]}"


def page_blueprint(request: Request) -> Response:
    ref = request.path_params["ref"]
    bp = ws_of(request).blueprint(ref)
    shown = bp.subject or ref
    download = request.query_params.get("download")
    if download is not None:
        if download not in BLUEPRINT_FORMATS:
            raise BadRequest(
                f"unknown blueprint format {download!r}; use one of: {', '.join(BLUEPRINT_FORMATS)}", "download"
            )
        name = _filename(shown, download)
        headers = {"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"}
        return Response(format_blueprint(bp, download), media_type=MEDIA_TYPES[download], headers=headers)
    base = f"/versions/{quote(shown, safe='@')}/blueprint"
    blocks = [
        BlueprintBlock(
            fmt, FORMAT_TITLES[fmt], format_blueprint(bp, fmt), f"{base}?download={fmt}", _filename(shown, fmt)
        )
        for fmt in BLUEPRINT_FORMATS
    ]
    context = {"bp": bp, "ref": shown, "blocks": blocks, "version_url": f"/versions/{quote(shown, safe='@')}"}
    return render(request, "blueprint.html", context)
