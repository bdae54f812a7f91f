"""The authors' own code, run beside the harness as reference methods.

- ``sae_probes`` (Kantamneni et al. 2025; the wheel is installed without dependencies): the
  probe trainer ``find_best_reg`` (a 10-value C grid from 1e5 to 1e-5, chosen by
  cross-validation, then a refit on every labelled row) from ``utils_training.py``, and the
  SAE-latent ranking ``get_sorted_indices`` with ``mean_act_normalization`` from
  ``run_sae_evals.py``.
- ``hypothesaes`` (Movva et al. 2025): ``SparseAutoencoder`` from ``sae.py`` (TopK,
  median-initialised bias, normalised MSE, AuxK) and ``select_neurons`` from
  ``select_neurons.py``.

Both packages import network clients or heavy model libraries from their ``__init__``, so the
modules above are loaded from the installed files without running the package's
``__init__``. ``utils_training.py`` imports ``xgboost`` for a classifier the harness never
calls, and ``run_sae_evals.py`` imports ``sae_lens`` and model-activation code at the top;
for those two files only the named definitions are executed, with the file's imports that
are installed. Nothing is copied: the code runs from the installed wheel.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import types
from functools import cache
from pathlib import Path
from typing import Any

from replication.harness.errors import DataError

#: package -> (PyPI requirement, install command)
PACKAGES: dict[str, tuple[str, str]] = {
    "sae_probes": ("sae-probes==0.4.2", ".venv/bin/pip install --no-deps sae-probes==0.4.2"),
    "hypothesaes": ("hypothesaes==2.0.1", ".venv/bin/pip install --no-deps hypothesaes==2.0.1"),
}


def package_dir(module: str) -> Path | None:
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations)))


def require(module: str, method: str) -> Path:
    """The package's folder; a missing package is an error that says how to install it."""
    folder = package_dir(module)
    if folder is None:
        requirement, command = PACKAGES[module]
        raise DataError(
            f"method {method!r} runs the authors' code from the {requirement} package, which is "
            f"not installed; install it with `{command}` (it is on the Makefile's no-deps line)"
        )
    return folder


def _load_file(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _load_definitions(name: str, path: Path, wanted: set[str]) -> types.ModuleType:
    """Execute only the named top-level definitions of a file, with its installable imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    body: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            )
            if all(m and importlib.util.find_spec(m.split(".")[0]) for m in modules) and not any(
                m and m.startswith(path.parent.name) for m in modules
            ):
                body.append(node)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in wanted:
            body.append(node)
    missing = wanted - {n.name for n in body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    if missing:
        raise DataError(f"{path}: definitions {sorted(missing)} not found (a different version?)")
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    code = compile(ast.Module(body=body, type_ignores=[]), str(path), "exec")
    exec(code, module.__dict__)  # noqa: S102 - the installed package's own source
    return module


@cache
def sae_probes_training() -> Any:
    folder = require("sae_probes", "sae_probes")
    return _load_definitions(
        "_reference_sae_probes_training",
        folder / "utils_training.py",
        {"Metrics", "BestClassifierResults", "get_cv", "get_splits", "find_best_reg"},
    )


@cache
def sae_probes_ranking() -> Any:
    folder = require("sae_probes", "sae_probes")
    return _load_definitions(
        "_reference_sae_probes_ranking",
        folder / "run_sae_evals.py",
        {"get_sorted_indices", "mean_act_normalization"},
    )


@cache
def hypothesaes_sae() -> Any:
    folder = require("hypothesaes", "hypothesaes")
    return _load_file("_reference_hypothesaes_sae", folder / "sae.py")


@cache
def hypothesaes_selection() -> Any:
    folder = require("hypothesaes", "hypothesaes")
    return _load_file("_reference_hypothesaes_select", folder / "select_neurons.py")
