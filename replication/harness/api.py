"""The harness's public API: load a spec, run it, get the verdict and the files.

    from replication.harness.api import load_spec_file, run_spec, spec_hash
    spec = load_spec_file("replication/specs/ci_sparse_probing.toml")
    result = run_spec(spec, Path("var/runs/ci"), progress=lambda f, msg: print(f, msg))
    result.verdict, result.results_path

``progress(fraction, message)`` is called with fraction in [0, 1]. All input checks
(spec, device, datasets, labels, NaN in activations) run before any SAE is trained.
A run resumes from the embedding cache and from SAE checkpoints in ``out_dir/checkpoints``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from replication.harness.errors import DataError, HarnessError
from replication.harness.reference import require
from replication.harness.spec import Spec, canonical_json, load_spec_file, parse_spec, spec_hash
from replication.harness.tasks.base import Task

__all__ = [
    "RunResult",
    "load_spec_file",
    "parse_spec",
    "prepare",
    "run_spec",
    "spec_hash",
    "HarnessError",
]

Progress = Callable[[float, str], None]
#: The verdict of a run whose SAE fails the spec's quality gate.
INVALID = "invalid"
INVALID_REASON = "SAE under-trained"


@dataclass(frozen=True)
class RunResult:
    out_dir: Path
    results_path: Path
    summary_path: Path
    plot_path: Path
    verdict: str
    spec_hash: str
    results: dict[str, Any]


def _task(name: str) -> Task:
    from replication.harness.tasks.registry import get_task

    return get_task(name)


def _stage(progress: Progress, low: float, high: float) -> Progress:
    return lambda fraction, message: progress(
        low + (high - low) * min(max(fraction, 0.0), 1.0), message
    )


def prepare(spec: Spec, *, device: str, progress: Progress) -> tuple[list[Any], float]:
    """The spec's datasets as its task prepares them (loaded, checked and encoded for the
    pooled-text tasks: replication/harness/preparation.py); and the encoding seconds."""
    return _task(spec.task).prepare(spec, device=device, progress=progress)


def _pool_parts(spec: Spec, prepared: list[Any]) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Per dataset: (its rows eligible for the SAE pool, its extra unlabelled rows)."""
    task = _task(spec.task)
    return [(task.training_pool(spec, ds), ds.meta.get("pool_X")) for ds in prepared]


def _pool(spec: Spec, prepared: list[Any], exclude: list[np.ndarray] | None = None) -> np.ndarray:
    """The unlabelled pool: every dataset's rows (less ``exclude[i]`` of dataset i) + extras."""
    parts = []
    for i, (rows, extra) in enumerate(_pool_parts(spec, prepared)):
        if exclude is not None and len(exclude[i]):
            rows = np.delete(rows, exclude[i], axis=0)
        parts.append(rows)
        if extra is not None:
            parts.append(extra)
    return np.concatenate(parts).astype(np.float32)


def fit_pools(spec: Spec, prepared: list[Any]) -> tuple[list[np.ndarray], str]:
    """Rows the SAE, PCA and k-means may be fit on, and how they were chosen.

    Inductive (the default) with a task that names its test rows: one pool per split seed,
    without that seed's test rows in any regime. A task whose pool never holds a test row
    (OOD detection fits on fixed in-distribution rows) and transductive specs: one pool.
    """
    from replication.harness.context import TaskContext

    task = _task(spec.task)
    if spec.sae.fit == "transductive":
        return [_pool(spec, prepared)], "transductive: every row, test rows included"
    if not task.names_test_rows:
        return [_pool(spec, prepared)], "inductive: the task's pool holds no test row"
    probe = TaskContext(
        spec=spec, datasets=prepared, pool=np.zeros((0, 0)), saes=[], random_saes=[]
    )
    pools = []
    for s in range(spec.protocol.split_seeds):
        exclude = [
            task.split_test_rows(spec, ds, probe.split_seed(d, s)) for d, ds in enumerate(prepared)
        ]
        pools.append(_pool(spec, prepared, exclude))
    return pools, "inductive: one pool per split seed, that seed's test rows left out"


