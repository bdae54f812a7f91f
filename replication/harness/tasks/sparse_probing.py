"""Sparse probing under hard regimes (Kantamneni et al. 2025; SAEBench).

SAE method (the paper's recipe): latents divided by their mean non-zero activation, the k
(1 to 512) with the largest mean difference between classes on the fit rows, then logistic
regression. ``task_options.sae_probe_variants`` adds the L1-penalised and binarised probes as
further SAE methods. Controls: the same pipeline on a random dictionary of the same width,
and the top-k rule on raw dimensions. Baselines: logistic regression on all dimensions, PCA
(fit on the SAE's rows) + logistic regression, k-nearest neighbours, and optionally an MLP.

Equal budgets: every method tries ``protocol.tuning_budget`` settings drawn the same way from
its grid (all of them when the grid is no larger), each scored by the same cross-validation
folds over train + validation, the best refit on both before one test pass; results list
each method's grid (``notes.grids``) and chosen settings (``configs``).

``task_options.reference_methods = ["sae_probes"]`` adds sae-probes' own code: its SAE probe
(an SAE method) and its logistic regression (a baseline), each trained on train + validation
with its own cross-validation and refit. Metric: test AUROC.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from replication.harness import flops as fl
from replication.harness.context import Cell, TaskContext, TaskOutput
from replication.harness.spec import Spec
from replication.harness.splits import make_split
from replication.harness.tasks.common import (
    C_GRID,
    LATENT_COUNTS,
    auroc_metric,
    dev_folds,
    fit_logistic,
    latent_axes,
    logistic_learner,
    scaler,
    top_k_probe_learner,
)
from replication.harness.tuning import (
    Fitted,
    Learner,
    MethodRun,
    budgeted_grid,
    grid_notes,
    select_cv,
)

SAE_METHOD = "sae_top_latents"
CONTROLS = ["random_dictionary_top_latents", "raw_dims_top_k"]
PCA_MAX = 128
REFERENCE_SAE = "sae_probes_sae_probe"
REFERENCE_LOGREG = "sae_probes_logreg"
KNN_AXES = {"n_neighbors": [1, 3, 5, 9, 15, 25], "weights": ["uniform", "distance"]}
MLP_AXES = {"hidden": [32, 128], "alpha": [1e-4, 1e-2, 1.0]}
SCOPE = {
    "tests": (
        "whether a probe on a few SAE latents classifies held-out text as well as tuned "
        "probes on the raw embedding, under normal, scarce, imbalanced, noisy and shifted "
        "training data"
    ),
    "does_not_test": (
        "interpretability of the latents, SAEs on large language models' residual streams "
        "(sentence embeddings here), or the paper's very large pretrained SAEs"
    ),
}


def required_packages(spec: Spec) -> list[tuple[str, str]]:
    return [("sae_probes", m) for m in spec.option("reference_methods")]


def split_test_rows(spec: Spec, ds: Any, split_seed: int) -> np.ndarray:
    """Rows of ds.X that are test rows of this split seed in any regime (none from OOD sets)."""
    rows = []
    for regime in spec.protocol.regimes:
        split = make_split(
            ds.y,
            regime,
            spec.protocol,
            split_seed,
            X=ds.X,
            ood_y=ds.ood_y if ds.ood_X is not None else None,
        )
        if not split.test_from_ood:
            rows.append(split.test)
    return np.unique(np.concatenate(rows)) if rows else np.zeros(0, np.int64)


def sae_probes_probe(
    Z_dev: np.ndarray,
    y_dev: np.ndarray,
    Z_test: np.ndarray,
    ks: list[int],
    seed: int,
    normalise: bool,
) -> MethodRun:
    """sae-probes' own recipe: its ranking (with its mean-activation normalisation), then its
    ``find_best_reg`` (10 C values by cross-validation, refit) for each k; the k with the best
    cross-validated AUROC is kept. Test rows never choose anything."""
    import torch

    from replication.harness import reference

    ranking = reference.sae_probes_ranking()
    training = reference.sae_probes_training()
    order = ranking.get_sorted_indices(
        torch.from_numpy(np.ascontiguousarray(Z_dev, np.float32)),
        torch.from_numpy(np.asarray(y_dev)),
        ranking.mean_act_normalization if normalise else None,
    ).numpy()
    # find_best_reg also scores a test set; it gets placeholder labels, only its model is kept
    placeholder = np.arange(len(Z_test)) % 2
    best: tuple[float, int, Any] | None = None
    flops = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in ks:
            cols = order[:k]
            result = training.find_best_reg(
                Z_dev[:, cols], y_dev, Z_test[:, cols], placeholder, parallel=False, seed=seed
            )
            flops += 11 * fl.logistic_regression_flops(len(Z_dev), k)
            if best is None or result.metrics.val_auc > best[0]:
                best = (result.metrics.val_auc, k, result.classifier)
    assert best is not None
    scores = best[2].predict_proba(Z_test[:, order[: best[1]]])[:, 1]
    return MethodRun(
        val_metric=float(best[0]),
        test_scores=np.asarray(scores, np.float64),
        config={"k": best[1], "C": float(best[2].C)},
        flops=flops,
        selection="sae_probes_find_best_reg",
    )


def method_grids(max_latents: int, width: int, d_in: int, n_pca: int) -> dict[str, Any]:
    """Every method's grid, recorded in the result so the budgets can be compared."""
    pca_counts = [n for n in (2, 4, 8, 16, 32, 64, 128) if n <= n_pca]
    return {
        SAE_METHOD: latent_axes(max_latents, width),
        CONTROLS[0]: latent_axes(max_latents, width),
        CONTROLS[1]: latent_axes(max_latents, d_in),
        "logreg": {"C": C_GRID},
        "pca_logreg": {"n_components": pca_counts, "C": C_GRID},
        "knn": KNN_AXES,
        "mlp": MLP_AXES,
    }


