"""OOD / anomaly detection (Casper's prediction; EleutherAI's Mahalanobis result).

In-distribution rows are the dataset's own rows when it has an OOD set (sae-probes), else
its class-0 rows, with class 1 as the anomalies. A fixed 60% of the in-distribution rows
(drawn once from the base seed) is the fit set of every method and the SAE's training pool;
validation and test rows come from the other 40% and from the OOD rows, new per split seed.

SAE methods (the one with the best validation AUROC is the SAE method): reconstruction
error, Mahalanobis distance on the most frequent latents, and the mass of latents rarely
or never seen on the fit set. Baselines: Mahalanobis on raw dimensions (Ledoit-Wolf or
fixed shrinkage), distance to the k-th nearest fit row, PCA reconstruction error, isolation
forest. Controls: the SAE methods on a random dictionary, and Mahalanobis on the
highest-variance raw dimensions. Metric: AUROC (OOD positive); FPR at 95% TPR is reported.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from replication.harness import flops as fl
from replication.harness.context import Cell, PreparedDataset, TaskContext, TaskOutput
from replication.harness.errors import DataError
from replication.harness.spec import Spec
from replication.harness.stats import fpr_at_tpr
from replication.harness.tasks.common import auroc_metric
from replication.harness.tuning import (
    Fitted,
    Learner,
    MethodRun,
    budgeted_grid,
    fixed_fit_folds,
    grid_notes,
    select_cv,
)

SAE_METHODS = ["sae_reconstruction_error", "sae_latent_mahalanobis", "sae_rare_latents"]
RANDOM_METHODS = ["random_dictionary_" + m.removeprefix("sae_") for m in SAE_METHODS]
CONTROLS = ["random_dictionary_best", "raw_dims_mahalanobis"]
FIT_FRACTION = 0.6
#: one shrinkage grid for every Mahalanobis scorer (SAE latents, raw dimensions, baseline)
SHRINKAGE = ["auto", 0.01, 0.1, 0.5]
#: how many columns (latents, raw dimensions) a scorer may keep
COLUMN_COUNTS = (16, 64, 256, 1024)
RARE_FREQUENCY = [0.0, 0.001, 0.005, 0.02]
KNN_K = [1, 3, 5, 10, 25, 50]
PCA_COUNTS = (2, 4, 8, 16, 32, 64)
FOREST_AXES: dict[str, list[Any]] = {"n_estimators": [100, 300], "max_samples": ["auto", 0.5, 1.0]}
SCOPE = {
    "tests": (
        "whether SAE reconstruction error or latent statistics flag out-of-distribution "
        "inputs as well as Mahalanobis, nearest-neighbour, PCA-reconstruction and "
        "isolation-forest detectors fit on the same in-distribution rows"
    ),
    "does_not_test": (
        "anomalies inside a language model's computation (sentence embeddings here), "
        "adversarial inputs, or detection without any in-distribution fit rows"
    ),
}


def _split_in_out(ds: PreparedDataset) -> tuple[np.ndarray, np.ndarray]:
    if ds.ood_X is not None:
        return ds.X, ds.ood_X
    return ds.X[ds.y == 0], ds.X[ds.y == 1]


def _column_counts(available: int) -> list[int]:
    return [n for n in COLUMN_COUNTS if n <= available] or [available]


def method_grids(width: int, d_in: int) -> dict[str, dict[str, list[Any]]]:
    """Every method's grid, recorded in the result; each method draws the same number of
    settings from its own grid (``protocol.tuning_budget``, Latin-hypercube when larger); the
    random-dictionary control reuses the SAE methods' grids."""
    return {
        "sae_reconstruction_error": {},
        "sae_latent_mahalanobis": {"n_latents": _column_counts(width), "shrinkage": SHRINKAGE},
        "sae_rare_latents": {"max_frequency": RARE_FREQUENCY},
        CONTROLS[1]: {"n_dims": _column_counts(d_in), "shrinkage": SHRINKAGE},
        "mahalanobis": {"shrinkage": SHRINKAGE},
        "knn_distance": {"k": KNN_K},
        "pca_reconstruction": {"n_components": [n for n in PCA_COUNTS if n <= min(64, d_in)]},
        "isolation_forest": FOREST_AXES,
    }


def _fit_rows(spec: Spec, n: int) -> np.ndarray:
    order = np.random.default_rng(spec.protocol.seed).permutation(n)
    return np.sort(order[: int(n * FIT_FRACTION)])


