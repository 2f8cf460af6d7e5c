"""Hostile text in catalogs and plan names shows literally and never changes a diagram's structure."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from conftest import tiny_doc

from connectplan.engine import catalog_from_dict, resolve
from connectplan.visualize import catalog_diagram, change_diagram, liability_diagram, money_flow_diagram, steps_diagram
from connectplan.visualize._dot import node_id, text
from connectplan.visualize.render import render_bytes

HOSTILE = "Ünïcødé \"q\" 's' <b>x</b> & {br} \\N \\G ]; a -> b [label=x] // #c -- <TD> \\\\ end"
TOKENS = ["Ünïcødé", '"q"', "'s'", "<b>x</b>", "&", "{br}", "\\N", "\\G", "];", "->", "[label=x]", "//", "<TD>", "\\\\"]
SUBJECT = 'plan "<evil>" & {x}\\N@1'


def catalog(label: str):
    """The tiny catalog with ``label`` in every text field a diagram shows (plus a merchant of record)."""
    doc = tiny_doc(title=label + " title")
    doc["parties"] = [{"id": "a", "title": label + " A"}, {"id": "b", "title": label + "\nB"}]
    for prop in doc["properties"]:
        prop["title"] = label + " " + prop["id"]
        for opt in prop["options"]:
            opt["title"] = label + " " + opt["id"]
    for step in doc["steps"]:
        step["title"] = label + " " + step["id"]
    doc["flows"][0]["what"] = label + "\nsecond line"
    doc["flows"].append({"id": "back", "from": "b", "to": "a", "what": label, "kind": "refund", "condition": "always"})
    doc["responsibilities"][0]["title"] = label
    for a in doc["responsibilities"][0]["assignments"]:
        a["note"] = label
    doc["responsibilities"].append(
        {
            "id": "merchant_of_record",
            "title": label,
            "assignments": [{"party": "b", "condition": "always", "note": label}],
        }
    )
    return catalog_from_dict(doc)


def diagrams(label: str, subject: str) -> dict[str, object]:
    cat = catalog(label)
    res = resolve(cat, {"color": "red", "size": "l"})
    other = resolve(cat, {"color": "blue", "size": "s"})
    return {
        "money-flow": money_flow_diagram(res, subject=subject, include=("all",)),
        "liability": liability_diagram(res, subject=subject),
        "steps": steps_diagram(res, subject=subject),
        "catalog": catalog_diagram(cat, res),
        "change": change_diagram("money-flow", other, res, old_subject=subject, new_subject=subject, include=("all",)),
    }


def strip_labels(source: str) -> str:
    """DOT text with every HTML-like label body removed (labels nest only through tags)."""
    out, i = [], 0
    while True:
        j = source.find("label=<", i)
        if j < 0:
            return "".join(out) + source[i:]
        out.append(source[i : j + 6])
        depth, k = 0, j + 6
        while True:
            ch = source[k]
            depth += {"<": 1, ">": -1}.get(ch, 0)
            k += 1
            if depth == 0:
                break
        out.append("<>")
        i = k


_TAG = re.compile(r'</?(?:B|BR|FONT|TABLE|TR|TD)(?: [A-Z-]+="[^"<>]*")*\s*/?>')


def label_bodies(source: str) -> list[str]:
    bodies, i = [], 0
    while (j := source.find("label=<", i)) >= 0:
        depth, k = 0, j + 6
        while True:
            depth += {"<": 1, ">": -1}.get(source[k], 0)
            k += 1
            if depth == 0:
                break
        bodies.append(source[j + 7 : k - 1])
        i = k
    return bodies


@pytest.mark.parametrize("kind", ["money-flow", "liability", "steps", "catalog", "change"])
def test_hostile_text_cannot_change_the_dot_structure(kind: str) -> None:
    hostile = diagrams(HOSTILE, SUBJECT)[kind].source
    benign = diagrams("plain", "plan@1")[kind].source
    assert strip_labels(hostile) == strip_labels(benign)
    for body in label_bodies(hostile):
        rest = _TAG.sub("", body)
        assert not set(rest) & set('<>"'), rest


def test_ids_never_hold_colons_or_quotes() -> None:
    assert ":" not in node_id("option", "a:b", 'c"d')
    assert re.fullmatch(r"\w+", node_id("x", "é ü:\"'<>{}\\"))


def test_text_escapes_html_and_backslashes() -> None:
    assert text('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    assert text("a\nb") == "a<BR/>b"
    assert text("\\N") == "\\\\N"  # Graphviz reads \N as the node name even in HTML labels
    assert text("bell\x07") == "bell"


def test_dot_text_is_identical_across_builds() -> None:
    first = {k: d.source for k, d in diagrams(HOSTILE, SUBJECT).items()}
    second = {k: d.source for k, d in diagrams(HOSTILE, SUBJECT).items()}
    assert first == second


SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.dot
@pytest.mark.parametrize("kind", ["money-flow", "liability", "steps", "catalog", "change"])
def test_hostile_text_appears_literally_in_svg(kind: str) -> None:
    dot = diagrams(HOSTILE, SUBJECT)[kind]
    root = ET.fromstring(render_bytes(dot, "svg"))
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for token in TOKENS:
        assert token in texts, token
    # structure: the same number of nodes and edges as the benign twin
    benign = ET.fromstring(render_bytes(diagrams("plain", "plan@1")[kind], "svg"))

    def shape(r: ET.Element) -> tuple[int, int, int]:
        classes = [g.get("class") for g in r.iter(f"{SVG}g")]
        return classes.count("node"), classes.count("edge"), classes.count("cluster")

    assert shape(root) == shape(benign)
