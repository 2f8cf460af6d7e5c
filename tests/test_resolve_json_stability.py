"""`resolve --format json` stays byte-identical through the engine's restructuring (issue 9, point 7).

The expected digests were produced by the code before issue 9 (see ``generated_by`` in the
golden file) from a frozen copy of the 2024 catalog renamed ``golden-connect``, so the shipped
catalogs can gain corrected revisions without touching this contract. Issue 18 regenerated them
once, deliberately (``regenerated_by``): the ``catalog`` object gained ``"revision": 1``, and every
previous digest was checked to equal the new output with that one line taken out.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

from click.testing import CliRunner

from connectplan.catalog_files import load_catalog_file
from connectplan.cli import cli

GOLDEN = Path(__file__).parent / "golden" / "resolve-2024"


def test_resolve_json_of_every_2024_selection_is_byte_identical(tmp_path: Path) -> None:
    expected = json.loads((GOLDEN / "outputs.json").read_text(encoding="utf-8"))["outputs"]
    source = GOLDEN / "golden-connect@2024.yaml"
    catalog = load_catalog_file(source)
    db = ["--db", f"sqlite:///{tmp_path / 'golden.db'}"]
    runner = CliRunner()
    imported = runner.invoke(cli, [*db, "catalog", "import", str(source)])
    assert imported.exit_code == 0, imported.output
    ids = [p.id for p in catalog.properties]
    seen = {}
    for combo in itertools.product(*(p.option_ids for p in catalog.properties)):
        sets = [arg for p, o in zip(ids, combo, strict=True) for arg in ("--set", f"{p}={o}")]
        result = runner.invoke(cli, [*db, "resolve", "--catalog", "golden-connect@2024", "--format", "json", *sets])
        assert result.exit_code == 0, result.output
        key = ",".join(f"{p}={o}" for p, o in zip(ids, combo, strict=True))
        seen[key] = hashlib.sha256(result.output.encode("utf-8")).hexdigest()
    assert len(seen) == 108
    assert seen == expected
