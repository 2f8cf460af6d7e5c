"""The design document's block model (headings, paragraphs, tables, lists, images of inline spans)
and its two renderers: Markdown for GitHub and HTML.

Content is built once as blocks (:mod:`connectplan.output.design_doc`) and rendered by
:func:`md_blocks` or :func:`html_inline` per block; both escape every span, so user and catalog
text appears literally, and only http(s) links are emitted (:func:`linkify`).
"""

from __future__ import annotations

import base64
import html
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connectplan.output.resolution import md_escape

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "A",
    "B",
    "Block",
    "C",
    "Inline",
    "L",
    "Span",
    "T",
    "data_uri",
    "github_anchor",
    "html_inline",
    "html_page",
    "linkify",
    "md_blocks",
    "md_inline",
    "md_url",
]


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens.

    >>> github_anchor("What changed since acme@1"), github_anchor("Considered options")
    ('what-changed-since-acme1', 'considered-options')
    """
    kept = "".join(ch for ch in heading.strip().lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


@dataclass(frozen=True)
class Span:
    """Inline text: ``kind`` is text, code, bold or link (``url`` set)."""

    kind: str
    text: str
    url: str = ""


def T(value: str) -> Span:
    return Span("text", value)


def C(value: str) -> Span:
    return Span("code", value)


def B(value: str) -> Span:
    return Span("bold", value)


def A(value: str, anchor: str) -> Span:
    """A link to a heading of the same document (``anchor`` from :func:`github_anchor`: letters, digits, ``-_``)."""
    return Span("link", value, "#" + anchor)


def L(value: str, url: str) -> Span:
    return (
        Span("link", value, url)
        if _safe_url(url)
        else Span("text", f"{value} ({url})" if url and url != value else value)
    )


Inline = tuple[Span, ...]


@dataclass(frozen=True)
class Block:
    """One block: heading (``level``), para, table (``header``, ``rows``), olist/ulist (``items``, nested
    ``children``), image."""

    kind: str
    inline: Inline = ()
    level: int = 0
    header: tuple[str, ...] = ()
    rows: tuple[tuple[Inline, ...], ...] = ()
    items: tuple[Inline, ...] = field(default=())
    image: str = ""
    #: olist/ulist: each item's nested bullet items (empty, or one tuple per item)
    children: tuple[tuple[Inline, ...], ...] = ()


_URL = re.compile(r"https?://[^\s<>\"'`]+")
_TRAILING = ".,;:)]"


def _safe_url(url: str) -> bool:
    return bool(re.fullmatch(r"https?://[^\s<>\"'`\\]+", url))


def linkify(value: str) -> Inline:
    """Text with every http(s) URL in it turned into a link span."""
    spans: list[Span] = []
    pos = 0
    for match in _URL.finditer(value):
        url = match.group().rstrip(_TRAILING)
        start, end = match.start(), match.start() + len(url)
        if start > pos:
            spans.append(T(value[pos:start]))
        spans.append(L(url, url))
        pos = end
    if pos < len(value):
        spans.append(T(value[pos:]))
    return tuple(spans)


# ---------------------------------------------------------------------------
# Markdown


def md_url(url: str) -> str:
    return urllib.parse.quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")


def md_inline(spans: Inline, *, in_table: bool = False) -> str:
    out: list[str] = []
    for span in spans:
        if span.kind == "code":
            value = " ".join(span.text.split("\n"))
            fence = "`"
            while fence in value:
                fence += "`"
            pad = " " if value.startswith("`") or value.endswith("`") else ""
            if in_table:
                value = value.replace("|", "\\|")
            out.append(f"{fence}{pad}{value}{pad}{fence}")
        elif span.kind == "bold":
            out.append(f"**{md_escape(span.text)}**")
        elif span.kind == "link":
            out.append(f"[{md_escape(span.text)}](<{md_url(span.url)}>)")
        else:
            out.append(md_escape(span.text))
    return "".join(out)


def md_blocks(blocks: Iterable[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            out.append("#" * block.level + " " + md_inline(block.inline))
        elif block.kind == "para":
            out.append(md_inline(block.inline))
        elif block.kind == "table":
            out.append("| " + " | ".join(md_escape(h) for h in block.header) + " |")
            out.append("|" + "---|" * len(block.header))
            for row in block.rows:
                out.append("| " + " | ".join(md_inline(cell, in_table=True) or " " for cell in row) + " |")
        elif block.kind in ("olist", "ulist"):
            for i, item in enumerate(block.items, 1):
                marker = f"{i}." if block.kind == "olist" else "-"
                out.append(f"{marker} {md_inline(item)}")
                # a nested item is indented to the parent's text, as CommonMark needs
                nested = block.children[i - 1] if i <= len(block.children) else ()
                out.extend(f"{' ' * (len(marker) + 1)}- {md_inline(child)}" for child in nested)
        elif block.kind == "image":
            out.append(f"![{md_inline(block.inline)}](<{md_url(block.image)}>)")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def html_inline(spans: Inline) -> str:
    out: list[str] = []
    for span in spans:
        value = html.escape(span.text, quote=True).replace("\n", "<br>")
        if span.kind == "code":
            out.append(f"<code>{value}</code>")
        elif span.kind == "bold":
            out.append(f"<strong>{value}</strong>")
        elif span.kind == "link":
            out.append(f'<a href="{html.escape(span.url, quote=True)}">{value}</a>')
        else:
            out.append(value)
    return "".join(out)


def _html_children(block: Block, index: int) -> str:
    nested = block.children[index] if index < len(block.children) else ()
    if not nested:
        return ""
    return "<ul>" + "".join(f"<li>{html_inline(child)}</li>" for child in nested) + "</ul>"


def data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 72rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; color: #1a1a1a; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; vertical-align: top; text-align: left; }
th { background: #f4f4f4; }
code { background: #f4f4f4; padding: 0 0.2rem; border-radius: 3px; }
figure { margin: 1rem 0; }
figure h3 { margin-top: 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #555; margin-top: 0.3rem; }
li { margin: 0.3rem 0; }
@media print {
  @page { size: A4 portrait; margin: 15mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure { break-before: page; page-break-before: always; break-inside: avoid; page-break-inside: avoid; }
  figure img { max-width: 100%; max-height: 240mm; width: auto; border: none; }
  table, li { break-inside: avoid; page-break-inside: avoid; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  a[href^="http"]::after { content: " (" attr(href) ")"; font-size: 0.85em; color: #555; }
}
""".strip()


