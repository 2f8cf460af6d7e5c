"""Text helpers shared by the output formats."""

from __future__ import annotations

from connectplan.engine import parse_expression
from connectplan.output.resolution import explain_condition, md_code, md_escape


def test_explain_condition_is_kconfig_style():
    expr = parse_expression("dashboard.express and (liability.stripe or not fee_payer.platform)")
    sel = {"dashboard": "express", "liability": "platform", "fee_payer": "platform"}
    assert explain_condition(expr, sel) == (
        "dashboard.express [=y] and (liability.stripe [=n] or not fee_payer.platform [=y])"
    )


def test_md_escape_neutralises_markup():
    hostile = "*bold* _it_ [link](http://x) <script>&amp; | pipe\nnext # head"
    out = md_escape(hostile)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "\\*bold\\*" in out and "\\[link\\]\\(http://x\\)" in out
    assert "\\|" in out and "\n" not in out and "<br>" in out


def test_md_code_survives_backticks():
    assert md_code("a`b") == "``a`b``"
    assert md_code("plain") == "`plain`"
