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
import importlib
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


def _task_module(task: str) -> Any:
    return importlib.import_module(f"replication.harness.tasks.{task}")


def _stage(progress: Progress, low: float, high: float) -> Progress:
    return lambda fraction, message: progress(
        low + (high - low) * min(max(fraction, 0.0), 1.0), message
    )


def prepare(spec: Spec, *, device: str, progress: Progress) -> tuple[list[Any], float]:
    """Load, check and encode every dataset; returns prepared datasets and encoding seconds."""
    from replication.harness import activations as act
    from replication.harness.context import PreparedDataset
    from replication.harness.datasets import dataset_names, load_dataset

    task = _task_module(spec.task)
    binary = getattr(task, "needs_binary_labels", lambda s: True)(spec)
    names = dataset_names(spec.data)
    loaded = []
    for i, name in enumerate(names):
        progress(0.1 * i / len(names), f"loading {name}")
        loaded.append(
            load_dataset(
                spec.data,
                name,
                binary=binary,
                seed=spec.protocol.seed,
                keep_rest=getattr(task, "POOL_USES_UNLABELLED_REST", False),
            )
        )
    loaded = getattr(task, "transform_datasets", lambda s, d: d)(spec, loaded)
    for ds in loaded:
        getattr(task, "check_dataset", lambda s, d: None)(spec, ds)
    cache = act.cache_dir(spec.cache_dir)
    start = time.perf_counter()
    prepared = []
    for i, ds in enumerate(loaded):

        def sub(done: int, total: int, i: int = i, name: str = ds.name) -> None:
            progress(
                0.1 + 0.9 * (i + done / max(total, 1)) / len(loaded),
                f"encoding {name} ({done}/{total})",
            )

        if ds.X is not None:
            X, ood_X = ds.X, ds.ood_X
        else:
            X = act.encode_texts(
                ds.texts,
                spec.activations,
                dataset=ds.name,
                device=device,
                cache=cache,
                progress=sub,
            )
            ood_X = (
                act.encode_texts(
                    ds.ood_texts,
                    spec.activations,
                    dataset=ds.name + ":ood",
                    device=device,
                    cache=cache,
                )
                if ds.ood_texts
                else None
            )
        pool_X = ds.pool_X
        if ds.pool_texts:
            rest = act.encode_texts(
                ds.pool_texts,
                spec.activations,
                dataset=ds.name + ":pool",
                device=device,
                cache=cache,
            )
            pool_X = rest if pool_X is None else np.concatenate([pool_X, rest])
        for label, arr in (("activations", X), ("OOD activations", ood_X), ("pool", pool_X)):
            if arr is not None and not np.all(np.isfinite(arr)):
                raise DataError(f"dataset {ds.name!r}: {label} contain NaN or infinity")
        meta = dict(ds.meta)
        ood_y = meta.pop("ood_y", None)
        prepared.append(
            PreparedDataset(
                name=ds.name,
                X=np.asarray(X, np.float32),
                y=ds.y,
                ood_X=None if ood_X is None else np.asarray(ood_X, np.float32),
                ood_y=None if ood_y is None else np.asarray(ood_y),
                target=ds.target,
                groups=ds.groups,
                meta={**meta, "pool_X": pool_X},
            )
        )
    dims = {p.X.shape[1] for p in prepared}
    if len(dims) > 1:
        raise DataError(f"datasets have different activation widths: {sorted(dims)}")
    return prepared, time.perf_counter() - start