def html_page(blocks: Sequence[Block]) -> str:
    """One self-contained HTML page of ``blocks`` (the first is the title heading), with a print style sheet.

    Headings get GitHub's anchors (repeats numbered, so every id is unique); a figure keeps its heading,
    so printing never parts them.
    """
    title = "".join(s.text for s in blocks[0].inline)
    body: list[str] = []
    used: dict[str, int] = {}
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            anchor = github_anchor("".join(s.text for s in block.inline))
            # a repeated heading gets -1, -2, ... as on GitHub, so every id is unique
            count = used.get(anchor, 0)
            used[anchor] = count + 1
            anchor = f"{anchor}-{count}" if count else anchor
            ident = f' id="{anchor}"' if block.level > 1 else ""
            heading = f"<h{block.level}{ident}>{html_inline(block.inline)}</h{block.level}>"
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            # a figure's own heading goes into the figure, so printing never parts them
            body.append(f"<figure>{heading}" if following is not None and following.kind == "image" else heading)
        elif block.kind == "para":
            body.append(f"<p>{html_inline(block.inline)}</p>")
        elif block.kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.header)
            rows = "".join(
                "<tr>" + "".join(f"<td>{html_inline(c)}</td>" for c in row) + "</tr>\n" for row in block.rows
            )
            body.append(f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody>\n</table>")
        elif block.kind in ("olist", "ulist"):
            tag = "ol" if block.kind == "olist" else "ul"
            items = "".join(
                f"<li>{html_inline(item)}{_html_children(block, i)}</li>\n" for i, item in enumerate(block.items)
            )
            body.append(f"<{tag}>\n{items}</{tag}>")
        elif block.kind == "image":
            alt_text = "".join(s.text for s in block.inline)
            alt = html.escape(alt_text, quote=True)
            caption = f"<figcaption>{html.escape(alt_text)}</figcaption>"
            opened = index > 0 and blocks[index - 1].kind == "heading"
            body.append(f'{"" if opened else "<figure>"}<img alt="{alt}" src="{block.image}">{caption}</figure>')
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
