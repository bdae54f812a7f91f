"""The FLOP formulas against hand-computed values (multiply-adds count as 2)."""

from __future__ import annotations

import pytest

from replication.harness import flops as fl

pytestmark = pytest.mark.harness


@pytest.mark.parametrize(
    ("formula", "args", "expected"),
    [
        # k-means: 2 x rows x dims x clusters per iteration
        (fl.kmeans_flops, (100, 10, 4, 5), 40_000.0),
        (fl.kmeans_flops, (1000, 384, 8, 30), 184_320_000.0),
        (fl.kmeans_flops, (200, 16, 4), 1_280_000.0),  # 50 iterations unless told
        # PCA fit: 2 x rows x dims x min(rows, dims) + 2 dims^3 / 3
        (fl.pca_flops, (100, 10), 20_000.0 + 2_000.0 / 3),
        (fl.pca_flops, (5, 10), 500.0 + 2_000.0 / 3),  # fewer rows than dims
        # a projection onto 3 components, or distances to 3 centres
        (fl.projection_flops, (64, 10, 3), 3_840.0),
    ],
)
def test_a_formula_gives_the_hand_computed_count(formula, args, expected):
    assert formula(*args) == pytest.approx(expected)