def training_pool(spec: Spec, ds: PreparedDataset) -> np.ndarray:
    inside, _ = _split_in_out(ds)
    return inside[_fit_rows(spec, len(inside))]


def check_dataset(spec: Spec, ds: Any) -> None:
    if ds.ood_texts is None and ds.ood_X is None and len(np.unique(ds.y)) < 2:
        raise DataError(
            f"dataset {ds.name!r} has no OOD set and a single class: nothing is out of distribution"
        )


def _mahalanobis(fit: np.ndarray, shrinkage: float | str) -> Callable[[np.ndarray], np.ndarray]:
    from sklearn.covariance import LedoitWolf, ShrunkCovariance

    model = (
        LedoitWolf() if shrinkage == "auto" else ShrunkCovariance(shrinkage=float(shrinkage))
    ).fit(fit)
    return model.mahalanobis


def _raw_mahalanobis_flops(rows: int, queries: int, config: dict[str, Any]) -> float:
    """Fit and score cost of a Mahalanobis scorer on ``config["n_dims"]`` raw columns."""
    return fl.mahalanobis_flops(rows, config["n_dims"], queries)


def _scorer_learner(
    make: Callable[[dict[str, Any]], Callable[[np.ndarray], np.ndarray]],
    cost: Callable[[dict[str, Any]], float],
) -> Learner:
    """A scorer fitted on the fixed in-distribution fit set (so the fold's rows are unused)."""

    def learn(config: dict[str, Any], X_fit: np.ndarray, y_fit: np.ndarray) -> Fitted:
        return Fitted(make(config), cost(config))

    return learn


def _choose(
    configs: list[dict[str, Any]],
    learn: Learner,
    Xva: np.ndarray,
    yva: np.ndarray,
    Xte: np.ndarray,
) -> MethodRun:
    # The scorers learn from unlabelled fit rows only; the labelled validation rows just rank
    # the settings, so there is nothing for cross-validation to vary (fixed_fit_folds).
    return select_cv(configs, learn, Xva, yva, Xte, auroc_metric, fixed_fit_folds(len(Xva)))


