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


def run(ctx: TaskContext) -> TaskOutput:
    spec = ctx.spec
    proto = spec.protocol
    baselines = list(spec.baselines)
    max_latents = int(spec.option("max_latents"))
    from sklearn.decomposition import PCA

    variants = [""] + list(spec.option("sae_probe_variants"))
    sae_methods = [SAE_METHOD + (f"_{v}" if v else "") for v in variants]
    references = list(spec.option("reference_methods"))
    smallest = min(len(ctx.fit_pool(s)) for s in range(proto.split_seeds))
    n_pca = min(PCA_MAX, ctx.pool.shape[1], smallest)
    pcas: dict[int, Any] = {}

    def pca_for(s: int) -> tuple[Any, float]:
        """PCA fit on split seed s's SAE rows (no test row of that seed when inductive), and
        the FLOPs of fitting it: charged once, to the run that fitted it (0 when reused)."""
        rows = ctx.fit_pool(s)
        if id(rows) not in pcas:
            fit_rows = rows[:20000]
            pcas[id(rows)] = PCA(n_components=n_pca, random_state=proto.seed).fit(fit_rows)
            return pcas[id(rows)], fl.pca_flops(*fit_rows.shape)
        return pcas[id(rows)], 0.0

    grids = method_grids(max_latents, ctx.width, ctx.pool.shape[1], n_pca)
    cells: list[Cell] = []
    total = len(ctx.datasets) * len(proto.regimes) * proto.split_seeds
    done = 0
    for d_index, ds in enumerate(ctx.datasets):
        n_sae = min(len(ctx.saes), proto.split_seeds)
        latents = [ctx.latents(i, ds.X) for i in range(n_sae)]
        random_latents = [ctx.latents(i, ds.X, random=True) for i in range(n_sae)]
        ood_latents = (
            [ctx.latents(i, ds.ood_X) for i in range(n_sae)] if ds.ood_X is not None else None
        )
        ood_random = (
            [ctx.latents(i, ds.ood_X, random=True) for i in range(n_sae)]
            if ds.ood_X is not None
            else None
        )
        encode_cost = fl.sae_encode_flops(ds.X.shape[1], ctx.width, 1)
        for regime in proto.regimes:
            cell = Cell(regime=regime, dataset=ds.name)
            for s in range(proto.split_seeds):
                split_seed = ctx.split_seed(d_index, s)
                split = make_split(
                    ds.y,
                    regime,
                    proto,
                    split_seed,
                    X=ds.X,
                    ood_y=ds.ood_y if ds.ood_X is not None else None,
                )
                sae_i = ctx.sae_for_seed(s)
                pca, pca_fit_cost = pca_for(s)
                P = pca.transform(ds.X)
                P_ood = pca.transform(ds.ood_X) if ds.ood_X is not None else None

                def test_rows(a: np.ndarray, a_ood: np.ndarray | None, split=split) -> np.ndarray:  # noqa: B008
                    return (
                        a_ood[split.test]
                        if split.test_from_ood and a_ood is not None
                        else a[split.test]
                    )

                # tuning and choosing by cross-validation over train + validation rows
                dev = np.concatenate([split.train, split.val])
                y_dev = np.concatenate([split.y_train, split.y_val])
                folds = dev_folds(y_dev, len(dev), proto, split_seed)
                if split.test_from_ood:
                    assert ds.ood_y is not None  # make_split tests on OOD rows only when present
                    y_test = ds.ood_y[split.test]
                else:
                    y_test = ds.y[split.test]
                rng = np.random.default_rng(split_seed)
                Z = latents[sae_i]
                Zr = random_latents[sae_i]
                Zo = ood_latents[sae_i] if ood_latents else None
                Zro = ood_random[sae_i] if ood_random else None
                rows = len(split.train) + len(split.val) + len(split.test)

                def tuned(
                    configs: list[dict[str, Any]],
                    learn: Learner,
                    A: np.ndarray,
                    A_ood: np.ndarray | None,
                    dev=dev,
                    y_dev=y_dev,
                    folds=folds,
                    test_rows=test_rows,
                ) -> MethodRun:
                    return select_cv(
                        configs, learn, A[dev], y_dev, test_rows(A, A_ood), auroc_metric, folds
                    )

                # the same settings for every variant, so variants differ only in recipe
                sae_configs = budgeted_grid(grids[SAE_METHOD], proto.tuning_budget, rng)
                for variant, method in zip(variants, sae_methods, strict=True):
                    sae_run = tuned(sae_configs, top_k_probe_learner(variant), Z, Zo)
                    sae_run.flops += encode_cost * rows
                    cell.add(method, sae_run)
                rnd = tuned(
                    budgeted_grid(grids[CONTROLS[0]], proto.tuning_budget, rng),
                    top_k_probe_learner(""),
                    Zr,
                    Zro,
                )
                rnd.flops += encode_cost * rows
                cell.add(CONTROLS[0], rnd)
                cell.add(
                    CONTROLS[1],
                    tuned(
                        budgeted_grid(grids[CONTROLS[1]], proto.tuning_budget, rng),
                        top_k_probe_learner("raw"),
                        ds.X,
                        ds.ood_X,
                    ),
                )
                for name in baselines:
                    learn, A, A_ood = _baseline(name, ds, P, P_ood, split_seed)
                    configs = budgeted_grid(grids[name], proto.tuning_budget, rng)
                    base_run = tuned(configs, learn, A, A_ood)
                    if name == "pca_logreg":  # its features cost a fit and a projection
                        base_run.flops += pca_fit_cost + fl.projection_flops(
                            rows, ds.X.shape[1], n_pca
                        )
                    cell.add(name, base_run)
                if "sae_probes" in references:
                    ks = [
                        k
                        for k in (LATENT_COUNTS if regime == "normal" else [16, 128])
                        if k <= min(max_latents, Z.shape[1])
                    ] or [min(max_latents, Z.shape[1])]
                    ref = sae_probes_probe(
                        Z[dev], y_dev, test_rows(Z, Zo), ks, split_seed, normalise=True
                    )
                    ref.flops += encode_cost * rows
                    cell.add(REFERENCE_SAE, ref)
                    X_test = test_rows(ds.X, ds.ood_X)
                    cell.add(
                        REFERENCE_LOGREG,
                        sae_probes_probe(
                            ds.X[dev], y_dev, X_test, [ds.X.shape[1]], split_seed, False
                        ),
                    )
                cell.labels.append(y_test)
                cell.groups.append(None)
                cell.test_ids.append(split.test + (len(ds.X) if split.test_from_ood else 0))
                done += 1
                ctx.progress(done / total, f"sparse probing: {ds.name} / {regime} / seed {s}")
            cells.append(cell)
    if "sae_probes" in references:
        sae_methods = [*sae_methods, REFERENCE_SAE]
        baselines = [*baselines, REFERENCE_LOGREG]
    return TaskOutput(
        metric="auroc",
        sae_methods=sae_methods,
        baselines=baselines,
        controls=CONTROLS,
        cells=cells,
        notes={
            "pca_components_max": n_pca,
            "pca_fit_on": "the rows of each split seed's SAE",
            "sae_probe_recipe": "mean-activation normalisation before ranking; k up to "
            f"{max_latents}",
            "tuning_budget": proto.tuning_budget,
            "grids": grid_notes(
                {
                    name: axes
                    for name, axes in grids.items()
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
