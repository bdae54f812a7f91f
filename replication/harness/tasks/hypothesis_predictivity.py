"""Hypothesis predictivity (Movva et al. 2025, HypotheSAEs).

K features are chosen on training rows and a small model on those K features predicts the
target on held-out rows. SAE method: K SAE neurons chosen by Lasso (L1 logistic regression
for a binary target, Lasso for a continuous one). Baselines: the first K PCA components
(PCA fit on the unlabelled pool), K raw dimensions chosen by the same Lasso rule, distances
to K k-means centroids (fit on the pool). Controls: K random-dictionary latents by Lasso, and
the raw-dimension rule. Ceiling (reported, never a competitor): ridge on the full embedding.
Metric: holdout AUROC (binary) or R^2 (continuous); each method also reports how many of its
K features are individually significant on the holdout after Bonferroni correction.

The SAE pool is every row of the source (the rows past ``data.max_rows`` join it unlabelled),
as the paper trains on all its texts; inductive fitting leaves each split's test rows out.
``task_options.reference_methods = ["hypothesaes"]`` adds HypotheSAEs' own SAE (its
``SparseAutoencoder``, trained with its quickstart defaults on the same rows, same M and K)
with its own Lasso neuron selection, as a second SAE method.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from replication.harness import flops as fl
from replication.harness.context import Cell, TaskContext, TaskOutput
from replication.harness.errors import DataError
from replication.harness.spec import Spec
from replication.harness.splits import make_split
from replication.harness.stats import r2_rows
from replication.harness.tasks.common import (
    C_GRID,
    auroc_metric,
    dev_folds,
    scaler,
    standardise,
)
from replication.harness.tuning import (
    Fitted,
    FoldCache,
    Learner,
    MethodRun,
    budgeted_grid,
    select_cv,
)

SAE_METHOD = "sae_lasso_k"
BASELINE_NAMES = {"pca": "pca_k", "raw_dims": "raw_dims_lasso_k", "kmeans": "kmeans_k"}
CONTROLS = ["random_dictionary_lasso_k", "raw_dims_lasso_k"]
CEILING = "full_embedding_ridge"
REFERENCE_SAE = "hypothesaes_sae_lasso_k"
POOL_USES_UNLABELLED_REST = True
SCOPE = {
    "tests": (
        "whether K SAE neurons, chosen by Lasso on training rows, predict the target on "
        "held-out rows as well as K PCA components, K raw dimensions or K k-means clusters"
    ),
    "does_not_test": (
        "the interpreted hypotheses (natural-language descriptions of the neurons and their "
        "predictiveness), which need a language model; the paper measures those"
    ),
}


def required_packages(spec: Spec) -> list[tuple[str, str]]:
    return [("hypothesaes", m) for m in spec.option("reference_methods")]


def split_test_rows(spec: Spec, ds: Any, split_seed: int) -> np.ndarray:
    if spec.option("target") == "continuous":
        return _random_split(len(ds.y), spec.protocol, split_seed)[2]
    return make_split(ds.y, "normal", spec.protocol, split_seed).test


def hypothesaes_latents(
    pool: np.ndarray, X: np.ndarray, width: int, k: int, seed: int
) -> tuple[np.ndarray, float]:
    """Train HypotheSAEs' SAE on ``pool`` with its quickstart defaults (batch 512, lr 5e-4,
    100 epochs); return X's activations and the in-sample FVE on X."""
    import torch

    from replication.harness import reference

    module = reference.hypothesaes_sae()
    torch.manual_seed(seed)
    model = module.SparseAutoencoder(X.shape[1], width, k, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(
            torch.from_numpy(np.ascontiguousarray(pool, np.float32)),
            batch_size=512,
            learning_rate=5e-4,
            n_epochs=100,
            show_progress=False,
        )
    x = torch.from_numpy(np.ascontiguousarray(X, np.float32))
    with torch.no_grad():
        recon, _ = model(x)
    fve = 1 - float((x - recon).pow(2).sum() / (x - x.mean(0)).pow(2).sum())
    return model.get_activations(X, show_progress=False), fve


def _hypothesaes_select(F: np.ndarray, y: np.ndarray, k: int, continuous: bool) -> np.ndarray:
    from replication.harness import reference

    picked, _ = reference.hypothesaes_selection().select_neurons(
        F, y, k, method="lasso", classification=not continuous
    )
    return np.asarray(picked, dtype=np.int64)


def needs_binary_labels(spec: Spec) -> bool:
    return spec.option("target") == "binary"


def check_dataset(spec: Spec, ds: Any) -> None:
    if spec.option("target") == "continuous" and ds.target is None:
        raise DataError(
            f"dataset {ds.name!r} has no continuous target (task_options.target = 'continuous')"
        )


def lasso_select(Z: np.ndarray, y: np.ndarray, k: int, continuous: bool) -> np.ndarray:
    """The k columns an L1 path keeps first: the weakest penalty with at most ~k non-zeros,
    then the k largest coefficients; ties broken by univariate correlation."""
    from sklearn.linear_model import Lasso, LogisticRegression

    tr = standardise(Z)[0]
    best = np.zeros(Z.shape[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for strength in np.logspace(-3, 1, 9):
            if continuous:
                model = Lasso(alpha=float(1 / strength) * 0.01, max_iter=2000).fit(tr, y)
                coef = model.coef_
            else:
                model = LogisticRegression(
                    penalty="l1", C=float(strength), solver="liblinear", max_iter=500
                )
                coef = model.fit(tr, y).coef_[0]
            best = coef
            if np.count_nonzero(coef) >= k:
                break
    yc = y - y.mean()
    corr = np.abs(tr.T @ yc) / (np.linalg.norm(yc) * np.sqrt(len(y)) + 1e-12)
    key = np.abs(best) + 1e-6 * corr
    return np.argsort(-key, kind="mergesort")[:k]


def _small_model(F: np.ndarray, y: np.ndarray, C: float, continuous: bool) -> Fitted:
    from sklearn.linear_model import LogisticRegression, Ridge

    scale = scaler(F)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if continuous:
            model = Ridge(alpha=1.0 / C).fit(scale(F), y)
            predict = model.predict
        else:
            model = LogisticRegression(C=C, max_iter=500).fit(scale(F), y)
            predict = model.decision_function
    return Fitted(
        lambda A: predict(scale(A)),
        fl.logistic_regression_flops(len(F), F.shape[1]),
        2.0 * F.shape[1],
    )


def k_feature_learner(k: int, choose: bool | str, continuous: bool) -> Learner:
    """K columns (by Lasso on the fit rows when ``choose``, else the first K), then a small
    model; the Lasso choice is redone per fold and recorded as ``features`` after the refit."""
    chosen = FoldCache()

    def learn(config: dict[str, Any], F: np.ndarray, y: np.ndarray) -> Fitted:
        fresh = F not in chosen  # the Lasso path is charged once per fold

        def pick() -> np.ndarray:
            if choose == "hypothesaes":  # the authors' own Lasso neuron selection
                return _hypothesaes_select(F, y, k, continuous)
            return lasso_select(F, y, k, continuous) if choose else np.arange(min(k, F.shape[1]))

        cols = chosen.get(F, pick)
        inner = _small_model(F[:, cols], y, config["C"], continuous)
        lasso_cost = (
            9 * fl.logistic_regression_flops(len(F), F.shape[1]) if choose and fresh else 0.0
        )
        return Fitted(
            lambda A: inner.predict(A[:, cols]),
            inner.flops + lasso_cost,
            inner.flops_per_row,
            info={"features": [int(c) for c in cols]},
        )

    return learn


def significant_features(F: np.ndarray, y: np.ndarray, alpha: float) -> int:
    """Features whose holdout correlation with the target is significant after Bonferroni."""
    from scipy.stats import pearsonr

    count = 0
    for j in range(F.shape[1]):
        if np.std(F[:, j]) < 1e-12:
            continue
        if pearsonr(F[:, j], y).pvalue < alpha / F.shape[1]:
            count += 1
    return count


def _random_split(n: int, proto: Any, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    n_test = min(proto.test_size, n // 3)
    n_val = min(proto.val_size, (n - n_test) // 4)
    n_train = min(proto.train_size, n - n_test - n_val)
    return (
        np.sort(order[n_test + n_val : n_test + n_val + n_train]),
        np.sort(order[n_test : n_test + n_val]),
        np.sort(order[:n_test]),
    )


class _DenseBaselines:
    """PCA and k-means fitted once per SAE fit pool (no test row when inductive); their FLOPs
    are charged to the first seed that fits them."""

    def __init__(self, k: int, seed: int) -> None:
        self.k, self.seed = k, seed
        self._fitted: dict[int, tuple[Any, Any]] = {}

    def fit(self, rows: np.ndarray) -> tuple[Any, Any, dict[str, float]]:
        from sklearn.cluster import KMeans
        from sklearn.decomposition import PCA

        if id(rows) in self._fitted:
            return *self._fitted[id(rows)], {"pca_k": 0.0, "kmeans_k": 0.0}
        pool = rows[:20000]
        pca = PCA(n_components=min(self.k, pool.shape[1], len(pool)), random_state=self.seed)
        kmeans = KMeans(n_clusters=min(self.k, len(pool)), n_init=3, random_state=self.seed)
        self._fitted[id(rows)] = (pca.fit(pool), kmeans.fit(pool))
        # sklearn reports the iterations of the kept initialisation only: n_init times it
        # stands for all of them.
        iterations = kmeans.n_init * int(kmeans.n_iter_)
        return (
            pca,
            kmeans,
            {
                "pca_k": fl.pca_flops(*pool.shape),
                "kmeans_k": fl.kmeans_flops(
                    len(pool), pool.shape[1], kmeans.n_clusters, iterations
                ),
            },
        )

    def features(
        self, rows: np.ndarray, X: np.ndarray, n_rows: int
    ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """Each baseline's K features of X, and what fitting and projecting n_rows cost."""
        pca, kmeans, fit_costs = self.fit(rows)
        features = {"pca_k": pca.transform(X), "kmeans_k": -kmeans.transform(X)}
        costs = {
            "pca_k": fit_costs["pca_k"]
            + fl.projection_flops(n_rows, X.shape[1], pca.n_components_),
            "kmeans_k": fit_costs["kmeans_k"]
            + fl.projection_flops(n_rows, X.shape[1], kmeans.n_clusters),
        }
        return features, costs


@dataclass(frozen=True)
class _SeedRows:
    """One split seed's rows: development (train + validation, tuned by CV) and test."""

    dev: np.ndarray
    test: np.ndarray
    y_dev: np.ndarray
    y_test: np.ndarray
    folds: Any

    @property
    def n_rows(self) -> int:
        return len(self.dev) + len(self.test)


def _seed_rows(ds: Any, target: np.ndarray, continuous: bool, proto: Any, seed: int) -> _SeedRows:
    if continuous:
        tr, va, te = _random_split(len(target), proto, seed)
    else:
        split = make_split(ds.y, "normal", proto, seed)
        tr, va, te = split.train, split.val, split.test
    dev = np.concatenate([tr, va])
    y_dev = target[dev]
    folds = dev_folds(None if continuous else y_dev, len(dev), proto, seed)
    return _SeedRows(dev, te, y_dev, target[te], folds)


@dataclass
class _Methods:
    """What every split seed shares: the settings tried, the metric and K."""

    configs: list[dict[str, Any]]
    metric: Callable[[np.ndarray, np.ndarray], float]
    k: int
    continuous: bool
    alpha: float

    def k_feature_run(
        self, rows: _SeedRows, F: np.ndarray, choose: bool | str, extra_flops: float = 0.0
    ) -> MethodRun:
        """Tune C by CV over the development rows, refit, score on the test rows; record how
        many of the K chosen features are individually significant on the test rows."""
        result = select_cv(
            self.configs,
            k_feature_learner(self.k, choose, self.continuous),
            F[rows.dev],
            rows.y_dev,
            F[rows.test],
            self.metric,
            rows.folds,
        )
        result.flops += extra_flops
        cols = result.config["features"]
        result.extra["n_significant"] = float(
            significant_features(F[rows.test][:, cols], rows.y_test, self.alpha)
        )
        return result

    def ceiling(self, rows: _SeedRows, X: np.ndarray) -> MethodRun:
        def learner(config: dict[str, Any], F: np.ndarray, y: np.ndarray) -> Fitted:
            return _small_model(F, y, config["C"], self.continuous)

        return select_cv(
            self.configs, learner, X[rows.dev], rows.y_dev, X[rows.test], self.metric, rows.folds
        )


def run(ctx: TaskContext) -> TaskOutput:
    spec = ctx.spec
    proto = spec.protocol
    continuous = spec.option("target") == "continuous"
    k = int(spec.option("n_features"))
    dense = _DenseBaselines(k, proto.seed)
    references = list(spec.option("reference_methods"))
    reference_fve: list[float] = []
    baselines = [BASELINE_NAMES[b] for b in spec.baselines]
    methods = _Methods(
        # one draw from the shared C grid, the same settings for every method
        configs=budgeted_grid(
            {"C": C_GRID}, proto.tuning_budget, np.random.default_rng(proto.seed)
        ),
        metric=(lambda y, s: float(r2_rows(y, s)[0])) if continuous else auroc_metric,
        k=k,
        continuous=continuous,
        alpha=proto.alpha,
    )
    cells: list[Cell] = []
    total = len(ctx.datasets) * proto.split_seeds
    done = 0
    for d_index, ds in enumerate(ctx.datasets):
        target = ds.target if continuous else ds.y
        if target is None:  # a continuous task's loader always sets it
            raise DataError(f"dataset {ds.name!r} has no continuous target")
        n_sae = min(len(ctx.saes), proto.split_seeds)
        latents = [ctx.latents(i, ds.X) for i in range(n_sae)]
        random_latents = [ctx.latents(i, ds.X, random=True) for i in range(n_sae)]
        cell = Cell(regime="normal", dataset=ds.name)
        for s in range(proto.split_seeds):
            seed = ctx.split_seed(d_index, s)
            rows = _seed_rows(ds, target, continuous, proto, seed)
            features, feature_costs = dense.features(ctx.fit_pool(s), ds.X, rows.n_rows)
            sae_i = ctx.sae_for_seed(s)
            encode = fl.sae_encode_flops(ds.X.shape[1], ctx.width, rows.n_rows)
            cell.add(SAE_METHOD, methods.k_feature_run(rows, latents[sae_i], True, encode))
            cell.add(CONTROLS[0], methods.k_feature_run(rows, random_latents[sae_i], True, encode))
            if "hypothesaes" in references:
                H, fve = hypothesaes_latents(
                    ctx.fit_pool(s), ds.X, ctx.width, ctx.saes[sae_i].k, seed
                )
                reference_fve.append(fve)
                cell.add(REFERENCE_SAE, methods.k_feature_run(rows, H, "hypothesaes", encode))
            cell.add("raw_dims_lasso_k", methods.k_feature_run(rows, ds.X, True))
            for name in baselines:
                if name != "raw_dims_lasso_k":
                    cell.add(
                        name,
                        methods.k_feature_run(rows, features[name], False, feature_costs[name]),
                    )
            cell.add(CEILING, methods.ceiling(rows, ds.X))
            cell.labels.append(np.asarray(rows.y_test))
            cell.groups.append(None)
            cell.test_ids.append(np.asarray(rows.test))
            done += 1
            ctx.progress(done / total, f"hypothesis predictivity: {ds.name} / seed {s}")
        cells.append(cell)
    return _output(
        spec, k, continuous, baselines, references, reference_fve, methods.configs, cells
    )


def _output(
    spec: Spec,
    k: int,
    continuous: bool,
    baselines: list[str],
    references: list[str],
    reference_fve: list[float],
    configs: list[dict[str, Any]],
    cells: list[Cell],
) -> TaskOutput:
    sae_methods = [SAE_METHOD] + ([REFERENCE_SAE] if "hypothesaes" in references else [])
    notes: dict[str, Any] = {}
    if reference_fve:
        notes["hypothesaes_sae_fve_on_labelled_rows"] = float(np.mean(reference_fve))
    return TaskOutput(
        metric="r2" if continuous else "auroc",
        sae_methods=sae_methods,
        baselines=baselines,
        controls=CONTROLS,
        ceilings=[CEILING],
        cells=cells,
        notes={
            "n_features": k,
            "target": spec.option("target"),
            # every method (the ceiling too) tries the same C values on its K features
            "grids": {"every method": {"axes": {"C": C_GRID}, "size": len(C_GRID)}},
            "settings_tried": configs,
            **notes,
        },
    )