def _latent_scorers(
    model: Any,
    fit_X: np.ndarray,
    encode: Callable[[np.ndarray], np.ndarray],
    name: str,
    budget: int,
    rng: np.random.Generator,
    Xva: np.ndarray,
    Xte: np.ndarray,
    yva: np.ndarray,
) -> dict[str, MethodRun]:
    """The three SAE scorers for one dictionary (trained or random)."""
    import torch

    Zfit = encode(fit_X)
    Zva, Zte = encode(Xva), encode(Xte)
    frequency = (Zfit > 0).mean(0)
    order = np.argsort(-frequency, kind="mergesort")
    width = Zfit.shape[1]
    runs: dict[str, MethodRun] = {}

    def latents_of(X: np.ndarray) -> np.ndarray:
        """The scorers see only the validation and test rows, already encoded."""
        return Zva if X is Xva else Zte if X is Xte else encode(X)

    def recon_error(X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)) * model.scaling_factor
            recon = model.decode(
                model.encode(torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)))
            )
            return (x - recon).pow(2).sum(-1).numpy()

    runs["reconstruction_error"] = _choose(
        [{}],
        _scorer_learner(
            lambda c: recon_error,
            lambda c: fl.sae_encode_flops(fit_X.shape[1], width, 2 * (len(Xva) + len(Xte))),
        ),
        Xva,
        yva,
        Xte,
    )
    counts = _column_counts(width)

    def latent_maha(config: dict[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
        cols = order[: config["n_latents"]]
        score = _mahalanobis(Zfit[:, cols], config["shrinkage"])
        return lambda X: score(latents_of(X)[:, cols])

    runs["latent_mahalanobis"] = _choose(
        budgeted_grid({"n_latents": counts, "shrinkage": SHRINKAGE}, budget, rng),
        _scorer_learner(
            latent_maha,
            lambda c: fl.mahalanobis_flops(len(Zfit), c["n_latents"], len(Xva) + len(Xte)),
        ),
        Xva,
        yva,
        Xte,
    )

    def rare(config: dict[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
        rare_cols = frequency <= config["max_frequency"]
        return lambda X: latents_of(X)[:, rare_cols].sum(1)

    runs["rare_latents"] = _choose(
        budgeted_grid({"max_frequency": RARE_FREQUENCY}, budget, rng),
        _scorer_learner(rare, lambda c: float(width * (len(Xva) + len(Xte)))),
        Xva,
        yva,
        Xte,
    )
    for run in runs.values():
        run.flops += fl.sae_encode_flops(fit_X.shape[1], width, len(Zfit) + len(Zva) + len(Zte))
    return {f"{name}_{k}": v for k, v in runs.items()}


def _baseline(
    name: str,
    fit_X: np.ndarray,
    Xva: np.ndarray,
    Xte: np.ndarray,
    budget: int,
    rng: np.random.Generator,
    seed: int,
    yva: np.ndarray,
) -> MethodRun:
    q = len(Xva) + len(Xte)
    d = fit_X.shape[1]
    if name == "mahalanobis":
        return _choose(
            budgeted_grid({"shrinkage": SHRINKAGE}, budget, rng),
            _scorer_learner(
                lambda c: _mahalanobis(fit_X, c["shrinkage"]),
                lambda c: fl.mahalanobis_flops(len(fit_X), d, q),
            ),
            Xva,
            yva,
            Xte,
        )
    if name == "knn_distance":
        from sklearn.neighbors import NearestNeighbors

        index = NearestNeighbors().fit(fit_X)

        def knn(config: dict[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
            k = min(config["k"], len(fit_X))
            return lambda X: index.kneighbors(X, n_neighbors=k)[0][:, -1]

        return _choose(
            budgeted_grid({"k": KNN_K}, budget, rng),
            _scorer_learner(knn, lambda c: fl.knn_flops(len(fit_X), q, d)),
            Xva,
            yva,
            Xte,
        )
    if name == "pca_reconstruction":
        from sklearn.decomposition import PCA

        max_n = min(64, d, len(fit_X) - 1)
        pca = PCA(n_components=max_n, random_state=seed).fit(fit_X)

        def pca_error(config: dict[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
            n = config["n_components"]
            comps = pca.components_[:n]

            def score(X: np.ndarray) -> np.ndarray:
                centred = X - pca.mean_
                return ((centred - (centred @ comps.T) @ comps) ** 2).sum(1)

            return score

        counts = [n for n in PCA_COUNTS if n <= max_n]
        return _choose(
            budgeted_grid({"n_components": counts}, budget, rng),
            _scorer_learner(pca_error, lambda c: fl.pca_flops(len(fit_X), d)),
            Xva,
            yva,
            Xte,
        )
    if name == "isolation_forest":
        from sklearn.ensemble import IsolationForest

        def forest(config: dict[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
            model = IsolationForest(
                n_estimators=config["n_estimators"],
                max_samples=config["max_samples"],
                random_state=seed,
            ).fit(fit_X)
            return lambda X: -model.score_samples(X)

        return _choose(
            budgeted_grid(FOREST_AXES, budget, rng),
            _scorer_learner(
                forest,
                lambda c: fl.isolation_forest_flops(len(fit_X), c["n_estimators"], q),
            ),
            Xva,
            yva,
            Xte,
        )
    raise ValueError(f"unknown OOD baseline {name!r}")


@dataclass(frozen=True)
class _OodSplit:
    """One split seed's validation and test rows: in-distribution (label 0) from the held-out
    rows, OOD (label 1) from the outside set, equal numbers of each."""

    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    test_ids: np.ndarray


def _ood_split(
    inside: np.ndarray,
    outside: np.ndarray,
    held: np.ndarray,
    proto: Any,
    rng: np.random.Generator,
) -> _OodSplit:
    n_val = min(proto.val_size // 2, len(held) // 3, len(outside) // 3)
    n_test = min(proto.test_size // 2, len(held) - n_val, len(outside) - n_val)
    h = rng.permutation(held)
    o = rng.permutation(len(outside))
    test_in, test_out = h[n_val : n_val + n_test], o[n_val : n_val + n_test]
    return _OodSplit(
        X_val=np.concatenate([inside[h[:n_val]], outside[o[:n_val]]]),
        y_val=np.r_[np.zeros(n_val), np.ones(n_val)].astype(np.int64),
        X_test=np.concatenate([inside[test_in], outside[test_out]]),
        y_test=np.r_[np.zeros(n_test), np.ones(n_test)].astype(np.int64),
        # outside rows are numbered after the inside ones
        test_ids=np.r_[test_in, len(inside) + test_out],
    )


def _raw_mahalanobis_run(
    fit_X: np.ndarray, split: _OodSplit, budget: int, rng: np.random.Generator
) -> MethodRun:
    """The raw-dimension control: Mahalanobis distance on the highest-variance dimensions."""
    var_order = np.argsort(-fit_X.var(0), kind="mergesort")
    n_query = len(split.X_val) + len(split.X_test)

    def raw_maha(config: dict[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
        cols = var_order[: config["n_dims"]]
        score = _mahalanobis(fit_X[:, cols], config["shrinkage"])
        return lambda X: score(X[:, cols])

    grid = budgeted_grid(
        {"n_dims": _column_counts(fit_X.shape[1]), "shrinkage": SHRINKAGE}, budget, rng
    )
    learner = _scorer_learner(
        raw_maha, functools.partial(_raw_mahalanobis_flops, len(fit_X), n_query)
    )
    return _choose(grid, learner, split.X_val, split.y_val, split.X_test)


def _seed_cell_runs(
    ctx: TaskContext,
    cell: Cell,
    fit_X: np.ndarray,
    split: _OodSplit,
    s: int,
    seed: int,
    rng: np.random.Generator,
) -> None:
    """Every method's run on one split seed, added to ``cell`` (the rng is shared, in order)."""
    from replication.harness.sae import encode_numpy

    proto = ctx.spec.protocol
    sae_i = ctx.sae_for_seed(s)
    scored: dict[str, MethodRun] = {}
    for label, sae in (
        ("sae", ctx.saes[sae_i]),
        ("random_dictionary", ctx.random_saes[sae_i % len(ctx.random_saes)]),
    ):
        runs = _latent_scorers(
            sae,
            fit_X,
            functools.partial(encode_numpy, sae),
            label,
            proto.tuning_budget,
            rng,
            split.X_val,
            split.X_test,
            split.y_val,
        )
        if label == "sae":
            scored.update(runs)
        else:
            scored[CONTROLS[0]] = max(runs.values(), key=lambda r: r.val_metric)
    scored[CONTROLS[1]] = _raw_mahalanobis_run(fit_X, split, proto.tuning_budget, rng)
    for name in ctx.spec.baselines:
        scored[name] = _baseline(
            name, fit_X, split.X_val, split.X_test, proto.tuning_budget, rng, seed, split.y_val
        )
    for name, run_ in scored.items():
        run_.extra["fpr_at_95_tpr"] = fpr_at_tpr(split.y_test, run_.test_scores)
        cell.add(name, run_)
    cell.labels.append(split.y_test)
    cell.groups.append(None)
    cell.test_ids.append(split.test_ids)


def run(ctx: TaskContext) -> TaskOutput:
    spec = ctx.spec
    proto = spec.protocol
    cells: list[Cell] = []
    total = len(ctx.datasets) * proto.split_seeds
    done = 0
    for d_index, ds in enumerate(ctx.datasets):
        inside, outside = _split_in_out(ds)
        fit_idx = _fit_rows(spec, len(inside))
        held = np.setdiff1d(np.arange(len(inside)), fit_idx)
        if len(held) < 4 or len(outside) < 4:
            raise DataError(f"dataset {ds.name!r}: too few held-out or OOD rows for OOD detection")
        cell = Cell(regime="normal", dataset=ds.name)
        for s in range(proto.split_seeds):
            seed = ctx.split_seed(d_index, s)
            rng = np.random.default_rng(seed)
            split = _ood_split(inside, outside, held, proto, rng)
            _seed_cell_runs(ctx, cell, inside[fit_idx], split, s, seed, rng)
            done += 1
            ctx.progress(done / total, f"OOD detection: {ds.name} / seed {s}")
        cells.append(cell)
    return _output(ctx, list(spec.baselines), cells)


def _output(ctx: TaskContext, baselines: list[str], cells: list[Cell]) -> TaskOutput:
    sae_methods = [f"sae_{m.removeprefix('sae_')}" for m in SAE_METHODS]
    return TaskOutput(
        metric="auroc",
        sae_methods=sae_methods,
        baselines=baselines,
        controls=CONTROLS,
        cells=cells,
        notes={
            "fit_fraction": FIT_FRACTION,
            "in_distribution": "the dataset's rows if it has an OOD set, else class 0",
            "sae_pool": "in-distribution fit rows of every dataset",
            "tuning_budget": ctx.spec.protocol.tuning_budget,
            "grids": grid_notes(
                {
                    name: axes
                    for name, axes in method_grids(ctx.width, ctx.pool.shape[1]).items()
                    if name in (*sae_methods, *baselines, *CONTROLS)
                }
            ),
        },
    )
