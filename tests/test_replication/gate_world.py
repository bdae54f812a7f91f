"""Planted sparse data for the SAE quality gate's tests and benchmark (issue 24).

Each row is a sparse non-negative combination of ``active`` atoms out of ``n_atoms`` plus a
little Gaussian noise. ``isotropic``: 16 d atoms drawn uniformly on the sphere, so the rows'
covariance is close to a multiple of the identity and rank-k PCA explains little more than
k / d of it (the case where "beat PCA" passes a random dictionary). ``structured``: 2 d atoms
drawn from a Gaussian whose covariance falls off as 1 / i over the dimensions, a few of them
frequent, so PCA has a strong low-rank part to find.
"""

from __future__ import annotations

import numpy as np

KINDS = ("isotropic", "structured")


def planted_pool(
    kind: str,
    *,
    n: int = 4000,
    d: int = 64,
    n_atoms: int = 0,
    active: int = 4,
    noise: float = 0.05,
    seed: int = 0,
) -> np.ndarray:
    """``n`` planted rows of dimension ``d`` (float32); ``n_atoms`` 0: the kind's default."""
    if kind not in KINDS:
        raise ValueError(f"unknown planted kind {kind!r}; one of {', '.join(KINDS)}")
    rng = np.random.default_rng(seed)
    n_atoms = n_atoms or (16 * d if kind == "isotropic" else 2 * d)
    if kind == "isotropic":
        atoms = rng.normal(size=(n_atoms, d))
        frequency = np.full(n_atoms, 1.0 / n_atoms)
    else:
        atoms = rng.normal(size=(n_atoms, d)) / np.sqrt(np.arange(1, d + 1))
        frequency = 1.0 / np.arange(1, n_atoms + 1) ** 0.8
        frequency /= frequency.sum()
    atoms /= np.linalg.norm(atoms, axis=1, keepdims=True)
    which = np.stack([rng.choice(n_atoms, active, replace=False, p=frequency) for _ in range(n)])
    magnitude = rng.exponential(1.0, size=(n, active)) + 0.5
    X = np.einsum("na,nad->nd", magnitude, atoms[which])
    return (X + noise * rng.normal(size=X.shape)).astype(np.float32)


CASES = ("random dictionary", "1 step", "trained")


def case_report(kind: str, case: str, *, seed: int = 0, n: int = 4000) -> dict:
    """The training report the gate reads, for one planted ``kind`` and one SAE ``case``:
    a random dictionary (never trained), an SAE after one Adam step, or a trained SAE
    (width 256, k 8, the harness's sized number of steps). Every case is scored on the same held-out rows."""
    import torch

    from replication.harness.sae import _split_rows, evaluate_sae, random_dictionary, train_sae
    from replication.harness.spec import SAESpec

    pool = planted_pool(kind, n=n, seed=seed)
    # the planted runs: width 256, k 8 (rank-8 PCA explains about 8 / 64 of isotropic rows)
    cfg = SAESpec(width=256, k=8, steps=0 if case == "trained" else 1)
    model, report = train_sae(pool, cfg, seed=seed)
    out = report.as_dict()
    if case == "random dictionary":
        # the same held-out rows train_sae scored (its first draw from a generator at seed)
        eval_x, _ = _split_rows(
            torch.from_numpy(pool), cfg, torch.Generator().manual_seed(seed), 2048
        )
        control = random_dictionary(
            model.d_in,
            model.d_sae,
            model.k,
            seed=10_000 + seed,
            scale=model.scaling_factor,
            centre=pool.mean(0),
        )
        out["fve"], out["l0"], out["dead_fraction"] = evaluate_sae(control, eval_x)
    return out
