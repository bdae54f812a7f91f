"""Spurious-correlation removal (SHIFT in Marks et al. 2024, and its critique).

Each row has a label y and a spurious attribute z (``z`` in user arrays; or, for text, the
label of a second dataset, ``task_options.spurious_dataset``: joined on identical texts when
at least 100 items appear in both, e.g. a person's profession and gender, else paired at
random with the second dataset's text appended). Training rows are ambiguous: y = z on a
``train_correlation`` share of them (1.0: all). Validation and test rows are balanced over
the four (y, z) groups; validation is the only place z is seen, and every method may use it.
Every method ends in a logistic regression trained on the ambiguous rows; the metric is
worst-group test accuracy.

SAE method: ablate the m latents most tied to z (largest validation mean difference in z),
reconstruct with the SAE's error term kept, then train the probe. Baselines: LEACE concept
erasure of z (fit on validation), projection off the z mean-difference direction, and
retraining on the group-balanced validation rows. Every setting is chosen by stratified
cross-validation over the validation rows (the only rows where z is seen), then refit.
Controls: the same ablation on a random dictionary, and zeroing the m raw dimensions most
tied to z.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from replication.harness import flops as fl
from replication.harness.context import Cell, TaskContext, TaskOutput
from replication.harness.errors import DataError
from replication.harness.spec import Spec
from replication.harness.stats import worst_group_accuracy_rows
from replication.harness.tasks.common import C_GRID, dev_folds, scaler
from replication.harness.tuning import (
    Fitted,
    FoldCache,
    Learner,
    MethodRun,
    budgeted_grid,
    grid_notes,
    select_cv,
)

#: picks the rows a fitted probe scores from the row ids it is given
RowsOf = Callable[[np.ndarray], np.ndarray]

SAE_METHOD = "sae_ablate_spurious_latents"
CONTROLS = ["random_dictionary_ablation", "raw_dims_ablation"]
ABLATION_COUNTS = [1, 2, 4, 8, 16, 32, 64, 128]


def method_grids(max_m: int, width: int, d_in: int, baselines: list[str]) -> dict[str, Any]:
    """Every method's grid, recorded in the result: each draws ``protocol.tuning_budget``
    settings the same way (the baselines share one draw of C)."""
    sae = {"m": [m for m in ABLATION_COUNTS if m <= min(max_m, width)], "C": C_GRID}
    return {
        SAE_METHOD: sae,
        CONTROLS[0]: sae,
        CONTROLS[1]: {"m": [m for m in ABLATION_COUNTS if m <= min(max_m, d_in)], "C": C_GRID},
        **{name: {"C": C_GRID} for name in baselines},
    }


SCOPE = {
    "tests": (
        "whether ablating the SAE latents tied to a spurious attribute raises worst-group "
        "accuracy of a probe trained where the attribute predicts the label, against "
        "concept erasure, projection and group-balanced retraining"
    ),
    "does_not_test": (
        "human judgement of which latents are spurious (the paper's SHIFT uses people), or "
        "ablation inside a language model's forward pass (embeddings are edited here)"
    ),
}


def split_test_rows(spec: Spec, ds: Any, split_seed: int) -> np.ndarray:
    if ds.groups is None:
        return np.zeros(0, np.int64)
    z = (np.asarray(ds.groups) == np.unique(ds.groups)[-1]).astype(np.int64)
    correlation = float(spec.option("train_correlation"))
    return _splits(ds.y, z, spec.protocol, correlation, split_seed)[2]


def check_dataset(spec: Spec, ds: Any) -> None:
    if ds.groups is None and not spec.option("spurious_dataset"):
        raise DataError(
            f"dataset {ds.name!r} has no spurious attribute: give arrays with 'z', or set "
            "task_options.spurious_dataset to a second dataset whose label is the attribute"
        )


def transform_datasets(spec: Spec, datasets: list[Any]) -> list[Any]:
    """Pair each text dataset with the spurious dataset: text = a + ' ' + b, z = label of b."""
    name = spec.option("spurious_dataset")
    if not name:
        return datasets
    from replication.harness.datasets import cap_rows, load_dataset, take_rows

    other = load_dataset(replace(spec.data, max_rows=0), name, seed=spec.protocol.seed)
    rng = np.random.default_rng(spec.protocol.seed)
    paired = []
    other_label = {
        t.strip(): int(v) for t, v in zip(other.texts or [], other.y.tolist(), strict=True)
    }
    for ds in datasets:
        if ds.texts is None or other.texts is None:
            raise DataError("task_options.spurious_dataset pairs text datasets only")
        full = load_dataset(replace(spec.data, max_rows=0), ds.name, seed=spec.protocol.seed)
        shared = [i for i, t in enumerate(full.texts or []) if t.strip() in other_label]
        if len(shared) >= max(spec.data.min_rows, 100):
            # the same items labelled twice (e.g. a person's profession and gender): join on text
            joined = cap_rows(
                take_rows(full, np.asarray(shared, dtype=np.int64)),
                spec.data.max_rows,
                spec.protocol.seed,
            )
            z_join = np.asarray(
                [other_label[t.strip()] for t in joined.texts or []], dtype=np.int64
            )
            meta = {**joined.meta, "spurious_dataset": name, "pairing": "joined on text"}
            paired.append(replace(joined, groups=z_join, meta=meta))
            continue
        n = len(ds)
        pick = np.empty(n, dtype=np.int64)
        z = rng.integers(0, 2, size=n)
        for value in (0, 1):
            pool = np.flatnonzero(other.y == value)
            pick[z == value] = rng.choice(
                pool, size=int((z == value).sum()), replace=len(pool) < (z == value).sum()
            )
        texts = [f"{a} {other.texts[j]}" for a, j in zip(ds.texts, pick, strict=True)]
        paired.append(
            replace(
                ds,
                name=f"{ds.name}+{name}",
                texts=texts,
                groups=z.astype(np.int64),
                meta={**ds.meta, "spurious_dataset": name},
            )
        )
    return paired


def _splits(y: np.ndarray, z: np.ndarray, proto: Any, correlation: float, seed: int):  # noqa: ANN202
    rng = np.random.default_rng(seed)
    groups = 2 * y + z
    by_group = {g: rng.permutation(np.flatnonzero(groups == g)) for g in range(4)}
    if min(len(v) for v in by_group.values()) < 6:
        raise DataError(
            "spurious-correlation removal needs at least 6 rows in each (label, attribute) group"
        )
    per_group_test = min(proto.test_size // 4, min(len(v) for v in by_group.values()) // 3)
    per_group_val = min(proto.val_size // 4, min(len(v) for v in by_group.values()) // 3)
    test = np.concatenate([v[:per_group_test] for v in by_group.values()])
    val = np.concatenate(
        [v[per_group_test : per_group_test + per_group_val] for v in by_group.values()]
    )
    rest = {g: v[per_group_test + per_group_val :] for g, v in by_group.items()}
    aligned = np.concatenate([rest[0], rest[3]])  # y == z
    conflicting = np.concatenate([rest[1], rest[2]])
    n_train = min(proto.train_size, len(aligned))
    n_conflict = min(
        len(conflicting), int(round(n_train * (1 - correlation) / max(correlation, 1e-9)))
    )
    train = np.concatenate(
        [
            rng.choice(aligned, n_train, replace=False),
            rng.choice(conflicting, n_conflict, replace=False),
        ]
    ).astype(np.int64)
    return np.sort(train), np.sort(val), np.sort(test)


def _probe(R: np.ndarray, y: np.ndarray, C: float, rows_of: RowsOf) -> Fitted:
    """Logistic regression on (R, y); scores the rows ``rows_of`` picks out of R's source."""
    from sklearn.linear_model import LogisticRegression

    scale = scaler(R)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(C=C, max_iter=500).fit(scale(R), y)
    return Fitted(
        lambda rows: model.predict_proba(scale(rows_of(rows)))[:, 1],
        fl.logistic_regression_flops(len(R), R.shape[1]),
        2.0 * R.shape[1],
    )