def _sae_key(spec: Spec, pool: np.ndarray, seed: int) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(spec.sae.__dict__, sort_keys=True).encode())
    digest.update(str(pool.shape).encode())
    digest.update(np.ascontiguousarray(pool[:: max(1, len(pool) // 2000)]).tobytes())
    digest.update(str(seed).encode())
    return digest.hexdigest()[:16]


def _load_checkpoint(
    spec: Spec, pool: np.ndarray
) -> tuple[list[Any], list[dict[str, Any]], list[str]]:
    """A pretrained SAE (``sae.checkpoint``), evaluated on the pool it never saw."""
    import torch

    from replication.harness.sae import evaluate_sae, load_sae, pca_reference_fve

    model, cfg = load_sae(spec.sae.checkpoint)
    if model.d_in != pool.shape[1]:
        raise DataError(
            f"sae.checkpoint has d_in {model.d_in}; the activations have {pool.shape[1]} dims"
        )
    # a pretrained SAE never saw these rows: the whole pool is held out
    rows = torch.from_numpy(pool[:4096])
    fve, l0, dead = evaluate_sae(model, rows)
    pca = pca_reference_fve(rows, rows, model.k or max(1, round(l0)))
    held_out = {
        "fve": fve,
        "l0": l0,
        "dead_fraction": dead,
        "pca_fve": pca,
        "eval_rows": len(rows),
    }
    return (
        [model],
        [
            {
                "seed": None,
                "loaded_from": spec.sae.checkpoint,
                **cfg.get("training_report", {}),
                **held_out,
            }
        ],
        [spec.sae.checkpoint],
    )


def _train_or_load(
    spec: Spec, pools: list[np.ndarray], out_dir: Path, *, device: str, progress: Progress
) -> tuple[list[Any], list[dict[str, Any]], list[str]]:
    """One SAE per pool when inductive (per split seed), else ``protocol.sae_seeds`` SAEs."""
    from replication.harness.sae import load_sae, save_sae, train_sae

    if spec.sae.checkpoint:
        return _load_checkpoint(spec, pools[0])
    models, reports, folders = [], [], []
    n = len(pools) if len(pools) > 1 else spec.protocol.sae_seeds
    for i in range(n):
        pool = pools[i % len(pools)]
        seed = spec.protocol.seed * 7919 + i
        folder = out_dir / "checkpoints" / f"sae-{_sae_key(spec, pool, seed)}"
        if (folder / "sae_weights.safetensors").is_file():
            model, cfg = load_sae(folder)
            report = cfg.get("training_report", {"seed": seed})
            report["resumed"] = True
        else:

            def on_progress(f: float, i: int = i) -> None:
                progress((i + f) / n, f"training SAE {i + 1}/{n}")

            model, train_report = train_sae(
                pool, spec.sae, seed=seed, device=device, progress=on_progress)
            save_sae(model, folder, train_report)
            report = train_report.as_dict()
        report["pool_rows"] = len(pool)
        models.append(model)
        reports.append(report)
        folders.append(str(folder))
    return models, reports, folders


def _random_controls(
    spec: Spec, models: list[Any], reports: list[dict[str, Any]], pool: np.ndarray
) -> list[Any]:
    from replication.harness.sae import random_dictionary

    controls = []
    for i, (model, report) in enumerate(zip(models, reports, strict=True)):
        k = (
            model.k
            if model.architecture in ("topk", "batchtopk")
            else max(1, round(report.get("l0") or 32))
        )
        controls.append(
            random_dictionary(
                model.d_in,
                model.d_sae,
                k,
                seed=10_000 + i,
                scale=model.scaling_factor,
                centre=pool.mean(0),
            )
        )
    return controls


@dataclass
class _Trained:
    """The SAEs of a run and how they came about."""

    spec: Spec  # the spec with the SAE's sized defaults filled in
    pools: list[np.ndarray]
    fit_rule: str
    models: list[Any]
    reports: list[dict[str, Any]]
    folders: list[str]
    seconds: float


def run_spec(
    spec: Spec, out_dir: Path, *, progress: Progress | None = None, device: str | None = None
) -> RunResult:
    """Run a validated spec; write results.json, summary.md and deltas.png to out_dir."""
    from replication.harness import sequential
    from replication.harness.compare import Rule
    from replication.harness.device import resolve_device
    from replication.harness.tasks.registry import register_metrics

    progress = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    resolved_device = resolve_device(device or spec.device)
    task = _task(spec.task)
    progress(0.0, "checking inputs")
    for module, method in task.required_packages(spec):
        require(module, method)
    prepared, embed_seconds = task.prepare(
        spec, device=resolved_device, progress=_stage(progress, 0.0, 0.25)
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "spec.json").write_text(json.dumps(json.loads(canonical_json(spec)), indent=2))
    trained = _train(spec, prepared, out_dir, resolved_device, _stage(progress, 0.25, 0.5))
    register_metrics(task)
    # split seeds in stages until decided (replication/harness/sequential.py)
    output, comparison = sequential.run(
        task, _context(spec, prepared, trained, resolved_device, progress),
        Rule.from_protocol(spec.protocol), seed=spec.protocol.seed,
    )
    progress(0.95, "compared methods")
    results = _results(spec, task, output, comparison, trained, resolved_device)
    results["compute"].update(
        {
            "wall_seconds": time.perf_counter() - started,
            "embedding_seconds": embed_seconds,
            "sae_training_seconds": trained.seconds,
        }
    )
    return _write(results, out_dir, progress)


def _train(
    spec: Spec, prepared: list[Any], out_dir: Path, device: str, progress: Progress
) -> _Trained:
    from replication.harness.sae import resolve_sae_spec

    pools, fit_rule = fit_pools(spec, prepared)
    run_spec_ = spec
    if not spec.sae.checkpoint:
        # sized defaults and the width check use the smallest pool, before any training
        run_spec_ = dataclasses.replace(
            spec, sae=resolve_sae_spec(spec.sae, min(len(p) for p in pools))
        )
    start = time.perf_counter()
    models, reports, folders = _train_or_load(
        run_spec_, pools, out_dir, device=device, progress=progress
    )
    return _Trained(
        run_spec_, pools, fit_rule, models, reports, folders, time.perf_counter() - start
    )


def _context(
    spec: Spec, prepared: list[Any], trained: _Trained, device: str, progress: Progress
) -> Any:
    from replication.harness.context import TaskContext

    pool = trained.pools[0]
    return TaskContext(
        spec=spec,
        datasets=prepared,
        pool=pool,
        saes=trained.models,
        random_saes=_random_controls(spec, trained.models, trained.reports, pool),
        device=device,
        progress=_stage(progress, 0.5, 0.95),
        fit_pools=trained.pools,
    )


def _results(
    spec: Spec, task: Task, output: Any, comparison: dict[str, Any], trained: _Trained,
    device: str,
) -> dict[str, Any]:
    """results.json's content (wall times are added by the caller)."""
    from replication.harness.sae import quality_failures
    from replication.harness.sae_gate import gate_reference

    proto = spec.protocol
    core = task.finish(comparison, output)
    verdict = core.pop("verdict")
    failures = quality_failures(trained.reports, trained.spec.sae)
    gate = {
        "min_fve": spec.sae.min_fve,
        "min_fve_vs_pca": spec.sae.min_fve_vs_pca,
        "max_dead_fraction": spec.sae.max_dead_fraction,
        "passed": not failures,
        "failures": failures,
        "verdict_if_valid": verdict,
        **gate_reference(trained.reports, spec.sae),
    }
    return {
        "task": spec.task,
        "name": spec.name,
        "spec": spec.to_dict(),
        "spec_hash": spec_hash(spec),
        "verdict": INVALID if failures else verdict,
        "verdict_reason": f"{INVALID_REASON}: {'; '.join(failures)}" if failures else "",
        "scope": merged_scope(task, spec),
        "metric": output.metric,
        "margin": proto.margin,
        "alpha": proto.alpha,
        **core,
        "methods": {
            "sae": output.sae_methods,
            "baselines": output.baselines,
            "controls": output.controls,
            "ceilings": output.ceilings,
        },
        "sae": _sae_block(spec, trained, gate),
        "compute": _compute_block(output, trained),
        "provenance": _provenance(spec, trained, device, core["looks"][-1]["seeds"]),
        "notes": output.notes,
    }


def merged_scope(task: Task, spec: Spec) -> dict[str, Any]:
    """What the run tests and does not: the task's statement, with the spec's own words (its
    ``scope`` table) taking precedence. The only place the two are merged."""
    return {**task.scope(spec), **spec.scope}


def _sae_block(spec: Spec, trained: _Trained, gate: dict[str, Any]) -> dict[str, Any]:
    from replication.harness.sae import SIZING_RULE

    models, reports, sized = trained.models, trained.reports, trained.spec.sae
    return {
        "training": reports,
        "checkpoints": trained.folders,
        "width": models[0].d_sae,
        "architecture": models[0].architecture,
        "k": models[0].k,
        "d_in": models[0].d_in,
        "pool_rows": len(trained.pools[0]),
        "pool_rows_per_sae": [len(p) for p in trained.pools],
        "fit": trained.fit_rule,
        "sizing": {
            "rule": SIZING_RULE,
            "width": sized.width,
            "k": sized.k,
            "steps": sized.steps,
            "sized": {name: not getattr(spec.sae, name) for name in ("width", "k", "steps")},
        },
        "quality_gate": gate,
        "held_out": {
            key: float(np.mean([r[key] for r in reports if r.get(key) is not None]))
            if any(r.get(key) is not None for r in reports)
            else None
            for key in ("fve", "pca_fve", "l0", "dead_fraction")
        },
    }


def _compute_block(output: Any, trained: _Trained) -> dict[str, Any]:
    method_flops: dict[str, float] = {}
    for cell in output.cells:
        for name, runs in cell.runs.items():
            method_flops[name] = method_flops.get(name, 0.0) + sum(r.flops for r in runs)
    sae_flops = float(sum(r.get("flops", 0.0) or 0.0 for r in trained.reports))
    return {
        "sae_training_flops": sae_flops,
        "methods": method_flops,
        "sae_method_flops_with_training": method_flops.get(output.sae_methods[0], 0.0)
        + sae_flops,
    }


def _provenance(
    spec: Spec, trained: _Trained, device: str, split_seeds: int
) -> dict[str, Any]:
    from replication.harness import provenance
    from replication.harness.device import describe_device

    proto = spec.protocol
    return {
        **provenance.collect(device, describe_device(device)),
        "spec_hash": spec_hash(spec),
        "seeds": {
            "base": proto.seed,
            "split_seeds": split_seeds,  # the seeds used: staged runs add some
            # inductive runs train one SAE per split seed, whatever protocol.sae_seeds says
            "sae_seeds": len(trained.models),
            "split_seed_rule": "seed * 1000003 + 1000 * seed_index + dataset_index",
            "sae_seed_rule": "seed * 7919 + sae_index"
            + ("; SAE i serves split seed i" if len(trained.pools) > 1 else ""),
            "fewer_than_protocol_minimum": proto.split_seeds < 10 or len(trained.models) < 3,
        },
    }


def _write(results: dict[str, Any], out_dir: Path, progress: Progress) -> RunResult:
    from replication.harness import report

    results_path = report.write_results(results, out_dir)
    results = json.loads(results_path.read_text())
    summary_path = report.write_summary(results, out_dir)
    plot_path = report.write_plot(results, out_dir)
    progress(1.0, f"done: {results['verdict']}")
    return RunResult(
        out_dir=out_dir,
        results_path=results_path,
        summary_path=summary_path,
        plot_path=plot_path,
        verdict=results["verdict"],
        spec_hash=results["spec_hash"],
        results=results,
    )
