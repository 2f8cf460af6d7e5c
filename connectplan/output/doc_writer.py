"""Writing a design document: render its diagrams, then write every file through the doc-files guard.

:func:`write_design_doc` renders every diagram before any file is written (so a failure, e.g. no
``dot`` binary, leaves nothing behind) and writes through :mod:`connectplan.docfiles`, which
never overwrites a file an earlier run did not write.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from connectplan.errors import AppError
from connectplan.output.design_doc import (
    CHANGE_DIAGRAMS,
    DIAGRAM_OPTIONS,
    DIAGRAMS,
    DOC_FORMATS,
    HTML_NAME,
    MARKDOWN_NAME,
    PlanInfo,
    design_html,
    design_markdown,
)

if TYPE_CHECKING:
    import graphviz

    from connectplan.engine import Resolution

__all__ = ["write_design_doc"]


def _diagrams(res: Resolution, subject: str | None) -> list[tuple[str, str, graphviz.Digraph]]:
    from connectplan.visualize import resolution_diagram

    return [
        (name, title, resolution_diagram(kind, res, subject=subject, **DIAGRAM_OPTIONS.get(name, {})))
        for kind, name, title in DIAGRAMS
    ]


def _change_diagrams(
    old: Resolution, new: Resolution, old_subject: str, new_subject: str
) -> list[tuple[str, str, graphviz.Digraph]]:
    from connectplan.visualize import change_diagram

    return [
        (name, title, change_diagram(kind, old, new, old_subject=old_subject, new_subject=new_subject))
        for kind, name, title in CHANGE_DIAGRAMS
    ]


def write_design_doc(
    res: Resolution,
    out: str | Path,
    *,
    fmt: str | None = None,
    info: PlanInfo | None = None,
    previous: tuple[PlanInfo, Resolution] | None = None,
    since: tuple[PlanInfo, Resolution] | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the design document; return the files written.

    ``out`` is a directory (created if needed) receiving ``README.md`` and the three diagrams as
    SVG files beside it (``markdown``) or ``index.html`` (``html``); or a file name ending in
    ``.md`` (the diagrams go beside it as ``NAME-money-flow.svg`` ...) or ``.html``. The format
    defaults to the suffix's, else ``markdown``; a ``fmt`` contradicting the suffix is refused.
    ``since`` (a plan version's info and resolution) adds a "what changed since" section with the
    three change diagrams (``change-*.svg`` beside the document in Markdown).
    Files that an earlier run did not write are never overwritten unless ``force``
    (see :mod:`connectplan.docfiles`). Every diagram is rendered and every check made before any
    file is written, so a failure (e.g. no ``dot`` binary) leaves nothing behind.
    """
    from connectplan.docfiles import doc_format, is_file_target, write_doc_files
    from connectplan.visualize.render import RenderError, render_bytes

    fmt = doc_format(out, fmt)
    if fmt not in DOC_FORMATS:
        raise AppError(f"unknown document format {fmt!r}; use one of: {', '.join(DOC_FORMATS)}")
    subject = info.ref if info else None
    try:
        rendered = [(name, title, render_bytes(dot, "svg")) for name, title, dot in _diagrams(res, subject)]
        changes = []
        if since is not None:
            pairs = _change_diagrams(since[1], res, since[0].ref, subject or "this selection")
            changes = [(name, title, render_bytes(dot, "svg")) for name, title, dot in pairs]
    except RenderError as exc:
        raise AppError(str(exc)) from None

    def html_page() -> str:  # one self-contained page, the diagrams inline
        return design_html(
            res,
            info,
            previous=previous,
            images=[(title, svg) for _, title, svg in rendered],
            since=since,
            change_images=[(title, svg) for _, title, svg in changes],
        )

    if str(out) == "-":  # standard output: only the self-contained page can go there
        if fmt != "html":
            raise AppError(
                "a Markdown document comes with diagram files; give -o DIR, or --format html to print one page"
            )
        from connectplan.outfile import write_output

        write_output("-", html_page().encode("utf-8"))
        return []
    target = Path(out)
    one_file = is_file_target(out)  # as given: Path() drops the '/' of 'x.md/'
    if one_file:
        directory, page, prefix = target.parent, target.name, f"{target.stem}-"
    else:
        directory, page, prefix = target, HTML_NAME if fmt == "html" else MARKDOWN_NAME, ""
    if fmt == "html":
        files = {page: html_page().encode("utf-8")}
    else:
        text = design_markdown(
            res,
            info,
            previous=previous,
            images=[(title, prefix + name) for name, title, _ in rendered],
            since=since,
            change_images=[(title, prefix + name) for name, title, _ in changes],
        )
        files = {page: text.encode("utf-8")} | {prefix + name: svg for name, _, svg in (*rendered, *changes)}
    return write_doc_files(directory, files, named=page if one_file else None, force=force)