def leace_eraser(
    X: np.ndarray, z: np.ndarray, ridge: float = 1e-6
) -> Callable[[np.ndarray], np.ndarray]:
    """LEACE (Belrose et al. 2023): the least-squares affine erasure of a binary attribute."""
    mean = X.mean(0)
    centred = X - mean
    cov = centred.T @ centred / len(X)
    cov += ridge * np.trace(cov) / len(cov) * np.eye(len(cov))
    eigval, eigvec = np.linalg.eigh(cov)
    eigval = np.clip(eigval, 1e-12, None)
    whiten = eigvec @ np.diag(eigval**-0.5) @ eigvec.T
    unwhiten = eigvec @ np.diag(eigval**0.5) @ eigvec.T
    cross = centred.T @ (z - z.mean()) / len(X)  # [d]
    u = whiten @ cross
    norm = np.linalg.norm(u)
    if norm < 1e-12:
        return lambda A: A
    u /= norm
    proj = np.outer(u, u)
    return lambda A: A - ((A - mean) @ whiten.T @ proj.T @ unwhiten.T)


def _project_out(direction: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    unit = direction / (np.linalg.norm(direction) + 1e-12)
    return lambda A: A - np.outer(A @ unit, unit)


def _ablation_learner(
    model: Any, X: np.ndarray, tr: np.ndarray, y: np.ndarray, z: np.ndarray, Z: np.ndarray
) -> Learner:
    """Ablate the m latents most tied to z on the fit rows (validation rows of the fold)."""
    import torch

    with torch.no_grad():
        W_dec = model.W_dec.detach().numpy()
    scale = model.scaling_factor
    orders = FoldCache()

    def learn(config: dict[str, Any], ids: np.ndarray, yz: np.ndarray) -> Fitted:
        def order() -> np.ndarray:
            rows = ids[:, 0]
            diff = np.abs(Z[rows][z[rows] == 1].mean(0) - Z[rows][z[rows] == 0].mean(0))
            return np.argsort(-diff, kind="mergesort")

        cols = orders.get(ids, order)[: config["m"]]
        # x' = x - decode contribution of the ablated latents (error term and other latents kept)
        R = X - (Z[:, cols] @ W_dec[cols]) / scale
        return _probe(R[tr], y[tr], config["C"], lambda ids_: R[ids_[:, 0]])

    return learn


@dataclass(frozen=True)
class _SeedTuning:
    """Tuning by cross-validation over the validation rows, the only ones where z is seen
    (training rows are ambiguous by design). Methods receive row ids, so every matrix is
    computed once per seed; folds keep the four (y, z) groups."""

    ids_dev: np.ndarray
    yz_dev: np.ndarray
    ids_test: np.ndarray
    folds: Any

    @classmethod
    def of(
        cls, y: np.ndarray, z: np.ndarray, va: np.ndarray, te: np.ndarray, proto: Any, seed: int
    ) -> _SeedTuning:
        return cls(
            ids_dev=va[:, None],
            yz_dev=np.column_stack([y[va], z[va]]),
            ids_test=te[:, None],
            folds=dev_folds(2 * y[va] + z[va], len(va), proto, seed),
        )

    def tuned(self, configs: list[dict[str, Any]], learn: Learner) -> MethodRun:
        return select_cv(
            configs, learn, self.ids_dev, self.yz_dev, self.ids_test, _metric, self.folds
        )


def _raw_ablation_learner(X: np.ndarray, y: np.ndarray, tr: np.ndarray) -> Learner:
    """The raw-dimension control: zero the m dimensions whose means differ most between the
    attribute's groups on the fit rows, then probe."""
    centred = X - X[tr].mean(0)
    orders = FoldCache()

    def learn(config: dict[str, Any], ids: np.ndarray, yz: np.ndarray) -> Fitted:
        def order() -> np.ndarray:
            fit, zf = centred[ids[:, 0]], yz[:, 1]
            return np.argsort(-np.abs(fit[zf == 1].mean(0) - fit[zf == 0].mean(0)))

        R = centred.copy()
        R[:, orders.get(ids, order)[: config["m"]]] = 0.0
        return _probe(R[tr], y[tr], config["C"], lambda ids_: R[ids_[:, 0]])

    return learn


def _seed_cell_runs(
    ctx: TaskContext,
    cell: Cell,
    grids: dict[str, Any],
    X: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    s: int,
    seed: int,
) -> None:
    """Every method's run on one split seed, added to ``cell`` (one rng, drawn in order)."""
    from replication.harness.sae import encode_numpy

    proto = ctx.spec.protocol
    rng = np.random.default_rng(seed)
    tr, va, te = _splits(y, z, proto, float(ctx.spec.option("train_correlation")), seed)
    tuning = _SeedTuning.of(y, z, va, te, proto, seed)
    sae_i = ctx.sae_for_seed(s)
    encode_cost = fl.sae_encode_flops(X.shape[1], ctx.width, len(X))
    for name, model in (
        (SAE_METHOD, ctx.saes[sae_i]),
        (CONTROLS[0], ctx.random_saes[sae_i % len(ctx.random_saes)]),
    ):
        result = tuning.tuned(
            budgeted_grid(grids[name], proto.tuning_budget, rng),
            _ablation_learner(model, X, tr, y, z, encode_numpy(model, X)),
        )
        result.flops += encode_cost
        cell.add(name, result)
    cell.add(
        CONTROLS[1],
        tuning.tuned(
            budgeted_grid(grids[CONTROLS[1]], proto.tuning_budget, rng),
            _raw_ablation_learner(X, y, tr),
        ),
    )
    c_values = [c["C"] for c in budgeted_grid({"C": C_GRID}, proto.tuning_budget, rng)]
    for name in ctx.spec.baselines:
        cell.add(name, tuning.tuned([{"C": c} for c in c_values], _baseline(name, X, y, z, tr)))
    cell.labels.append(y[te])
    cell.groups.append(2 * y[te] + z[te])
    cell.test_ids.append(te)


def run(ctx: TaskContext) -> TaskOutput:
    spec = ctx.spec
    proto = spec.protocol
    baselines = list(spec.baselines)
    grids = method_grids(int(spec.option("max_ablated")), ctx.width, ctx.pool.shape[1], baselines)
    cells: list[Cell] = []
    total = len(ctx.datasets) * proto.split_seeds
    done = 0
    for d_index, ds in enumerate(ctx.datasets):
        if ds.groups is None:
            raise DataError(f"dataset {ds.name!r} has no spurious attribute")
        z = (np.asarray(ds.groups) == np.unique(ds.groups)[-1]).astype(np.int64)
        cell = Cell(regime="normal", dataset=ds.name)
        for s in range(proto.split_seeds):
            _seed_cell_runs(ctx, cell, grids, ds.X, ds.y, z, s, ctx.split_seed(d_index, s))
            done += 1
            ctx.progress(done / total, f"spurious correlation: {ds.name} / seed {s}")
        cells.append(cell)
    return TaskOutput(
        metric="worst_group_accuracy",
        sae_methods=[SAE_METHOD],
        baselines=baselines,
        controls=CONTROLS,
        cells=cells,
        notes={
            "train_correlation": float(spec.option("train_correlation")),
            "attribute_labels_seen": "validation only",
            "tuning_budget": proto.tuning_budget,
            "grids": grid_notes(grids),
        },
    )


def _metric(yz: np.ndarray, scores: np.ndarray) -> float:
    """Worst-group accuracy; ``yz`` holds the label and the attribute."""
    groups = 2 * yz[:, 0] + yz[:, 1]
    return float(worst_group_accuracy_rows(yz[None, :, 0], scores[None], groups[None])[0])


def _baseline(name: str, X: np.ndarray, y: np.ndarray, z: np.ndarray, tr: np.ndarray) -> Learner:
    """A baseline as a learner over validation row ids (the rows where z is seen)."""
    if name in ("leace", "mean_difference"):

        def learn(config: dict[str, Any], ids: np.ndarray, yz: np.ndarray) -> Fitted:
            rows = ids[:, 0]
            if name == "leace":
                erase = leace_eraser(X[rows], z[rows].astype(np.float64))
            else:
                erase = _project_out(X[rows][z[rows] == 1].mean(0) - X[rows][z[rows] == 0].mean(0))
            R = erase(X)
            fitted = _probe(R[tr], y[tr], config["C"], lambda ids_: R[ids_[:, 0]])
            fitted.flops += 2.0 * len(X) * X.shape[1] ** 2
            return fitted

        return learn
    if name == "balanced_retraining":
        # retrain on the group-balanced rows themselves: the fold's validation rows

        def learn_balanced(config: dict[str, Any], ids: np.ndarray, yz: np.ndarray) -> Fitted:
            return _probe(X[ids[:, 0]], yz[:, 0], config["C"], lambda ids_: X[ids_[:, 0]])

        return learn_balanced
    raise ValueError(f"unknown spurious-correlation baseline {name!r}")
