"""Sparse probing under hard regimes (Kantamneni et al. 2025; SAEBench).

SAE method: the k SAE latents with the largest train mean difference between classes,
then logistic regression (k and C tuned by cross-validation over train + validation, then
refit on both). Controls: the same pipeline on a random dictionary of the same width, and
on raw dimensions. Baselines: logistic regression on all dimensions, PCA (fit on the same
unlabelled pool as the SAE) + logistic regression, k-nearest neighbours, and optionally an
MLP. Metric: test AUROC.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from replication.harness import flops as fl
from replication.harness.context import Cell, TaskContext, TaskOutput
from replication.harness.splits import make_split
from replication.harness.tasks.common import (
    C_GRID,
    auroc_metric,
    dev_folds,
    fit_logistic,
    latent_axes,
    logistic_learner,
    scaler,
    top_k_probe_learner,
)
from replication.harness.tuning import Fitted, Learner, MethodRun, budgeted_grid, select_cv

SAE_METHOD = "sae_top_latents"
CONTROLS = ["random_dictionary_top_latents", "raw_dims_top_k"]
PCA_MAX = 128


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

    n_pca = min(PCA_MAX, ctx.pool.shape[1], ctx.pool.shape[0])
    pca = PCA(n_components=n_pca, random_state=proto.seed).fit(
        ctx.pool[: min(len(ctx.pool), 20000)]
    )
    pca_counts = [n for n in (2, 4, 8, 16, 32, 64, 128) if n <= n_pca]
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
        P = pca.transform(ds.X)
        P_ood = pca.transform(ds.ood_X) if ds.ood_X is not None else None
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
                y_test = ds.ood_y[split.test] if split.test_from_ood else ds.y[split.test]
                rng = np.random.default_rng(split_seed)
                Z = latents[sae_i]
                Zr = random_latents[sae_i]
                Zo = ood_latents[sae_i] if ood_latents else None
                Zro = ood_random[sae_i] if ood_random else None
                lat_axes = latent_axes(max_latents, Z.shape[1])
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

                sae_run = tuned(
                    budgeted_grid(lat_axes, proto.tuning_budget, rng), top_k_probe_learner(), Z, Zo
                )
                sae_run.flops += encode_cost * rows
                cell.add(SAE_METHOD, sae_run)
                rnd = tuned(
                    budgeted_grid(lat_axes, proto.tuning_budget, rng),
                    top_k_probe_learner(),
                    Zr,
                    Zro,
                )
                rnd.flops += encode_cost * rows
                cell.add(CONTROLS[0], rnd)
                raw_axes = latent_axes(max_latents, ds.X.shape[1])
                cell.add(
                    CONTROLS[1],
                    tuned(
                        budgeted_grid(raw_axes, proto.tuning_budget, rng),
                        top_k_probe_learner(),
                        ds.X,
                        ds.ood_X,
                    ),
                )
                for name in baselines:
                    configs, learn, A, A_ood = _baseline(
                        name, ds, P, P_ood, pca_counts, proto.tuning_budget, rng, split_seed
                    )
                    cell.add(name, tuned(configs, learn, A, A_ood))
                cell.labels.append(y_test)
                cell.groups.append(None)
                cell.test_ids.append(split.test + (len(ds.X) if split.test_from_ood else 0))
                done += 1
                ctx.progress(done / total, f"sparse probing: {ds.name} / {regime} / seed {s}")
            cells.append(cell)
    return TaskOutput(
        metric="auroc",
        sae_methods=[SAE_METHOD],
        baselines=baselines,
        controls=CONTROLS,
        cells=cells,
        notes={"pca_components_max": n_pca, "pca_fit_on": "unlabelled pool"},
    )


def _baseline(
    name: str,
    ds: Any,
    P: np.ndarray,
    P_ood: np.ndarray | None,
    pca_counts: list[int],
    budget: int,
    rng: np.random.Generator,
    seed: int,
) -> tuple[list[dict[str, Any]], Learner, np.ndarray, np.ndarray | None]:
    """A baseline's settings, learner, and the features it reads (in-distribution, OOD)."""
    if name == "logreg":
        C_values = list(np.logspace(-3, 3, budget)) if budget > 1 else [1.0]
        return [{"C": float(c)} for c in C_values], logistic_learner, ds.X, ds.ood_X
    if name == "pca_logreg":
        configs = budgeted_grid({"n_components": pca_counts, "C": C_GRID}, budget, rng)
        return configs, _pca_learner, P, P_ood
    if name == "knn":
        configs = budgeted_grid(
            {"n_neighbors": [1, 3, 5, 9, 15, 25], "weights": ["uniform", "distance"]}, budget, rng
        )
        return configs, _knn_learner, ds.X, ds.ood_X
    if name == "mlp":
        configs = budgeted_grid({"hidden": [32, 128], "alpha": [1e-4, 1e-2, 1.0]}, budget, rng)
        return configs, _mlp_learner(seed), ds.X, ds.ood_X
    raise ValueError(f"unknown sparse-probing baseline {name!r}")
