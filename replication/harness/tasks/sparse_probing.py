"""Sparse probing under hard regimes (Kantamneni et al. 2025; SAEBench).

SAE method (the paper's recipe): latents divided by their mean non-zero activation, the k
(1 to 512) with the largest train mean difference between classes, then logistic regression
(k and C tuned). ``task_options.sae_probe_variants`` adds the L1-penalised and binarised
probes as further SAE methods. Controls: the same pipeline on a random dictionary of the
same width, and the top-k rule on raw dimensions. Baselines: logistic regression on all
dimensions, PCA (fit on the SAE's rows) + logistic regression, k-nearest neighbours, and
optionally an MLP. ``task_options.reference_methods = ["sae_probes"]`` adds sae-probes' own
code: its SAE probe (an SAE method) and its logistic regression (a baseline), each trained
on train + validation with its own cross-validation. Metric: test AUROC.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
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
    fit_logistic,
    latent_axes,
    standardise,
    top_k_probe_fitter,
)
from replication.harness.tuning import MethodRun, budgeted_grid, select

SAE_METHOD = "sae_top_latents"
CONTROLS = ["random_dictionary_top_latents", "raw_dims_top_k"]
PCA_MAX = 128
REFERENCE_SAE = "sae_probes_sae_probe"
REFERENCE_LOGREG = "sae_probes_logreg"
SCOPE = {
    "tests": (
        "whether a probe on a few SAE latents classifies held-out text as well as tuned "
        "probes on the raw embedding, under normal, scarce, imbalanced, noisy and shifted "
        "training data"
    ),
    "does_not_test": (
        "interpretability of the latents, SAEs on large language models' residual streams "
        "(sentence embeddings here), or the paper's multi-class and very large SAEs"
    ),
}


def required_packages(spec: Spec) -> list[tuple[str, str]]:
    return [("sae_probes", m) for m in spec.option("reference_methods")]


def split_test_rows(spec: Spec, ds: Any, split_seed: int) -> np.ndarray:
    """Rows of ds.X that are test rows of this split seed in any regime (none from OOD sets)."""
    rows = [
        split.test
        for regime in spec.protocol.regimes
        if not (
            split := make_split(
                ds.y,
                regime,
                spec.protocol,
                split_seed,
                X=ds.X,
                ood_y=ds.ood_y if ds.ood_X is not None else None,
            )
        ).test_from_ood
    ]
    return np.unique(np.concatenate(rows)) if rows else np.zeros(0, np.int64)


def sae_probes_probe(
    Ztr: np.ndarray, ytr: np.ndarray, Zte: np.ndarray, ks: list[int], seed: int, normalise: bool
) -> MethodRun:
    """sae-probes' own recipe: its ranking, then its ``find_best_reg`` for each k; the k with
    the best cross-validated AUROC on the labelled rows is kept (test rows never choose)."""
    import torch

    from replication.harness import reference

    ranking = reference.sae_probes_ranking()
    training = reference.sae_probes_training()
    order = ranking.get_sorted_indices(
        torch.from_numpy(np.ascontiguousarray(Ztr, np.float32)),
        torch.from_numpy(ytr),
        ranking.mean_act_normalization if normalise else None,
    ).numpy()
    best: tuple[float, int, Any] | None = None
    dummy_y = np.arange(len(Zte)) % 2  # find_best_reg scores a test set; only its model is kept
    flops = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in ks:
            cols = order[:k]
            result = training.find_best_reg(
                Ztr[:, cols], ytr, Zte[:, cols], dummy_y, parallel=False, seed=seed
            )
            flops += 11 * fl.logistic_regression_flops(len(Ztr), k)
            if best is None or result.metrics.val_auc > best[0]:
                best = (result.metrics.val_auc, k, result.classifier)
    assert best is not None
    cols = order[: best[1]]
    scores = best[2].predict_proba(Zte[:, cols])[:, 1]
    return MethodRun(
        val_metric=float(best[0]),
        test_scores=np.asarray(scores, np.float64),
        config={"k": best[1], "C": float(best[2].C)},
        flops=flops,
    )


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

    variants = [""] + list(spec.option("sae_probe_variants"))
    sae_methods = [SAE_METHOD + (f"_{v}" if v else "") for v in variants]
    references = list(spec.option("reference_methods"))
    smallest = min(len(ctx.fit_pool(s)) for s in range(proto.split_seeds))
    n_pca = min(PCA_MAX, ctx.pool.shape[1], smallest)
    pcas: dict[int, Any] = {}

    def pca_for(s: int) -> Any:
        rows = ctx.fit_pool(s)
        key = id(rows)
        if key not in pcas:
            pcas[key] = PCA(n_components=n_pca, random_state=proto.seed).fit(rows[:20000])
        return pcas[key]

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
                pca = pca_for(s)
                P = pca.transform(ds.X)
                P_ood = pca.transform(ds.ood_X) if ds.ood_X is not None else None

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
                grid = budgeted_grid(lat_axes, proto.tuning_budget, rng)
                for variant, method in zip(variants, sae_methods, strict=True):
                    sae_run = select(
                        grid,
                        top_k_probe_fitter(
                            Z[split.train], ytr, Z[split.val], test_rows(Z, Zo), variant
                        ),
                        metric,
                    )
                    sae_run.flops += encode_cost * rows
                    cell.add(method, sae_run)
                rnd = select(
                    grid,
                    top_k_probe_fitter(Zr[split.train], ytr, Zr[split.val], test_rows(Zr, Zro), ""),
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
                if "sae_probes" in references:
                    labelled = np.concatenate([split.train, split.val])
                    y_lab = np.concatenate([ytr, yva])
                    ks = [
                        k
                        for k in (LATENT_COUNTS if regime == "normal" else [16, 128])
                        if k <= min(max_latents, Z.shape[1])
                    ] or [min(max_latents, Z.shape[1])]
                    ref = sae_probes_probe(
                        Z[labelled], y_lab, test_rows(Z, Zo), ks, split_seed, normalise=True
                    )
                    ref.flops += encode_cost * rows
                    cell.add(REFERENCE_SAE, ref)
                    cell.add(
                        REFERENCE_LOGREG,
                        sae_probes_probe(
                            ds.X[labelled], y_lab, Xte, [ds.X.shape[1]], split_seed, False
                        ),
                    )
                cell.labels.append(y_test)
                cell.groups.append(None)
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
            "pca_fit_on": "the SAE's rows for each split seed",
            "sae_probe_recipe": "mean-activation normalisation before ranking; k up to "
            f"{max_latents}",
        },
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