def _pool_parts(spec: Spec, prepared: list[Any]) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Per dataset: (its rows eligible for the SAE pool, its extra unlabelled rows)."""
    task = _task_module(spec.task)
    return [
        (getattr(task, "training_pool", lambda s, d: d.X)(spec, ds), ds.meta.get("pool_X"))
        for ds in prepared
    ]


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

    task = _task_module(spec.task)
    hook = getattr(task, "split_test_rows", None)
    if spec.sae.fit == "transductive":
        return [_pool(spec, prepared)], "transductive: every row, test rows included"
    if hook is None:
        return [_pool(spec, prepared)], "inductive: the task's pool holds no test row"
    probe = TaskContext(
        spec=spec, datasets=prepared, pool=np.zeros((0, 0)), saes=[], random_saes=[]
    )
    pools = []
    for s in range(spec.protocol.split_seeds):
        exclude = [hook(spec, ds, probe.split_seed(d, s)) for d, ds in enumerate(prepared)]
        pools.append(_pool(spec, prepared, exclude))
    return pools, "inductive: one pool per split seed, that seed's test rows left out"


def _sae_key(spec: Spec, pool: np.ndarray, seed: int) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(spec.sae.__dict__, sort_keys=True).encode())
    digest.update(str(pool.shape).encode())
    digest.update(np.ascontiguousarray(pool[:: max(1, len(pool) // 2000)]).tobytes())
    digest.update(str(seed).encode())
    return digest.hexdigest()[:16]


def _train_or_load(
    spec: Spec, pools: list[np.ndarray], out_dir: Path, *, device: str, progress: Progress
) -> tuple[list[Any], list[dict[str, Any]], list[str]]:
    """One SAE per pool when inductive (per split seed), else ``protocol.sae_seeds`` SAEs."""
    from replication.harness.sae import (
        evaluate_sae,
        load_sae,
        pca_reference_fve,
        save_sae,
        train_sae,
    )

    if spec.sae.checkpoint:
        import torch

        model, cfg = load_sae(spec.sae.checkpoint)
        pool = pools[0]
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


def run_spec(
    spec: Spec, out_dir: Path, *, progress: Progress | None = None, device: str | None = None
) -> RunResult:
    """Run a validated spec; write results.json, summary.md and deltas.png to out_dir."""
    from replication.harness import provenance, report, sequential
    from replication.harness.compare import Rule
    from replication.harness.context import TaskContext
    from replication.harness.device import describe_device, resolve_device
    from replication.harness.sae import SIZING_RULE, quality_failures, resolve_sae_spec
    from replication.harness.sae_gate import gate_reference

    progress = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    resolved_device = resolve_device(device or spec.device)
    digest = spec_hash(spec)
    task = _task_module(spec.task)
    progress(0.0, "checking inputs")
    for module, method in getattr(task, "required_packages", lambda s: [])(spec):
        require(module, method)
    # a task that does not encode pooled texts (steering) brings its own preparation
    prepared, embed_seconds = getattr(task, "prepare", prepare)(
        spec, device=resolved_device, progress=_stage(progress, 0.0, 0.25)
    )
    pools, fit_rule = fit_pools(spec, prepared)
    pool = pools[0]
    run_spec_ = spec
    if not spec.sae.checkpoint:
        # sized defaults and the width check use the smallest pool, before any training
        run_spec_ = dataclasses.replace(
            spec, sae=resolve_sae_spec(spec.sae, min(len(p) for p in pools))
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "spec.json").write_text(json.dumps(json.loads(canonical_json(spec)), indent=2))
    train_start = time.perf_counter()
    models, reports, folders = _train_or_load(
        run_spec_, pools, out_dir, device=resolved_device, progress=_stage(progress, 0.25, 0.5)
    )
    train_seconds = time.perf_counter() - train_start
    ctx = TaskContext(
        spec=spec,
        datasets=prepared,
        pool=pool,
        saes=models,
        random_saes=_random_controls(spec, models, reports, pool),
        device=resolved_device,
        progress=_stage(progress, 0.5, 0.95),
        fit_pools=pools,
    )
    proto = spec.protocol
    # split seeds in stages until decided (replication/harness/sequential.py)
    output, core = sequential.run(task, ctx, Rule.from_protocol(proto), seed=proto.seed)
    progress(0.95, "compared methods")
    method_flops: dict[str, float] = {}
    for cell in output.cells:
        for name, runs in cell.runs.items():
            method_flops[name] = method_flops.get(name, 0.0) + sum(r.flops for r in runs)
    sae_flops = float(sum(r.get("flops", 0.0) or 0.0 for r in reports))
    verdict = core.pop("verdict")
    failures = quality_failures(reports, run_spec_.sae)
    gate = {
        "min_fve": spec.sae.min_fve,
        "min_fve_vs_pca": spec.sae.min_fve_vs_pca,
        "max_dead_fraction": spec.sae.max_dead_fraction,
        "passed": not failures,
        "failures": failures,
        "verdict_if_valid": verdict,
        **gate_reference(reports, spec.sae),
    }
    if failures:
        verdict = INVALID
    results: dict[str, Any] = {
        "task": spec.task,
        "name": spec.name,
        "spec": spec.to_dict(),
        "spec_hash": digest,
        "verdict": verdict,
        "verdict_reason": f"{INVALID_REASON}: {'; '.join(failures)}" if failures else "",
        "scope": {**getattr(task, "SCOPE", {}), **spec.scope},
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
        "sae": {
            "training": reports,
            "checkpoints": folders,
            "width": models[0].d_sae,
            "architecture": models[0].architecture,
            "k": models[0].k,
            "d_in": models[0].d_in,
            "pool_rows": len(pool),
            "pool_rows_per_sae": [len(p) for p in pools],
            "fit": fit_rule,
            "sizing": {
                "rule": SIZING_RULE,
                "width": run_spec_.sae.width,
                "k": run_spec_.sae.k,
                "steps": run_spec_.sae.steps,
                "sized": {name: not getattr(spec.sae, name) for name in ("width", "k", "steps")},
            },
            "quality_gate": gate,
            "held_out": {
                key: float(np.mean([r[key] for r in reports if r.get(key) is not None]))
                if any(r.get(key) is not None for r in reports)
                else None
                for key in ("fve", "pca_fve", "l0", "dead_fraction")
            },
        },
        "compute": {
            "wall_seconds": time.perf_counter() - started,
            "embedding_seconds": embed_seconds,
            "sae_training_seconds": train_seconds,
            "sae_training_flops": sae_flops,
            "methods": method_flops,
            "sae_method_flops_with_training": method_flops.get(output.sae_methods[0], 0.0)
            + sae_flops,
        },
        "provenance": {
            **provenance.collect(resolved_device, describe_device(resolved_device)),
            "spec_hash": digest,
            "seeds": {
                "base": proto.seed,
                "split_seeds": core["looks"][-1]["seeds"],
                # inductive runs train one SAE per split seed, whatever protocol.sae_seeds says
                "sae_seeds": len(models),
                "split_seed_rule": "seed * 1000003 + 1000 * seed_index + dataset_index",
                "sae_seed_rule": "seed * 7919 + sae_index"
                + ("; SAE i serves split seed i" if len(pools) > 1 else ""),
                "fewer_than_protocol_minimum": proto.split_seeds < 10 or len(models) < 3,
            },
        },
        "notes": output.notes,
        **({"scope": output.notes["scope"]} if "scope" in output.notes else {}),
    }
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
        spec_hash=digest,
        results=results,
    )
