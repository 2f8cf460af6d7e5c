"""The render edge: formats, the missing-binary message, byte-identical output, and the CLI."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from connectplan.catalog_files import load_builtin
from connectplan.cli import cli
from connectplan.engine import resolve
from connectplan.outfile import OutputError, write_output
from connectplan.visualize import money_flow_diagram
from connectplan.visualize.render import FORMATS, INSTALL_HINT, RenderError, render, render_bytes

SAAS = {
    "onboarding": "hosted",
    "dashboard": "full",
    "charge_type": "direct",
    "fee_payer": "connected_account",
    "liability": "stripe",
}


@pytest.fixture
def dot():
    return money_flow_diagram(resolve(load_builtin("stripe-connect@2024.yaml"), SAAS), subject="acme@1")


@pytest.fixture
def no_dot_binary(monkeypatch, tmp_path):
    """PATH without Graphviz."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))


def test_formats_are_the_documented_four():
    assert FORMATS == ("svg", "png", "pdf", "dot")


def test_unknown_format_is_refused_before_running_anything(dot, tmp_path, no_dot_binary):
    with pytest.raises(RenderError, match="unknown diagram format 'gif'; use one of: svg, png, pdf, dot"):
        render(dot, tmp_path / "x.gif", "gif", write=write_output)
    assert not list(tmp_path.iterdir())


def test_missing_dot_binary_gives_the_install_hint(dot, tmp_path, no_dot_binary):
    with pytest.raises(RenderError) as info:
        render(dot, tmp_path / "x.svg", "svg", write=write_output)
    assert str(info.value) == INSTALL_HINT
    assert "apt-get install graphviz" in INSTALL_HINT and "\n" not in INSTALL_HINT
    assert not (tmp_path / "x.svg").exists()


def test_dot_output_needs_no_binary(dot, tmp_path, no_dot_binary):
    path = render(dot, tmp_path / "flow.dot", "dot", write=write_output)
    assert path.read_text(encoding="utf-8") == dot.source


def test_missing_directory_is_one_clear_error(dot, tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        render(dot, tmp_path / "nope" / "flow.dot", "dot", write=write_output)


def test_cli_maps_a_missing_binary_to_exit_3(runner, tmp_path, no_dot_binary):
    result = runner.invoke(
        cli,
        ["render", "money-flow", "--catalog", "stripe-connect@2024", "--preset", "saas", "-o", str(tmp_path / "f.svg")],
    )
    assert result.exit_code == 3  # the dot binary is unavailable (exit 3), not bad input
    assert result.output.strip() == f"Error: {INSTALL_HINT}"
    assert not (tmp_path / "f.svg").exists()


class TestCliSelections:
    def test_dot_to_stdout_by_default(self, runner):
        result = runner.invoke(
            cli,
            [
                "render",
                "money-flow",
                "--catalog",
                "stripe-connect@2024",
                "--preset",
                "saas",
                "--set",
                "liability=platform",
            ],
        )
        assert result.exit_code == 0, result.output
        assert result.output.startswith("digraph diagram__money_flow {")
        assert "liability=platform" in result.output

    def test_format_follows_the_output_suffix(self, runner, tmp_path):
        out = tmp_path / "steps.dot"
        result = runner.invoke(cli, ["render", "steps", "--preset", "saas", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8").startswith("digraph diagram__steps {")

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (
                ["render", "steps", "--preset", "saas", "--format", "png"],
                "png output is binary; write it to a file with -o FILE.png",
            ),
            (
                ["render", "steps", "--preset", "saas", "-o", "x.svg", "--format", "png"],
                "ends in .svg but --format is png",
            ),
            (["render", "steps", "--preset", "saas", "-o", "x.txt"], "cannot tell the format from 'x.txt'"),
            (["render", "steps"], "name a plan version (REF"),
            (["render", "liability", "--preset", "saas", "--include", "refunds"], "--include applies to money-flow"),
            (["render", "money-flow", "--preset", "saas", "--include", "bogus"], "unknown --include value 'bogus'"),
            (["render", "money-flow", "acme", "--preset", "saas"], "not both"),
            (["render", "catalog", "--catalog", "stripe-connect@1999"], "unknown"),
        ],
    )
    def test_bad_input_is_one_line_and_exit_2(self, runner, args, message):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert "Traceback" not in result.output


@pytest.mark.dot
class TestWithGraphviz:
    def test_svg_is_well_formed_names_the_parties_and_is_stable(self, dot, tmp_path):
        first = render(dot, tmp_path / "a.svg", "svg", write=write_output).read_bytes()
        second = render(dot, tmp_path / "b.svg", "svg", write=write_output).read_bytes()
        assert first == second
        root = ET.fromstring(first)
        texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
        # party names wrap at 14 characters so left-to-right figures fit a page column
        for party in ("Customer", "Platform", "Connected", "account", "Stripe", "account's bank"):
            assert party in texts
        assert "Money flow: acme@1" in texts

    def test_png_and_pdf(self, dot, tmp_path):
        png = render(dot, tmp_path / "a.png", "png", write=write_output).read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert png == render_bytes(dot, "png")
        assert render(dot, tmp_path / "a.pdf", "pdf", write=write_output).read_bytes().startswith(b"%PDF")

    @pytest.mark.parametrize("kind", ["money-flow", "liability", "steps", "catalog"])
    def test_cli_renders_every_kind_to_svg(self, runner, tmp_path, kind):
        out = tmp_path / f"{kind}.svg"
        result = runner.invoke(
            cli, ["render", kind, "--catalog", "stripe-connect@2025", "--preset", "marketplace", "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert result.output == f"wrote {out} (svg)\n"
        root = ET.fromstring(out.read_bytes())
        texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
        assert "stripe-connect@2025" in texts
        assert "Legend" in texts

    def test_catalog_alone_renders(self, runner, tmp_path):
        out = tmp_path / "catalog.pdf"
        result = runner.invoke(cli, ["render", "catalog", "--catalog", "stripe-connect@2024", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(b"%PDF")


def test_command_modules_import_no_graphviz():
    """`connectplan --help` stays fast: graphviz and the builders load only when a command runs."""
    import subprocess
    import sys

    code = (
        "import sys, connectplan.commands.render, connectplan.commands.doc, connectplan.commands.prompt\n"
        "print(sorted(m for m in ('graphviz', 'visualize', 'connectplan.output.design_doc', 'sqlalchemy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_broken_dot_binary_is_one_line_exit_2(tmp_path):
    """A `dot` that fails: its complaint is folded into our one error line, nothing else is printed."""
    import os
    import stat
    import subprocess
    import sys

    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'boom: cannot render' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "connectplan",
            "--db",
            f"sqlite:///{tmp_path / 'p.db'}",
            "render",
            "money-flow",
            "--preset",
            "saas",
            "-o",
            str(tmp_path / "f.svg"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == ["Error: Graphviz failed to render svg: boom: cannot render"]
    assert not (tmp_path / "f.svg").exists()
