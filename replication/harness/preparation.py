"""Preparation of the pooled-text tasks: every dataset loaded, checked and encoded into
activations (from the cache where it can). The task is an argument, never imported, so the
tasks' default preparation can call this module without a cycle through the harness API."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from replication.harness.errors import DataError
from replication.harness.spec import Spec

Progress = Callable[[float, str], None]


def prepare_pooled_texts(
    task: Any, spec: Spec, *, device: str, progress: Progress
) -> tuple[list[Any], float]:
    """Load, check and encode every dataset as ``task`` asks; returns the prepared datasets
    and the encoding seconds."""
    from replication.harness.datasets import dataset_names, load_dataset

    binary = task.needs_binary_labels(spec)
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
                keep_rest=task.pool_uses_unlabelled_rest,
            )
        )
    loaded = task.transform_datasets(spec, loaded)
    for ds in loaded:
        task.check_dataset(spec, ds)
    start = time.perf_counter()
    prepared = []
    for i, ds in enumerate(loaded):

        def sub(done: int, total: int, i: int = i, name: str = ds.name) -> None:
            progress(
                0.1 + 0.9 * (i + done / max(total, 1)) / len(loaded),
                f"encoding {name} ({done}/{total})",
            )

        prepared.append(_encode(spec, ds, device, sub))
    dims = {p.X.shape[1] for p in prepared}
    if len(dims) > 1:
        raise DataError(f"datasets have different activation widths: {sorted(dims)}")
    return prepared, time.perf_counter() - start


def _encode(spec: Spec, ds: Any, device: str, progress: Callable[[int, int], None]) -> Any:
    """One loaded dataset encoded (from the cache where it can) and checked for NaN."""
    from replication.harness import activations as act
    from replication.harness.context import PreparedDataset

    cache = act.cache_dir(spec.cache_dir)

    def encode(texts: Any, suffix: str, report: Any = None) -> np.ndarray:
        return act.encode_texts(
            texts, spec.activations, dataset=ds.name + suffix, device=device, cache=cache,
            progress=report,
        )

    if ds.X is not None:
        X, ood_X = ds.X, ds.ood_X
    else:
        X = encode(ds.texts, "", progress)
        ood_X = encode(ds.ood_texts, ":ood") if ds.ood_texts else None
    pool_X = ds.pool_X
    if ds.pool_texts:
        rest = encode(ds.pool_texts, ":pool")
        pool_X = rest if pool_X is None else np.concatenate([pool_X, rest])
    for label, arr in (("activations", X), ("OOD activations", ood_X), ("pool", pool_X)):
        if arr is not None and not np.all(np.isfinite(arr)):
            raise DataError(f"dataset {ds.name!r}: {label} contain NaN or infinity")
    meta = dict(ds.meta)
    ood_y = meta.pop("ood_y", None)
    return PreparedDataset(
        name=ds.name,
        X=np.asarray(X, np.float32),
        y=ds.y,
        ood_X=None if ood_X is None else np.asarray(ood_X, np.float32),
        ood_y=None if ood_y is None else np.asarray(ood_y),
        target=ds.target,
        groups=ds.groups,
        meta={**meta, "pool_X": pool_X},
    )
