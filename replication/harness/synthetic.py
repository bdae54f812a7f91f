"""Activations from a known sparse dictionary, for testing that the harness can find a win.

Every row is a non-negative sparse combination of unit-norm atoms in ``dim`` dimensions
plus a little Gaussian noise. Two labellings:

- ``sparse_atom``: the label is whether atom 0 is present (an SAE can recover it as one latent);
- ``dense_direction``: the label is the sign of a random dense direction (no single latent).

Each dataset also carries a large unlabelled pool drawn the same way, for SAE training.
"""

from __future__ import annotations

import numpy as np

KINDS = ("sparse_atom", "dense_direction")


def sparse_code_rows(
    rng: np.random.Generator,
    atoms: np.ndarray,
    n: int,
    active: int,
    atom0_rate: float = 0.1,
    force_atom0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    n_atoms, dim = atoms.shape
    codes = np.zeros((n, n_atoms), dtype=np.float32)
    for i in range(n):
        chosen = rng.choice(np.arange(1, n_atoms), size=active, replace=False)
        codes[i, chosen] = rng.uniform(0.5, 1.5, size=active)
    if force_atom0 is None:
        force_atom0 = rng.random(n) < atom0_rate
    codes[force_atom0, 0] = rng.uniform(0.5, 1.5, size=int(force_atom0.sum()))
    x = codes @ atoms + rng.normal(0, 0.02, size=(n, dim)).astype(np.float32)
    return x.astype(np.float32), codes


def make_synthetic(
    kind: str,
    n_rows: int,
    *,
    seed: int = 0,
    dim: int = 128,
    n_atoms: int = 512,
    active: int = 8,
    pool_rows: int = 20000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (X, y, pool): labelled rows, their labels, and an unlabelled pool."""
    if kind not in KINDS:
        raise ValueError(f"unknown synthetic dataset {kind!r} (known: {', '.join(KINDS)})")
    rng = np.random.default_rng(seed)
    atoms = rng.normal(size=(n_atoms, dim)).astype(np.float32)
    atoms /= np.linalg.norm(atoms, axis=1, keepdims=True)
    if kind == "sparse_atom":
        y = (np.arange(n_rows) % 2).astype(np.int64)
        rng.shuffle(y)
        x, _ = sparse_code_rows(rng, atoms, n_rows, active, force_atom0=y.astype(bool))
    else:
        x, _ = sparse_code_rows(rng, atoms, n_rows, active)
        direction = rng.normal(size=dim).astype(np.float32)
        proj = x @ direction
        y = (proj > np.median(proj)).astype(np.int64)
    pool, _ = sparse_code_rows(rng, atoms, pool_rows, active)
    return x, y, pool
