"""Design documents (Markdown and HTML) and the LLM prompt: content, escaping, determinism, the CLI."""

from __future__ import annotations

import base64
import copy
import html.parser
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import all_selections, tiny_doc
from markdown_it import MarkdownIt

from connectplan.catalog_files import load_builtin
from connectplan.cli import cli
from connectplan.engine import catalog_from_dict, resolve
from connectplan.output.design_doc import PlanInfo, design_html, design_markdown
from connectplan.output.prompt import prompt_text

HOSTILE = 'Ünïcødé "q" <script>alert(1)</script> & {br} | pipe `tick` *star* _u_ [link](javascript:x) # hash \\ back'
TOKENS = [
    "Ünïcødé",
    '"q"',
    "<script>alert(1)</script>",
    "&",
    "{br}",
    "| pipe",
    "`tick`",
    "*star*",
    "_u_",
    "[link](javascript:x)",
    "# hash",
    "\\ back",
]

ALLOWED_TAGS = {
    "h1",
    "h2",
    "h3",
    "p",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "ul",
    "ol",
    "li",
    "code",
    "strong",
    "a",
    "img",
    "br",
}
#: the HTML page adds figures (an image with its caption) to what Markdown renders to
FIGURE_TAGS = {"figure", "figcaption"}
PAGE_TAGS = ALLOWED_TAGS | FIGURE_TAGS | {"html", "head", "meta", "title", "style", "body"}


