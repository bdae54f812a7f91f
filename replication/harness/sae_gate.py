"""The SAE quality gate's reference: what any trained SAE must beat, on any data.

Held-out FVE against rank-k PCA alone cannot fail a useless SAE where the data have no
low-rank structure: on isotropic planted data rank-k PCA explains about k / d of the variance,
and a random dictionary (random unit-norm atoms, tied encoder, top-k) explains more. The
reference here is the best a dictionary can do *without learning its encoder*: random
unit-norm encoder directions at the SAE's width and k (top-k of the centred inputs' projections,
ReLU), with the decoder and bias fitted by least squares on the SAE's own training rows. The
decoder is optimal for those codes, so an SAE whose encoder learned nothing (a random
dictionary, an SAE trained for a step or two) scores at or below it on held-out rows, whatever
the data; an SAE that learned directions the data use scores above it.

PCA at an equal parameter count is not used: an SAE of width >= d / 2 has at least d * d
parameters, so equal-parameter PCA is full rank and explains everything -- a bar no SAE clears.

What the gate cannot see (:data:`CANNOT_SEE`): whether a concept the task needs has a latent
of its own. An SAE can explain more variance than the reference while splitting, merging or
missing the one direction a probe or steering vector needs.
"""

from __future__ import annotations

import math
from typing import Any

import torch

REFERENCE = (
    "random encoder at the SAE's width and k (random unit-norm directions, top-k of the "
    "centred inputs' projections) with a least-squares decoder fitted on the SAE's training rows"
)
CANNOT_SEE = (
    "whether a concept the task needs has a latent of its own: an SAE can beat the reference "
    "on reconstruction while missing, splitting or merging the one direction the task uses "
    "(held-out FVE is a property of the whole dictionary, not of any latent)"
)
#: training rows the reference's decoder is fitted on, at most
MAX_FIT_ROWS = 20_000


