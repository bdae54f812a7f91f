"""FLOP estimates (multiply-adds count as 2): what the code does, not nominal model FLOPs.

They let a reader check the market's rule that 10% of SAE training compute counts against
a method's budget. Estimates are rough for scikit-learn solvers (iteration counts vary).
"""

from __future__ import annotations


def sae_training_flops(d_in: int, width: int, architecture: str, k: int, samples: int) -> float:
    """Per sample. TopK: a dense encoder forward (2 d W), then sparse work on the k selected
    latents only: encoder weight and bias gradients (2 k d), decoder forward and its weight and
    value gradients (6 k d). Other architectures: dense encoder forward and weight gradient
    (4 d W) and dense decoder forward, weight and activation gradients (6 W d)."""
    if architecture == "topk":
        return float(samples) * (2.0 * d_in * width + 8.0 * k * d_in)
    encoder = 4.0 * d_in * width
    decoder = 6.0 * width * d_in
    return float(samples) * (encoder + decoder)


def sae_encode_flops(d_in: int, width: int, rows: int) -> float:
    return 2.0 * d_in * width * rows


def logistic_regression_flops(rows: int, dims: int, iterations: int = 100) -> float:
    """lbfgs: a forward and a gradient pass per iteration."""
    return 4.0 * rows * dims * iterations


def pca_flops(rows: int, dims: int) -> float:
    """Fitting PCA on rows x dims: the covariance or SVD (2 n d min(n, d)) and the
    eigendecomposition (2 d^3 / 3)."""
    return 2.0 * rows * dims * min(rows, dims) + 2.0 * dims**3 / 3


def projection_flops(rows: int, dims: int, components: int) -> float:
    """Projecting rows onto components (a fitted PCA's transform), or their distances to
    that many centres (a fitted k-means' transform): one multiply-add per (row, dim, column)."""
    return 2.0 * rows * dims * components


def knn_flops(train_rows: int, query_rows: int, dims: int) -> float:
    return 2.0 * train_rows * query_rows * dims


def mahalanobis_flops(rows: int, dims: int, query_rows: int) -> float:
    return 2.0 * rows * dims * dims + 2.0 * dims**3 / 3 + 2.0 * query_rows * dims * dims


def isolation_forest_flops(rows: int, n_estimators: int, query_rows: int) -> float:
    return 10.0 * n_estimators * (rows + query_rows) * 8


def kmeans_flops(rows: int, dims: int, clusters: int, iterations: int = 50) -> float:
    """Fitting k-means (Lloyd): every row's distance to every centre, per iteration; with
    several initialisations, ``iterations`` is their total."""
    return 2.0 * rows * dims * clusters * iterations