class Page(html.parser.HTMLParser):
    """Collects tags, text, link targets and image sources of an HTML fragment or page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.rows: list[int] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "a":
            self.hrefs.append(attrs.get("href", ""))
        if tag == "img":
            self.srcs.append(attrs.get("src", ""))
        if tag == "tr":
            self.rows.append(0)
        if tag in ("td", "th"):
            self.rows[-1] += 1
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if not self._in_style:
            self.text.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def parse(markup: str) -> Page:
    page = Page()
    page.feed(markup)
    page.close()
    return page


def hostile_resolution():
    doc = tiny_doc(title=HOSTILE)
    doc["parties"][0]["title"] = HOSTILE
    for prop in doc["properties"]:
        prop["title"] = HOSTILE
        for opt in prop["options"]:
            opt.update(title=HOSTILE, summary=HOSTILE, best_for=[HOSTILE], api=[HOSTILE], docs=["javascript:alert(1)"])
    for rule in doc["rules"]:
        rule.update(message=HOSTILE, alternative=HOSTILE, source=HOSTILE + " https://example.com/a?b=1&c=<2>")
    for step in doc["steps"]:
        step.update(title=HOSTILE, body=HOSTILE + "\nline two", url="javascript:alert(1)")
    doc["flows"][0].update(what=HOSTILE, note=HOSTILE)
    doc["responsibilities"][0].update(title=HOSTILE)
    for a in doc["responsibilities"][0]["assignments"]:
        a["note"] = HOSTILE
    cat = catalog_from_dict(_valid_links(doc))
    _force_hostile_links(cat)
    return resolve(cat, {"color": "red", "size": "l"}), resolve(cat, {"color": "blue", "size": "l"})


def _valid_links(doc):
    """Validation refuses non-http(s) links (issue 10); the outputs must still guard against them."""
    doc = copy.deepcopy(doc)
    for prop in doc["properties"]:
        for opt in prop["options"]:
            opt["docs"] = ["https://example.com/docs"]
    for rule in doc["rules"]:
        rule["source"] = "https://example.com/source"
    for step in doc["steps"]:
        step["url"] = "https://example.com/step"
    return doc


def _force_hostile_links(cat):
    """Put the hostile links back, as a catalog stored before link validation would carry them."""
    for prop in cat.properties:
        for opt in prop.options:
            object.__setattr__(opt, "docs", ("javascript:alert(1)",))
    for rule in cat.rules:
        object.__setattr__(rule, "source", HOSTILE + " https://example.com/a?b=1&c=<2>")
    for step in cat.steps:
        object.__setattr__(step, "url", "javascript:alert(1)")


INFO = PlanInfo(
    name=HOSTILE,
    version=2,
    created_at="2026-01-02T03:04:05Z",
    message=HOSTILE + "\nsecond",
    tags=(HOSTILE,),
    author=HOSTILE,
)
PREV = PlanInfo(name=HOSTILE, version=1, created_at="2026-01-01T00:00:00Z")


class TestEscaping:
    def test_markdown_renders_hostile_text_literally(self):
        res, before = hostile_resolution()
        md = design_markdown(res, INFO, previous=(PREV, before), images=[("Money <flow>", "money-flow.svg")])
        rendered = MarkdownIt("commonmark").enable("table").render(md)
        page = parse(rendered)
        assert set(page.tags) <= ALLOWED_TAGS, set(page.tags) - ALLOWED_TAGS
        for token in TOKENS:
            assert token in page.all_text, token
        # links are https URLs or the table of contents' anchors (letters, digits, - and _ only)
        assert all(h.startswith("https://") or re.fullmatch(r"#[\w-]+", h) for h in page.hrefs), page.hrefs
        assert "https://example.com/a?b=1&c=" in page.hrefs  # a URL ends where '<' starts
        assert "c=<2>" in page.all_text
        assert page.srcs == ["money-flow.svg"]
        # every table row keeps its column count: a '|' in the text never splits a cell
        tables = rendered.split("<table>")[1:]
        for table in tables:
            counts = parse("<table>" + table.split("</table>")[0]).rows
            assert len(set(counts)) == 1, counts

    def test_html_renders_hostile_text_literally(self):
        res, before = hostile_resolution()
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>'
        page_text = design_html(res, INFO, previous=(PREV, before), images=[("Money <flow>", svg)])
        page = parse(page_text)
        assert set(page.tags) <= PAGE_TAGS, set(page.tags) - PAGE_TAGS
        assert "script" not in page.tags
        for token in TOKENS:
            assert token in page.all_text, token
        assert all(h.startswith("https://") or re.fullmatch(r"#[\w-]+", h) for h in page.hrefs), page.hrefs
        assert page.srcs == ["data:image/svg+xml;base64," + base64.b64encode(svg).decode()]

    def test_unsafe_urls_never_become_links(self):
        res, _ = hostile_resolution()
        assert "javascript:" not in "".join(parse(design_html(res, INFO)).hrefs)
        rendered = MarkdownIt("commonmark").enable("table").render(design_markdown(res, INFO))
        external = [h for h in parse(rendered).hrefs if not h.startswith("#")]
        assert external == ["https://example.com/a?b=1&c="]  # the rule source; never javascript:


class TestContent:
    @pytest.fixture
    def res(self):
        cat = load_builtin("stripe-connect@2025.yaml")
        return resolve(
            cat,
            {
                "onboarding": "embedded",
                "dashboard": "express",
                "charge_type": "destination",
                "fee_payer": "platform",
                "liability": "platform",
            },
        )

    def test_markdown_holds_decisions_findings_steps_and_diagrams(self, res):
        md = design_markdown(
            res,
            PlanInfo("acme", 2, "2026-01-02T03:04:05Z", "more sellers", ("reviewed",)),
            images=[("Money flow", "money-flow.svg"), ("Steps", "steps.svg")],
        )
        html_text = MarkdownIt("commonmark").enable("table").render(md)
        page = parse(html_text)
        text = page.all_text
        for prop, opt in res.selection:
            assert f"{prop}.{opt}" in text
            assert res.catalog.property_index[prop].option(opt).summary in text
        for finding in res.findings:
            assert finding.rule.id in text and finding.rule.message in text
        for step in res.steps:
            assert step.step.title in text
            if step.step.url:
                assert step.step.url in page.hrefs
        assert page.srcs == ["money-flow.svg", "steps.svg"]
        assert "2026-01-02T03:04:05Z" in text and "reviewed" in text and "more sellers" in text
        assert "This is the first version of the plan." in text
        # ordered steps: the list items follow the resolution's order
        positions = [text.index(s.step.title) for s in res.steps]
        assert positions == sorted(positions)

    def test_change_from_previous_version(self, res):
        cat = res.catalog
        before = resolve(cat, {**res.selection_dict, "charge_type": "separate"})
        md = design_markdown(res, PlanInfo("acme", 2), previous=(PlanInfo("acme", 1, "2026-01-01T00:00:00Z"), before))
        text = parse(MarkdownIt("commonmark").enable("table").render(md)).all_text
        assert "Compared with acme@1 (created 2026-01-01T00:00:00Z)." in text
        assert "Decision charge_type: separate → destination" in text

    def test_selection_document_has_no_version_sections(self, res):
        md = design_markdown(res)
        assert md.startswith("# What\\-if selection")
        assert "Change from the previous version" not in md


class TestPrompt:
    def test_every_selection_of_both_editions(self, stripe_catalog):
        """Each prompt names every active step and the API settings of every chosen option."""
        for selection in all_selections(stripe_catalog):
            res = resolve(stripe_catalog, selection)
            text = prompt_text(res)
            for step in res.steps:
                assert f"{step.step.title} [id {step.step.id};" in text
            for prop, opt in res.selection:
                option = stripe_catalog.property_index[prop].option(opt)
                assert f"({prop}.{opt})" in text
                for api in option.api:
                    assert f"      - {api.text}" in text
            for finding in res.findings:
                assert f"[{finding.rule.severity}] {finding.rule.id}: {finding.rule.message}" in text

    def test_blocked_selection_warns_first(self, cat2025):
        res = resolve(
            cat2025,
            {
                "onboarding": "api",
                "dashboard": "full",
                "charge_type": "direct",
                "fee_payer": "connected_account",
                "liability": "stripe",
            },
        )
        text = prompt_text(res, PlanInfo("acme", 3))
        assert "Verdict of this selection: BLOCKED." in text
        assert "not a supported design" in text
        assert "Implement the integration plan acme@3 exactly as specified." in text


# ---------------------------------------------------------------------------
# the CLI, on a real store


@pytest.fixture
def store_url(tmp_path):
    from connectplan.workspace import open_workspace

    url = f"sqlite:///{tmp_path / 'plans.db'}"
    store = open_workspace(url)
    store.new_plan(
        "acme-marketplace", catalog="stripe-connect@2025", preset="marketplace", message="first cut", author="ann"
    )
    store.set_plan("acme-marketplace", {"charge_type": "separate"}, message="hold funds until delivery", author="ann")
    store.tag("acme-marketplace@1", "reviewed")
    store.new_plan("old-saas", catalog="stripe-connect@2024", preset="saas", message="2024 guide example", author="bob")
    store.close()
    return url


def run(runner, url, *args):
    return runner.invoke(cli, ["--db", url, *args])


@pytest.mark.dot
class TestDocCommand:
    @pytest.mark.parametrize("plan", ["acme-marketplace", "old-saas"])
    def test_markdown_folder_is_self_contained_and_rewritten_identically(self, runner, store_url, tmp_path, plan):
        out = tmp_path / "doc"
        first = run(runner, store_url, "doc", plan, "-o", str(out))
        assert first.exit_code == 0, first.output
        files = sorted(p.name for p in out.iterdir())
        figures = ["liability.svg", "money-flow-reverse.svg", "money-flow.svg", "steps.svg"]
        assert files == [".connectplan-doc.json", "README.md", *figures]
        snapshot = {name: (out / name).read_bytes() for name in files}
        md = snapshot["README.md"].decode("utf-8")
        page = parse(MarkdownIt("commonmark").enable("table").render(md))
        assert sorted(page.srcs) == figures
        for src in page.srcs:
            ET.fromstring((out / src).read_bytes())  # each image is well-formed SVG beside the document
        again = run(runner, store_url, "doc", plan, "-o", str(out))
        assert again.exit_code == 0
        assert {name: (out / name).read_bytes() for name in files} == snapshot

    def test_second_version_shows_the_change(self, runner, store_url, tmp_path):
        result = run(runner, store_url, "doc", "acme-marketplace@2", "-o", str(tmp_path / "d"))
        assert result.exit_code == 0, result.output
        md = (tmp_path / "d" / "README.md").read_text(encoding="utf-8")
        text = parse(MarkdownIt("commonmark").enable("table").render(md)).all_text
        assert "Compared with acme-marketplace@1" in text
        assert "Decision charge_type: destination → separate" in text
        assert "hold funds until delivery" in text
        # the transfer changed; the customer's charge to the platform did not (same movement, other flow id)
        # flows are matched by movement (engine.diff): the transfer changed what moves
        assert (
            "Money flow changed: Platform → Connected account (transfer): "
            "Transfer (A, or transfer_data[amount]) → Transfers (T1..Tn)" in text
        )
        assert "Money flow removed: Connected account → Platform (application_fee): Application fee (F)" in text
        assert "Customer → Platform: Charge amount" not in text

    @pytest.mark.parametrize("plan", ["acme-marketplace@reviewed", "old-saas"])
    def test_html_is_one_self_contained_page(self, runner, store_url, tmp_path, plan):
        target = tmp_path / "plan.html"
        result = run(runner, store_url, "doc", plan, "-o", str(target), "--format", "html")
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".db") == ["plan.html"]
        page = parse(target.read_text(encoding="utf-8"))
        assert set(page.tags) <= PAGE_TAGS
        assert len(page.srcs) == 4  # money flow (and again with its reverse flows), liability, steps
        for src in page.srcs:
            head, data = src.split(",", 1)
            assert head == "data:image/svg+xml;base64"
            ET.fromstring(base64.b64decode(data))
        before = target.read_bytes()
        assert run(runner, store_url, "doc", plan, "-o", str(target), "--format", "html").exit_code == 0
        assert target.read_bytes() == before

    def test_selection_form(self, runner, tmp_path):
        result = runner.invoke(
            cli, ["doc", "--preset", "saas", "--catalog", "stripe-connect@2024", "-o", str(tmp_path / "w")]
        )
        assert result.exit_code == 0, result.output
        assert (tmp_path / "w" / "README.md").read_text(encoding="utf-8").startswith("# What\\-if selection")


def test_doc_into_a_file_path_is_refused(runner, store_url, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run(runner, store_url, "doc", "old-saas", "-o", str(blocker))
    assert result.exit_code == 2
    assert "it is a file" in result.output
    assert blocker.read_text() == "x"


def test_doc_unknown_plan_is_one_line(runner, store_url, tmp_path):
    result = run(runner, store_url, "doc", "nope", "-o", str(tmp_path / "d"))
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "d").exists()


class TestPromptAndRenderRefs:
    def test_prompt_by_tag(self, runner, store_url):
        result = run(runner, store_url, "prompt", "acme-marketplace@reviewed")
        assert result.exit_code == 0, result.output
        assert "Implement the integration plan acme-marketplace@1 exactly as specified." in result.output
        assert "charge_type.destination" in result.output
        assert "Plan notes:\n  > first cut" in result.output

    def test_render_ref_and_change(self, runner, store_url):
        result = run(runner, store_url, "render", "money-flow", "acme-marketplace@2", "--against", "acme-marketplace@1")
        assert result.exit_code == 0, result.output
        assert "Money flow change: acme-marketplace@1 → acme-marketplace@2" in result.output
        # matched by movement (engine.diff): the transfer changed what moves; it is not removed and added
        assert "<B>~ </B>Transfers<BR/>(T1..Tn)" in result.output
        latest = run(runner, store_url, "render", "steps", "acme-marketplace")
        assert latest.exit_code == 0 and "Integration steps: acme-marketplace@2" in latest.output

    def test_render_catalog_of_a_plan_highlights_its_choices(self, runner, store_url):
        result = run(runner, store_url, "render", "catalog", "old-saas")
        assert result.exit_code == 0, result.output
        assert "Catalog: stripe-connect@2024" in result.output
        assert "Selection: onboarding=hosted" in result.output

    def test_against_with_what_if_selection(self, runner, store_url):
        result = run(
            runner,
            store_url,
            "render",
            "liability",
            "--catalog",
            "stripe-connect@2025",
            "--preset",
            "marketplace",
            "--set",
            "charge_type=separate",
            "--against",
            "acme-marketplace@1",
        )
        assert result.exit_code == 0, result.output
        assert "acme-marketplace@1 → what-if" in result.output


def test_commands_have_help_with_examples(runner):
    for name in ("render", "doc", "prompt"):
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert "Example: connectplan " + name in result.output


@pytest.mark.dot
def test_written_doc_paths_are_printed(runner, tmp_path):
    out = tmp_path / "x"
    result = runner.invoke(cli, ["doc", "--preset", "saas", "-o", str(out), "--format", "html"])
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {out / 'index.html'}\n"
    assert (out / "index.html").exists()


def test_doc_without_dot_binary_writes_nothing(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    out = tmp_path / "x"
    result = runner.invoke(cli, ["doc", "--preset", "saas", "-o", str(out)])
    assert result.exit_code == 2
    assert "apt-get install graphviz" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()