def random_codes(
    x: torch.Tensor, encoder: torch.Tensor, centre: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(values, indices) of the top-k ReLU'd projections of ``x - centre`` on ``encoder``."""
    values, indices = torch.topk((x - centre) @ encoder, k, dim=-1, sorted=False)
    return values.relu(), indices


def sparse_codes(values: torch.Tensor, indices: torch.Tensor, width: int) -> torch.Tensor:
    """The [n, width] code matrix of top-k (values, indices), as a sparse tensor."""
    n, k = indices.shape
    rows = torch.arange(n, device=indices.device).repeat_interleave(k)
    coo = torch.sparse_coo_tensor(
        torch.stack([rows, indices.flatten()]), values.flatten(), (n, width), check_invariants=True
    )
    return coo.coalesce()


def fit_decoder(
    codes: torch.Tensor, x: torch.Tensor, *, iterations: int = 200, tol: float = 1e-4
) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-squares (decoder [width, d], bias [d]) with ``codes @ decoder + bias ~ x``.

    Conjugate gradients on the centred normal equations, every column at once (a tiny ridge
    keeps latents that never fire at zero); O(n k d) per iteration, no width x width matrix.
    Centring Z costs nothing: Zc.T Zc v = Z.T (Z v - mean(Z) v), and Zc.T xc = Z.T xc.
    """
    n, width = codes.shape
    codes_t = codes.t().coalesce()
    z_mean = (codes_t @ x.new_ones((n, 1))).squeeze(1) / n
    x_mean = x.mean(0)
    ridge = 1e-6 * float((codes_t @ (codes @ x.new_ones((width, 1)))).sum()) / width + 1e-12

    def normal(v: torch.Tensor) -> torch.Tensor:
        return codes_t @ (codes @ v - z_mean @ v) + ridge * v

    rhs = codes_t @ (x - x_mean)
    dec = torch.zeros_like(rhs)
    residual, direction = rhs.clone(), rhs.clone()
    rs = residual.pow(2).sum(0)
    stop = tol**2 * rs.clamp(min=1e-30)
    for _ in range(iterations):
        a_dir = normal(direction)
        alpha = rs / (direction * a_dir).sum(0).clamp(min=1e-30)
        dec += alpha * direction
        residual -= alpha * a_dir
        rs_new = residual.pow(2).sum(0)
        if bool((rs_new <= stop).all()):
            break
        direction = residual + (rs_new / rs.clamp(min=1e-30)) * direction
        rs = rs_new
    return dec, x_mean - z_mean @ dec


@torch.no_grad()
def random_encoder_fve(
    train: torch.Tensor,
    held_out: torch.Tensor,
    width: int,
    k: int,
    *,
    seed: int,
    device: str = "cpu",
) -> float | None:
    """Held-out FVE of the gate's reference (:data:`REFERENCE`); None without rows to use.
    The encoder depends only on ``seed`` (drawn on the CPU), not on ``device``."""
    if len(train) < 2 or len(held_out) < 2 or width <= 0 or k <= 0:
        return None
    train = train[:MAX_FIT_ROWS].float().to(device)
    x = held_out.float().to(device)
    generator = torch.Generator().manual_seed(seed)
    encoder = torch.randn(train.shape[1], width, generator=generator).to(device)
    encoder /= encoder.norm(dim=0, keepdim=True)
    centre = train.mean(0)
    k = min(k, width)
    dec, bias = fit_decoder(sparse_codes(*random_codes(train, encoder, centre, k), width), train)
    recon = sparse_codes(*random_codes(x, encoder, centre, k), width) @ dec + bias
    total = float((x - x.mean(0)).pow(2).sum())
    return 1.0 - float((x - recon).pow(2).sum()) / total if total > 0 else None


def per_sae_failures(reports: list[dict[str, Any]], min_gain: float) -> list[str]:
    """One failure per SAE whose held-out FVE is not ``min_gain`` above its reference's."""
    problems = []
    for i, report in enumerate(reports):
        fve, ref = report.get("fve"), report.get("random_fve")
        if ref is None:
            continue
        if fve is None or not math.isfinite(fve) or fve - ref < min_gain:
            problems.append(
                f"SAE {i} (seed {report.get('seed')}): held-out FVE {_num(fve)} does not beat "
                f"the random-encoder reference's {ref:.3f} by sae.min_fve_gain_vs_random "
                f"{min_gain}"
            )
    return problems


def _num(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.3f}"


def per_sae_table(reports: list[dict[str, Any]], min_gain: float) -> list[dict[str, Any]]:
    """results.json's per-SAE gate rows: FVE, both references, the gain and pass/fail."""
    rows = []
    for i, report in enumerate(reports):
        fve, ref = report.get("fve"), report.get("random_fve")
        gain = None if fve is None or ref is None else float(fve - ref)
        rows.append(
            {
                "sae": i,
                "seed": report.get("seed"),
                "fve": fve,
                "random_fve": ref,
                "pca_fve": report.get("pca_fve"),
                "gain_vs_random": gain,
                "dead_fraction": report.get("dead_fraction"),
                "passed": None if gain is None else bool(gain >= min_gain and math.isfinite(gain)),
            }
        )
    return rows


def gate_reference(reports: list[dict[str, Any]], cfg: Any) -> dict[str, Any]:
    """The new keys of results.json's ``sae.quality_gate``: the reference, its threshold, one
    row per SAE, and what the gate cannot see. A loaded checkpoint has no reference (the rows
    it was trained on are not here to fit the reference's decoder on)."""
    rows = per_sae_table(reports, cfg.min_fve_gain_vs_random)
    measured = [r for r in rows if r["passed"] is not None]
    return {
        "min_fve_gain_vs_random": cfg.min_fve_gain_vs_random,
        "reference": REFERENCE,
        "per_sae": rows,
        "saes_beating_reference": sum(bool(r["passed"]) for r in measured),
        "saes_measured": len(measured),
        "cannot_see": CANNOT_SEE,
    }