def _pca_learner(config: dict[str, Any], P: np.ndarray, y: np.ndarray) -> Fitted:
    n = config["n_components"]
    inner = fit_logistic(P[:, :n], y, config["C"])
    return Fitted(lambda A: inner.predict(A[:, :n]), inner.flops, inner.flops_per_row)


def _knn_learner(config: dict[str, Any], X: np.ndarray, y: np.ndarray) -> Fitted:
    from sklearn.neighbors import KNeighborsClassifier

    scale = scaler(X)
    model = KNeighborsClassifier(
        n_neighbors=min(config["n_neighbors"], len(X)), weights=config["weights"]
    )
    model.fit(scale(X), y)
    return Fitted(
        lambda A: model.predict_proba(scale(A))[:, 1],
        flops_per_row=fl.knn_flops(len(X), 1, X.shape[1]),
    )


def _mlp_learner(seed: int) -> Learner:
    from sklearn.neural_network import MLPClassifier

    def learn(config: dict[str, Any], X: np.ndarray, y: np.ndarray) -> Fitted:
        scale = scaler(X)
        model = MLPClassifier(
            hidden_layer_sizes=(config["hidden"],),
            alpha=config["alpha"],
            max_iter=300,
            random_state=seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(scale(X), y)
        cost = 6.0 * len(X) * X.shape[1] * config["hidden"] * model.n_iter_
        return Fitted(lambda A: model.predict_proba(scale(A))[:, 1], cost)

    return learn


@dataclass
class _Setup:
    """What every seed of a run shares: method names, grids, and the PCA of each fit pool."""

    variants: list[str]
    sae_methods: list[str]
    references: list[str]
    n_pca: int
    grids: dict[str, Any]
    pcas: dict[int, Any] = field(default_factory=dict)

    def pca_for(self, ctx: TaskContext, s: int) -> tuple[Any, float]:
        """PCA fit on split seed s's SAE rows (no test row of that seed when inductive), and
        the FLOPs of fitting it: charged once, to the run that fitted it (0 when reused)."""
        from sklearn.decomposition import PCA

        rows = ctx.fit_pool(s)
        if id(rows) not in self.pcas:
            fit_rows = rows[:20000]
            pca = PCA(n_components=self.n_pca, random_state=ctx.spec.protocol.seed)
            self.pcas[id(rows)] = pca.fit(fit_rows)
            return self.pcas[id(rows)], fl.pca_flops(*fit_rows.shape)
        return self.pcas[id(rows)], 0.0


@dataclass
class _Latents:
    """One dataset's latents under each SAE and random dictionary (in-distribution, OOD)."""

    Z: list[np.ndarray]
    Zr: list[np.ndarray]
    Zo: list[np.ndarray] | None
    Zro: list[np.ndarray] | None


def _setup(ctx: TaskContext) -> _Setup:
    spec, proto = ctx.spec, ctx.spec.protocol
    max_latents = int(spec.option("max_latents"))
    variants = [""] + list(spec.option("sae_probe_variants"))
    smallest = min(len(ctx.fit_pool(s)) for s in range(proto.split_seeds))
    n_pca = min(PCA_MAX, ctx.pool.shape[1], smallest)
    return _Setup(
        variants=variants,
        sae_methods=[SAE_METHOD + (f"_{v}" if v else "") for v in variants],
        references=list(spec.option("reference_methods")),
        n_pca=n_pca,
        grids=method_grids(max_latents, ctx.width, ctx.pool.shape[1], n_pca),
    )


def run(ctx: TaskContext) -> TaskOutput:
    return run_seeds(ctx, range(ctx.spec.protocol.split_seeds))


def run_seeds(ctx: TaskContext, seeds: range) -> TaskOutput:
    """The methods of split seeds ``seeds`` on every (dataset, regime): the harness's
    sequential design calls this once per stage with the seeds that stage adds."""
    setup = _setup(ctx)
    proto = ctx.spec.protocol
    cells: list[Cell] = []
    total = len(ctx.datasets) * len(proto.regimes) * len(seeds)
    done = 0
    for d_index, ds in enumerate(ctx.datasets):
        lat = _dataset_latents(ctx, ds, min(len(ctx.saes), max(seeds) + 1))
        for regime in proto.regimes:
            cell = Cell(regime=regime, dataset=ds.name)
            for s in seeds:
                _seed(ctx, setup, cell, ds, lat, d_index, s)
                done += 1
                ctx.progress(done / total, f"sparse probing: {ds.name} / {regime} / seed {s}")
            cells.append(cell)
    return _output(ctx, setup, cells)


def _dataset_latents(ctx: TaskContext, ds: Any, n_sae: int) -> _Latents:
    def each(X: np.ndarray | None, random: bool) -> list[np.ndarray] | None:
        if X is None:
            return None
        return [ctx.latents(i, X, random=random) for i in range(n_sae)]

    Z, Zr = each(ds.X, False), each(ds.X, True)
    assert Z is not None and Zr is not None
    return _Latents(Z, Zr, each(ds.ood_X, False), each(ds.ood_X, True))


@dataclass
class _SeedRows:
    """One split seed of one (dataset, regime): its rows, folds and the tuning it allows."""

    split: Any
    dev: np.ndarray
    y_dev: np.ndarray
    folds: Any
    n_rows: int
    seed: int

    def test_rows(self, A: np.ndarray, A_ood: np.ndarray | None) -> np.ndarray:
        if self.split.test_from_ood and A_ood is not None:
            return A_ood[self.split.test]
        return A[self.split.test]

    def tuned(
        self, configs: list[dict[str, Any]], learn: Learner, A: np.ndarray, A_ood: np.ndarray | None
    ) -> MethodRun:
        """Tuned and chosen by cross-validation over train + validation rows, one test pass."""
        return select_cv(
            configs,
            learn,
            A[self.dev],
            self.y_dev,
            self.test_rows(A, A_ood),
            auroc_metric,
            self.folds,
        )


def _seed(
    ctx: TaskContext, setup: _Setup, cell: Cell, ds: Any, lat: _Latents, d_index: int, s: int
) -> None:
    """Every method of split seed s on one (dataset, regime), added to ``cell``."""
    proto = ctx.spec.protocol
    split_seed = ctx.split_seed(d_index, s)
    split = make_split(
        ds.y,
        cell.regime,
        proto,
        split_seed,
        X=ds.X,
        ood_y=ds.ood_y if ds.ood_X is not None else None,
    )
    dev = np.concatenate([split.train, split.val])
    y_dev = np.concatenate([split.y_train, split.y_val])
    rows = _SeedRows(
        split=split,
        dev=dev,
        y_dev=y_dev,
        folds=dev_folds(y_dev, len(dev), proto, split_seed),
        n_rows=len(split.train) + len(split.val) + len(split.test),
        seed=split_seed,
    )
    i = ctx.sae_for_seed(s)
    Z, Zo = lat.Z[i], lat.Zo[i] if lat.Zo else None
    rng = np.random.default_rng(split_seed)
    encode_cost = fl.sae_encode_flops(ds.X.shape[1], ctx.width, 1) * rows.n_rows
    _sae_and_controls(ctx, setup, cell, ds, rows, rng, (Z, Zo), lat, i, encode_cost)
    pca, pca_fit_cost = setup.pca_for(ctx, s)
    P = pca.transform(ds.X)
    P_ood = pca.transform(ds.ood_X) if ds.ood_X is not None else None
    for name in ctx.spec.baselines:
        learn, A, A_ood = _baseline(name, ds, P, P_ood, split_seed)
        base_run = rows.tuned(
            budgeted_grid(setup.grids[name], proto.tuning_budget, rng), learn, A, A_ood
        )
        if name == "pca_logreg":  # its features cost a fit and a projection
            base_run.flops += pca_fit_cost + fl.projection_flops(
                rows.n_rows, ds.X.shape[1], setup.n_pca
            )
        cell.add(name, base_run)
    if "sae_probes" in setup.references:
        _references(ctx, cell, ds, rows, Z, Zo, encode_cost)
    y_test = ds.ood_y[split.test] if split.test_from_ood else ds.y[split.test]
    cell.labels.append(y_test)
    cell.groups.append(None)
    cell.test_ids.append(split.test + (len(ds.X) if split.test_from_ood else 0))


def _sae_and_controls(
    ctx: TaskContext,
    setup: _Setup,
    cell: Cell,
    ds: Any,
    rows: _SeedRows,
    rng: np.random.Generator,
    sae_latents: tuple[np.ndarray, np.ndarray | None],
    lat: _Latents,
    i: int,
    encode_cost: float,
) -> None:
    budget = ctx.spec.protocol.tuning_budget
    Z, Zo = sae_latents
    # the same settings for every variant, so variants differ only in recipe
    sae_configs = budgeted_grid(setup.grids[SAE_METHOD], budget, rng)
    for variant, method in zip(setup.variants, setup.sae_methods, strict=True):
        sae_run = rows.tuned(sae_configs, top_k_probe_learner(variant), Z, Zo)
        sae_run.flops += encode_cost
        cell.add(method, sae_run)
    rnd = rows.tuned(
        budgeted_grid(setup.grids[CONTROLS[0]], budget, rng),
        top_k_probe_learner(""),
        lat.Zr[i],
        lat.Zro[i] if lat.Zro else None,
    )
    rnd.flops += encode_cost
    cell.add(CONTROLS[0], rnd)
    raw_configs = budgeted_grid(setup.grids[CONTROLS[1]], budget, rng)
    cell.add(CONTROLS[1], rows.tuned(raw_configs, top_k_probe_learner("raw"), ds.X, ds.ood_X))


def _references(
    ctx: TaskContext,
    cell: Cell,
    ds: Any,
    rows: _SeedRows,
    Z: np.ndarray,
    Zo: np.ndarray | None,
    encode_cost: float,
) -> None:
    """sae-probes' own SAE probe and logistic regression on the same split."""
    max_latents = int(ctx.spec.option("max_latents"))
    ks = [
        k
        for k in (LATENT_COUNTS if cell.regime == "normal" else [16, 128])
        if k <= min(max_latents, Z.shape[1])
    ] or [min(max_latents, Z.shape[1])]
    ref = sae_probes_probe(
        Z[rows.dev], rows.y_dev, rows.test_rows(Z, Zo), ks, rows.seed, normalise=True
    )
    ref.flops += encode_cost
    cell.add(REFERENCE_SAE, ref)
    X_test = rows.test_rows(ds.X, ds.ood_X)
    cell.add(
        REFERENCE_LOGREG,
        sae_probes_probe(ds.X[rows.dev], rows.y_dev, X_test, [ds.X.shape[1]], rows.seed, False),
    )


def _output(ctx: TaskContext, setup: _Setup, cells: list[Cell]) -> TaskOutput:
    baselines = list(ctx.spec.baselines)
    sae_methods = list(setup.sae_methods)
    if "sae_probes" in setup.references:
        sae_methods = [*sae_methods, REFERENCE_SAE]
        baselines = [*baselines, REFERENCE_LOGREG]
    return TaskOutput(
        metric="auroc",
        sae_methods=sae_methods,
        baselines=baselines,
        controls=CONTROLS,
        cells=cells,
        notes={
            "pca_components_max": setup.n_pca,
            "pca_fit_on": "the rows of each split seed's SAE",
            "sae_probe_recipe": "mean-activation normalisation before ranking; k up to "
            f"{ctx.spec.option('max_latents')}",
            "tuning_budget": ctx.spec.protocol.tuning_budget,
            "grids": grid_notes(
                {
                    name: axes
                    for name, axes in setup.grids.items()
                    if name in (*CONTROLS, SAE_METHOD, *baselines)
                }
            ),
        },
    )


def _baseline(
    name: str, ds: Any, P: np.ndarray, P_ood: np.ndarray | None, seed: int
) -> tuple[Learner, np.ndarray, np.ndarray | None]:
    """A baseline's learner and the features it reads (in-distribution, OOD)."""
    if name == "logreg":
        return logistic_learner, ds.X, ds.ood_X
    if name == "pca_logreg":
        return _pca_learner, P, P_ood
    if name == "knn":
        return _knn_learner, ds.X, ds.ood_X
    if name == "mlp":
        return _mlp_learner(seed), ds.X, ds.ood_X
    raise ValueError(f"unknown sparse-probing baseline {name!r}")
