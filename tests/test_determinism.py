"""Outputs do not depend on the hash seed (issue 18, point 4).

Two processes with different ``PYTHONHASHSEED`` values render, for every preset of every built-in
edition, ``doc`` (Markdown with its SVGs), ``resolve`` (JSON, text, Markdown), ``explore`` (JSON,
text) and ``prompt``, and each edition's ``presets``; every output's bytes must be identical. A
list built from a set (the rules an option "would clear" in a design document) came out in the
set's order before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: run in a child process: print {output name: sha256 of its bytes} as JSON
SCRIPT = r"""
import hashlib, json, os, sys
from pathlib import Path
from click.testing import CliRunner
from connectplan.catalog_files import builtin_catalogs
from connectplan.cli import cli
import connectplan.workspace

# Every command opens a workspace, whose cache of catalogs starts empty; here they share one, so
# each catalog is read from the store once per process instead of once per command (the outputs
# are computed the same way: the time went into rebuilding the same catalogs 300 times).
class SharedCache(connectplan.workspace.CatalogCache):
    def clear(self):  # a closing workspace empties its cache; this one outlives them
        pass

shared_cache = SharedCache(64)
connectplan.workspace.CatalogCache = lambda size: shared_cache

work = Path(sys.argv[1])
os.chdir(work)  # the documents' paths are relative, so the two processes print the same lines
url = f"sqlite:///{work / 'store.db'}"
runner = CliRunner()
digests = {}

def run(key, *args):
    result = runner.invoke(cli, ["--db", url, *args], catch_exceptions=False)
    assert result.exit_code == 0, (key, result.output)
    digests[key] = hashlib.sha256(result.stdout_bytes).hexdigest()

for cat in builtin_catalogs():
    ref = f"{cat.name}@{cat.edition}"
    for fmt in ("json", "text"):
        run(f"{ref}/presets-{fmt}", "presets", "--catalog", ref, "--format", fmt)
    for preset in cat.presets:
        base = f"{ref}/{preset.id}"
        for fmt in ("json", "text", "markdown"):
            run(f"{base}/resolve-{fmt}", "resolve", "--catalog", ref, "--preset", preset.id, "--format", fmt)
        for fmt in ("json", "text"):
            run(f"{base}/explore-{fmt}", "explore", "--catalog", ref, "--preset", preset.id, "--format", fmt)
        run(base + "/prompt", "prompt", "--catalog", ref, "--preset", preset.id)
        out = Path("docs", cat.edition, preset.id)
        run(base + "/doc-log", "doc", "--catalog", ref, "--preset", preset.id, "-o", str(out))
        for f in sorted(out.iterdir()):
            digests[f"{base}/doc/{f.name}"] = hashlib.sha256(f.read_bytes()).hexdigest()
print(json.dumps(digests))
"""


def _start(tmp_path: Path, seed: str) -> subprocess.Popen[str]:
    work = tmp_path / f"seed-{seed}"
    work.mkdir()
    env = {**os.environ, "PYTHONHASHSEED": seed, "CONNECTPLAN_DATABASE_URL": f"sqlite:///{work / 'default.db'}"}
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(work)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _digests(proc: subprocess.Popen[str]) -> dict[str, str]:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out)


@pytest.mark.dot
def test_outputs_are_identical_under_two_hash_seeds(tmp_path):
    procs = [_start(tmp_path, "1"), _start(tmp_path, "2")]  # side by side
    first, second = (_digests(p) for p in procs)
    assert len(first) > 100
    assert sorted(first) == sorted(second)
    differ = sorted(k for k in first if first[k] != second[k])
    assert not differ, f"{len(differ)} outputs differ between hash seeds, e.g. {differ[:5]}"
