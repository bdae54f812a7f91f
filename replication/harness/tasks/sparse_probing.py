"""Sparse probing under hard regimes (Kantamneni et al. 2025; SAEBench).

SAE method: the k SAE latents with the largest train mean difference between classes,
then logistic regression (k and C tuned on validation). Controls: the same pipeline on a
random dictionary of the same width, and on raw dimensions. Baselines: logistic
regression on all dimensions, PCA (fit on the same unlabelled pool as the SAE) + logistic
regression, k-nearest neighbours, and optionally an MLP. Metric: test AUROC.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from replication.harness import flops as fl
from replication.harness.context import Cell, TaskContext, TaskOutput
from replication.harness.splits import make_split
from replication.harness.tasks.common import (
    C_GRID,
    auroc_metric,
    fit_logistic,
    latent_axes,
    standardise,
    top_k_probe_fitter,
)
from replication.harness.tuning import MethodRun, budgeted_grid, select

SAE_METHOD = "sae_top_latents"
CONTROLS = ["random_dictionary_top_latents", "raw_dims_top_k"]
PCA_MAX = 128


def _pca_fitter(Ptr: np.ndarray, ytr: np.ndarray, Pva: np.ndarray, Pte: np.ndarray):  # noqa: ANN202
    def fit(config: dict[str, Any]) -> tuple[np.ndarray, Callable[[], np.ndarray], float]:
        n = config["n_components"]
        return fit_logistic(Ptr[:, :n], ytr, Pva[:, :n], Pte[:, :n], config["C"])

    return fit


def _knn_fitter(Xtr: np.ndarray, ytr: np.ndarray, Xva: np.ndarray, Xte: np.ndarray):  # noqa: ANN202
    from sklearn.neighbors import KNeighborsClassifier

    tr, va, te = standardise(Xtr, Xva, Xte)

    def fit(config: dict[str, Any]) -> tuple[np.ndarray, Callable[[], np.ndarray], float]:
        model = KNeighborsClassifier(
            n_neighbors=min(config["n_neighbors"], len(tr)), weights=config["weights"]
        )
        model.fit(tr, ytr)
        cost = fl.knn_flops(len(tr), len(va) + len(te), tr.shape[1])
        return model.predict_proba(va)[:, 1], lambda: model.predict_proba(te)[:, 1], cost

    return fit


def _mlp_fitter(Xtr: np.ndarray, ytr: np.ndarray, Xva: np.ndarray, Xte: np.ndarray, seed: int):  # noqa: ANN202
    from sklearn.neural_network import MLPClassifier

    tr, va, te = standardise(Xtr, Xva, Xte)

    def fit(config: dict[str, Any]) -> tuple[np.ndarray, Callable[[], np.ndarray], float]:
        model = MLPClassifier(
            hidden_layer_sizes=(config["hidden"],),
            alpha=config["alpha"],
            max_iter=300,
            random_state=seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(tr, ytr)
        cost = 6.0 * len(tr) * tr.shape[1] * config["hidden"] * model.n_iter_
        return model.predict_proba(va)[:, 1], lambda: model.predict_proba(te)[:, 1], cost

    return fit


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

                ytr, yva = split.y_train, split.y_val
                y_test = ds.ood_y[split.test] if split.test_from_ood else ds.y[split.test]
                metric = auroc_metric(yva)
                rng = np.random.default_rng(split_seed)
                Z = latents[sae_i]
                Zr = random_latents[sae_i]
                Zo = ood_latents[sae_i] if ood_latents else None
                Zro = ood_random[sae_i] if ood_random else None
                lat_axes = latent_axes(max_latents, Z.shape[1])
                rows = len(split.train) + len(split.val) + len(split.test)
                sae_run = select(
                    budgeted_grid(lat_axes, proto.tuning_budget, rng),
                    top_k_probe_fitter(Z[split.train], ytr, Z[split.val], test_rows(Z, Zo)),
                    metric,
                )
                sae_run.flops += encode_cost * rows
                cell.add(SAE_METHOD, sae_run)
                rnd = select(
                    budgeted_grid(lat_axes, proto.tuning_budget, rng),
                    top_k_probe_fitter(Zr[split.train], ytr, Zr[split.val], test_rows(Zr, Zro)),
                    metric,
                )
                rnd.flops += encode_cost * rows
                cell.add(CONTROLS[0], rnd)
                raw_axes = latent_axes(max_latents, ds.X.shape[1])
                cell.add(
                    CONTROLS[1],
                    select(
                        budgeted_grid(raw_axes, proto.tuning_budget, rng),
                        top_k_probe_fitter(
                            ds.X[split.train], ytr, ds.X[split.val], test_rows(ds.X, ds.ood_X)
                        ),
                        metric,
                    ),
                )
                Xtr, Xva, Xte = ds.X[split.train], ds.X[split.val], test_rows(ds.X, ds.ood_X)
                for name in baselines:
                    cell.add(
                        name,
                        _baseline(
                            name,
                            Xtr,
                            ytr,
                            Xva,
                            Xte,
                            split,
                            P,
                            P_ood,
                            pca_counts,
                            proto.tuning_budget,
                            rng,
                            split_seed,
                            metric,
                            test_rows,
                        ),
                    )
                cell.labels.append(y_test)
                cell.groups.append(None)
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
    Xtr: np.ndarray,
    ytr: np.ndarray,
    Xva: np.ndarray,
    Xte: np.ndarray,
    split: Any,
    P: np.ndarray,
    P_ood: np.ndarray | None,
    pca_counts: list[int],
    budget: int,
    rng: np.random.Generator,
    seed: int,
    metric: Callable[[np.ndarray], float],
    test_rows: Callable[..., np.ndarray],
) -> MethodRun:
    if name == "logreg":
        C_values = list(np.logspace(-3, 3, budget)) if budget > 1 else [1.0]

        def fit(config: dict[str, Any]) -> tuple[np.ndarray, Callable[[], np.ndarray], float]:
            return fit_logistic(Xtr, ytr, Xva, Xte, config["C"])

        return select([{"C": float(c)} for c in C_values], fit, metric)
    if name == "pca_logreg":
        configs = budgeted_grid({"n_components": pca_counts, "C": C_GRID}, budget, rng)
        return select(
            configs, _pca_fitter(P[split.train], ytr, P[split.val], test_rows(P, P_ood)), metric
        )
    if name == "knn":
        configs = budgeted_grid(
            {"n_neighbors": [1, 3, 5, 9, 15, 25], "weights": ["uniform", "distance"]}, budget, rng
        )
        return select(configs, _knn_fitter(Xtr, ytr, Xva, Xte), metric)
    if name == "mlp":
        configs = budgeted_grid({"hidden": [32, 128], "alpha": [1e-4, 1e-2, 1.0]}, budget, rng)
        return select(configs, _mlp_fitter(Xtr, ytr, Xva, Xte, seed), metric)
    raise ValueError(f"unknown sparse-probing baseline {name!r}")
