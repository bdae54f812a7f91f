"""The import contracts in pyproject.toml ([tool.importlinter]) hold, so `make test` enforces
the boundaries as `make lint` does: the harness imports no Django, the catalogue's models
and ingestion import neither evaluations nor replication, and no services module imports a
tasks module (tasks are sent by name through tracker.queueing)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def test_the_three_contracts_are_configured():
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]

    assert {c["id"] for c in contracts} == {
        "harness-standalone", "catalogue-core", "services-name-tasks"
    }


def test_the_import_contracts_hold():
    checked = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-logo", "--no-cache",
         str(PYPROJECT)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "3 kept, 0 broken" in checked.stdout
