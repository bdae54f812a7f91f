"""The import contracts in pyproject.toml ([tool.importlinter]) hold, so `make test` enforces
the boundaries as `make lint` does: the harness imports no Django, the catalogue's models
and ingestion import neither evaluations nor replication, no services module imports a
tasks module (tasks are sent by name through tracker.queueing), each app is layered
(models < services < views, admin, tasks, ...) and no sibling modules import each other
in a cycle. Each contract is shown to catch an import planted in a copy of the apps."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
APPS = ("tracker", "evaluations", "replication")
CONTRACTS = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
NAMES = {c["id"]: c["name"] for c in CONTRACTS}


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "400"}  # one line a contract
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-logo", "--no-cache",
         str(root / "pyproject.toml")],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )


def test_the_five_contracts_are_configured():
    assert set(NAMES) == {"harness-standalone", "catalogue-core", "services-name-tasks",
                          "app-layers", "no-cycles"}


def test_the_import_contracts_hold():
    checked = _lint_imports(ROOT)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "5 kept, 0 broken" in checked.stdout


#: contract id -> (file in the copy, line appended to it: an import it must refuse).
PLANTED = {
    "harness-standalone": ("replication/harness/stats.py", "import django.db"),
    "catalogue-core": ("tracker/queries.py", "from evaluations import scoring"),
    "services-name-tasks": ("evaluations/forecasts/services.py",
                            "from evaluations.forecasts import tasks"),
    # models importing upwards; it is a cycle too, so no-cycles also breaks.
    "app-layers": ("replication/models.py", "from replication import views"),
    # The cycle issue 29 found, planted back: two modules no layer names.
    "no-cycles": ("evaluations/aggregates.py", "from evaluations import leaderboard"),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A copy of the apps and the settings of lint-imports, where imports are planted."""
    root = tmp_path_factory.mktemp("apps")
    for app in APPS:
        shutil.copytree(ROOT / app, root / app, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PYPROJECT, root / "pyproject.toml")
    return root


@pytest.mark.parametrize("contract", sorted(PLANTED))
def test_each_contract_breaks_on_a_planted_import(pristine, contract):
    path, line = PLANTED[contract]
    planted = pristine / path
    original = planted.read_text()
    planted.write_text(f"{original}\n{line}  # planted by the test\n")
    try:
        checked = _lint_imports(pristine)
    finally:
        planted.write_text(original)

    out = checked.stdout + checked.stderr
    assert checked.returncode == 1, out
    assert f"{NAMES[contract]} BROKEN" in out, out
    module = path.removesuffix(".py").replace("/", ".")
    assert module in out or module.rsplit(".", 1)[-1] in out, out  # it names the import
    if contract == "no-cycles":  # a cycle outside the layers breaks that contract alone
        assert "4 kept, 1 broken" in out, out
