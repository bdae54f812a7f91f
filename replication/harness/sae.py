"""Sparse autoencoders in torch: TopK, BatchTopK, ReLU with L1, and JumpReLU.

All four share SAELens's parameter names and shapes (``W_enc`` [d_in, d_sae], ``b_enc``,
``W_dec`` [d_sae, d_in], ``b_dec``, plus ``threshold`` for JumpReLU), a unit-norm decoder
(rows renormalised after every step, with the gradient component along each row removed),
Adam, and an auxiliary loss that asks dead latents to explain the residual (AuxK,
Gao et al. 2024). TopK decodes sparsely (``embedding_bag`` over the k active rows), so the
decoder costs O(k d) per row instead of O(width d). On CUDA the forward pass runs under
bf16 autocast.

Checkpoints are written in SAELens's layout (``sae_weights.safetensors`` + ``cfg.json``)
and :func:`load_sae` reads SAELens-format folders (architectures standard/relu, topk,
batchtopk, jumprelu).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from replication.harness.device import autocast
from replication.harness.errors import DataError
from replication.harness.flops import sae_training_flops
from replication.harness.sae_gate import per_sae_failures, random_encoder_fve
from replication.harness.spec import SAESpec

JUMPRELU_BANDWIDTH = 0.001

# --- sizing ----------------------------------------------------------------------------------

#: The sized default keeps at least this many pool rows per latent ...
ROWS_PER_LATENT = 8
#: ... and a spec's own width is refused below this many (token-level pools, as in steering,
#: train good 1,024-wide SAEs on about 5,000 rows).
MIN_ROWS_PER_LATENT = 2
SIZING_RULE = (
    "width = 64 * (rows / 1000) ** 0.6 and k = 4 * (rows / 1000) ** 0.3, each rounded to a "
    "power of two (width 16..16384, k 2..64; HypotheSAEs' M=64/K=4 at 1k texts, M=256/K=8 "
    "at 10k, M=1024 at 100k); steps = 100 epochs of the pool (200..3000); at most one latent "
    f"per {ROWS_PER_LATENT} training rows; a spec's own width is refused above one latent per "
    f"{MIN_ROWS_PER_LATENT} rows"
)


def _power_of_two(value: float, low: int, high: int) -> int:
    return int(min(high, max(low, 2 ** round(math.log2(max(value, 1e-9))))))


def sized_defaults(n_rows: int, batch_size: int) -> tuple[int, int, int]:
    """(width, k, steps) for an SAE trained on ``n_rows`` pool rows (:data:`SIZING_RULE`)."""
    scale = max(n_rows, 1) / 1000
    width = _power_of_two(64 * scale**0.6, 16, 16384)
    width = min(width, max(16, 2 ** int(math.log2(max(n_rows // ROWS_PER_LATENT, 1)))))
    k = min(_power_of_two(4 * scale**0.3, 2, 64), width)
    steps = int(min(3000, max(200, 100 * math.ceil(n_rows / max(batch_size, 1)))))
    return width, k, steps


def resolve_sae_spec(cfg: SAESpec, n_rows: int) -> SAESpec:
    """Fill sized defaults into width, k and steps; refuse an SAE wider than its pool allows."""
    width, k, steps = sized_defaults(n_rows, cfg.batch_size)
    limit = max(1, n_rows // MIN_ROWS_PER_LATENT)
    if cfg.width and cfg.width > limit:
        raise DataError(
            f"sae.width {cfg.width} is wider than the pool allows: {n_rows} training rows support "
            f"at most {limit} latents ({MIN_ROWS_PER_LATENT} rows per latent). Remove sae.width "
            f"and sae.k to use the sized default (width {width}, k {k}), or add unlabelled rows."
        )
    resolved_width = cfg.width or width
    resolved_k = cfg.k or min(k, resolved_width)
    if cfg.architecture in ("topk", "batchtopk") and resolved_k > resolved_width:
        raise DataError(f"sae.k {resolved_k} exceeds the SAE width {resolved_width}")
    return replace(cfg, width=resolved_width, k=resolved_k, steps=cfg.steps or steps)


def quality_failures(reports: list[dict[str, Any]], cfg: SAESpec) -> list[str]:
    """Why the SAEs fail the spec's quality gate: mean held-out FVE (absolute, and against
    rank-k PCA on the same rows), mean dead fraction, and each SAE's held-out FVE against the
    random-encoder reference on its own rows (:mod:`replication.harness.sae_gate`)."""
    fves = [r["fve"] for r in reports if r.get("fve") is not None]
    pcas = [r["pca_fve"] for r in reports if r.get("pca_fve") is not None]
    deads = [r["dead_fraction"] for r in reports if r.get("dead_fraction") is not None]
    problems = []
    fve = float(np.mean(fves)) if fves else float("nan")
    if fves and (not math.isfinite(fve) or fve < cfg.min_fve):
        problems.append(f"held-out FVE {fve:.3f} < sae.min_fve {cfg.min_fve}")
    # 0 switches the PCA comparison off (an FVE can be negative: never below 0 x PCA's)
    if fves and pcas and cfg.min_fve_vs_pca > 0 and fve < cfg.min_fve_vs_pca * np.mean(pcas):
        problems.append(
            f"held-out FVE {fve:.3f} < {cfg.min_fve_vs_pca} x rank-k PCA's {np.mean(pcas):.3f} "
            "(sae.min_fve_vs_pca)"
        )
    if deads and np.mean(deads) > cfg.max_dead_fraction:
        problems.append(
            f"dead fraction {np.mean(deads):.3f} > sae.max_dead_fraction {cfg.max_dead_fraction}"
        )
    if cfg.min_fve_gain_vs_random >= 0:
        problems += per_sae_failures(reports, cfg.min_fve_gain_vs_random)
    return problems


class _Step(torch.autograd.Function):
    """Heaviside step with a rectangle-kernel straight-through gradient for the threshold."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, threshold)
        return (x > threshold).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[None, torch.Tensor]:
        x, threshold = ctx.saved_tensors
        window = ((x - threshold).abs() < JUMPRELU_BANDWIDTH / 2).to(grad.dtype)
        return None, (-(1.0 / JUMPRELU_BANDWIDTH) * window * grad).sum(0)


class _JumpReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, threshold)
        return x * (x > threshold).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, threshold = ctx.saved_tensors
        window = ((x - threshold).abs() < JUMPRELU_BANDWIDTH / 2).to(grad.dtype)
        grad_x = (x > threshold).to(grad.dtype) * grad
        grad_t = (-(threshold / JUMPRELU_BANDWIDTH) * window * grad).sum(0)
        return grad_x, grad_t


class _TopKEncode(torch.autograd.Function):
    """TopK encoder with a sparse backward pass.

    Forward: one dense matmul for the pre-activations, then top-k (and, when dead latents
    exist, a second top-k restricted to them for the auxiliary loss). Backward: only the
    selected entries carry gradient, so the encoder weight gradient is a scatter of k rows
    per input (an ``embedding_bag`` backward) instead of a second dense matmul.
    """

    @staticmethod
    def forward(
        ctx: Any,
        x: torch.Tensor,
        W_enc: torch.Tensor,
        b_enc: torch.Tensor,
        b_dec: torch.Tensor,
        k: int,
        dead: torch.Tensor | None,
        k_aux: int,
    ) -> tuple[torch.Tensor, ...]:
        xc = x - b_dec
        pre = torch.addmm(b_enc, xc, W_enc)
        values, indices = torch.topk(pre, k, dim=-1, sorted=False)
        values = values.relu().to(x.dtype)  # fp32 even under bf16 autocast
        if dead is not None:
            aux_values, aux_indices = torch.topk(
                pre.masked_fill_(~dead, float("-inf")), k_aux, dim=-1, sorted=False
            )
            aux_values = aux_values.relu().to(x.dtype)
        else:
            aux_values = values.new_zeros((x.shape[0], 0))
            aux_indices = indices.new_zeros((x.shape[0], 0))
        ctx.save_for_backward(xc, W_enc, indices, values, aux_indices, aux_values)
        ctx.mark_non_differentiable(indices, aux_indices)
        return values, indices, aux_values, aux_indices

    @staticmethod
    def backward(
        ctx: Any, g_values: torch.Tensor, _g_idx: Any, g_aux: torch.Tensor | None, _g_aux_idx: Any
    ) -> tuple[Any, ...]:
        xc, W_enc, indices, values, aux_indices, aux_values = ctx.saved_tensors
        grad = g_values * (values > 0)
        idx = indices
        if aux_indices.shape[1] and g_aux is not None:
            grad = torch.cat([grad, g_aux * (aux_values > 0)], dim=1)
            idx = torch.cat([indices, aux_indices], dim=1)
        grad = grad.contiguous()
        with torch.enable_grad():
            weight = W_enc.detach().t().contiguous().requires_grad_()
            gathered = F.embedding_bag(
                idx, weight, per_sample_weights=grad.to(weight.dtype), mode="sum"
            )
            (grad_w,) = torch.autograd.grad(gathered, weight, grad_outputs=xc.to(weight.dtype))
        grad_b_enc = torch.zeros(W_enc.shape[1], dtype=grad.dtype, device=grad.device)
        grad_b_enc.index_add_(0, idx.flatten(), grad.flatten())
        return (
            None,
            grad_w.t().contiguous(),
            grad_b_enc,
            -gathered.detach().sum(0),
            None,
            None,
            None,
        )


class SAE(nn.Module):
    """One sparse autoencoder; ``architecture`` is topk, batchtopk, relu or jumprelu."""

    inference_threshold: torch.Tensor  # a registered buffer

    def __init__(
        self,
        d_in: int,
        d_sae: int,
        architecture: str = "topk",
        k: int = 0,
        jumprelu_init_threshold: float = 0.01,
        scaling_factor: float = 1.0,
    ) -> None:
        super().__init__()
        self.d_in, self.d_sae, self.architecture, self.k = d_in, d_sae, architecture, k
        self.scaling_factor = scaling_factor
        w = torch.randn(d_in, d_sae)
        w /= w.norm(dim=0, keepdim=True)
        self.W_dec = nn.Parameter(w.T.contiguous().clone())
        self.W_enc = nn.Parameter(w.clone())
        self.b_enc = nn.Parameter(torch.zeros(d_sae))
        self.b_dec = nn.Parameter(torch.zeros(d_in))
        if architecture == "jumprelu":
            self.log_threshold = nn.Parameter(
                torch.full((d_sae,), math.log(jumprelu_init_threshold))
            )
        # a batchtopk SAE switches to a learned global threshold at inference
        self.register_buffer("inference_threshold", torch.tensor(-1.0))

    # --- encoding -----------------------------------------------------------------------------

    def pre_acts(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.b_dec) @ self.W_enc + self.b_enc

    def encode_sparse(
        self, pre: torch.Tensor, k: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        values, indices = torch.topk(pre, k or self.k, dim=-1, sorted=False)
        return F.relu(values), indices

    def activations(self, pre: torch.Tensor, *, training: bool = False) -> torch.Tensor:
        """Dense latent activations for the non-TopK architectures (and for inference)."""
        if self.architecture == "topk":
            values, indices = self.encode_sparse(pre)
            return torch.zeros_like(pre).scatter(-1, indices, values)
        if self.architecture == "batchtopk":
            if training or float(self.inference_threshold) < 0:
                acts = F.relu(pre)
                flat = acts.flatten()
                keep = min(flat.numel(), self.k * pre.shape[0])
                threshold = torch.topk(flat, keep, sorted=False).values.min()
                return acts * (acts >= threshold).to(acts.dtype) * (acts > 0).to(acts.dtype)
            return F.relu(pre) * (pre > self.inference_threshold).to(pre.dtype)
        if self.architecture == "relu":
            return F.relu(pre)
        if self.architecture == "jumprelu":
            return _JumpReLU.apply(F.relu(pre), self.log_threshold.exp())
        raise ValueError(f"unknown architecture {self.architecture!r}")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Dense latents of raw (unscaled) inputs."""
        return self.activations(self.pre_acts(x * self.scaling_factor))

    def decode(self, acts: torch.Tensor) -> torch.Tensor:
        return acts @ self.W_dec + self.b_dec

    def decode_sparse(self, values: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        return (
            F.embedding_bag(
                indices, self.W_dec, per_sample_weights=values.to(self.W_dec.dtype), mode="sum"
            )
            + self.b_dec
        )

    # --- training -----------------------------------------------------------------------------

    def loss(
        self,
        x: torch.Tensor,
        *,
        l1_coefficient: float,
        aux_coefficient: float,
        dead: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(total loss, per-latent fired mask for this batch, reconstruction MSE)."""
        k_aux = 0
        if dead is not None and aux_coefficient > 0 and bool(dead.any()):
            k_aux = min(int(dead.sum()), max(1, self.d_in // 2))
        else:
            dead = None
        if self.architecture == "topk":
            values, indices, aux_values, aux_indices = _TopKEncode.apply(
                x, self.W_enc, self.b_enc, self.b_dec, self.k, dead, k_aux
            )
            recon = self.decode_sparse(values, indices)
            fired = torch.zeros(self.d_sae, dtype=torch.bool, device=x.device)
            fired.index_fill_(0, indices.flatten(), True)
            residual = x - recon
            mse = residual.pow(2).sum(-1).mean()
            if k_aux:
                total = mse + aux_coefficient * self._aux_loss(aux_values, aux_indices, residual)
            else:
                total = mse
            return total, fired, mse
        pre = self.pre_acts(x)
        acts = self.activations(pre, training=True)
        recon = self.decode(acts)
        fired = (acts > 0).any(dim=0)
        if self.architecture == "relu":
            sparsity = l1_coefficient * acts.sum(-1).mean()
        elif self.architecture == "jumprelu":
            sparsity = (
                l1_coefficient * _Step.apply(F.relu(pre), self.log_threshold.exp()).sum(-1).mean()
            )
        else:
            sparsity = recon.new_zeros(())
        residual = x - recon
        mse = residual.pow(2).sum(-1).mean()
        total = mse + sparsity
        if k_aux:
            assert dead is not None
            aux_values, aux_indices = torch.topk(
                pre.masked_fill(~dead, float("-inf")), k_aux, dim=-1, sorted=False
            )
            total = total + aux_coefficient * self._aux_loss(
                F.relu(aux_values), aux_indices, residual
            )
        return total, fired, mse

    def _aux_loss(
        self, values: torch.Tensor, indices: torch.Tensor, residual: torch.Tensor
    ) -> torch.Tensor:
        """AuxK: the dead latents' top activations should reconstruct the current residual."""
        aux_recon = F.embedding_bag(
            indices, self.W_dec, per_sample_weights=values.to(self.W_dec.dtype), mode="sum"
        )
        target = residual.detach()
        denom = (target - target.mean(0)).pow(2).sum(-1).mean().clamp(min=1e-8)
        return torch.nan_to_num((aux_recon - target).pow(2).sum(-1).mean() / denom, nan=0.0)

    @torch.no_grad()
    def normalise_decoder(self) -> None:
        self.W_dec.data /= self.W_dec.data.norm(dim=1, keepdim=True).clamp(min=1e-8)

    @torch.no_grad()
    def remove_parallel_grad(self) -> None:
        if self.W_dec.grad is None:
            return
        w = self.W_dec.data
        self.W_dec.grad -= (self.W_dec.grad * w).sum(1, keepdim=True) * w

    def config(self) -> dict[str, Any]:
        """A SAELens-compatible cfg.json."""
        cfg: dict[str, Any] = {
            "architecture": {"relu": "standard"}.get(self.architecture, self.architecture),
            "d_in": self.d_in,
            "d_sae": self.d_sae,
            "dtype": "float32",
            "device": "cpu",
            "apply_b_dec_to_input": True,
            "normalize_activations": "none",
            "scaling_factor": self.scaling_factor,
            "harness_architecture": self.architecture,
        }
        if self.architecture in ("topk", "batchtopk"):
            cfg["k"] = self.k
        if self.architecture == "batchtopk":
            cfg["inference_threshold"] = float(self.inference_threshold)
        return cfg


# --- training loop ---------------------------------------------------------------------------


@dataclass
class TrainReport:
    seed: int
    steps: int
    samples: int
    wall_seconds: float
    samples_per_second: float
    flops: float
    fve: float
    l0: float
    dead_fraction: float
    final_mse: float
    train_rows: int = 0
    eval_rows: int = 0
    pca_fve: float | None = None  # rank-k PCA fit on the training rows, on the same held-out rows
    #: the gate's reference (sae_gate.REFERENCE) on the same training and held-out rows
    random_fve: float | None = None

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def _input_scale(x: torch.Tensor) -> float:
    """Scale so the mean squared norm of inputs is d_in (SAELens's 'expected_average_only_in')."""
    mean_sq = float(x.pow(2).sum(-1).mean())
    return math.sqrt(x.shape[1] / mean_sq) if mean_sq > 0 else 1.0


def _as_tensor(pool: np.ndarray | torch.Tensor) -> torch.Tensor:
    if isinstance(pool, np.ndarray):
        if not np.all(np.isfinite(pool)):
            raise DataError("the SAE training pool contains NaN or infinity")
        return torch.from_numpy(np.ascontiguousarray(pool, dtype=np.float32))
    return pool.float()


def _split_rows(
    data: torch.Tensor, cfg: SAESpec, generator: torch.Generator, eval_rows: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(held-out rows, training rows): the held-out rows are never trained on."""
    n = data.shape[0]
    perm = torch.randperm(n, generator=generator)
    n_eval = min(eval_rows, max(1, n // 10))
    eval_x, train_x = data[perm[:n_eval]], data[perm[n_eval:]] if n > n_eval else data
    if cfg.train_fraction < 1.0:
        train_x = train_x[: max(cfg.batch_size, int(len(train_x) * cfg.train_fraction))]
    return eval_x, train_x


def _new_model(train_x: torch.Tensor, cfg: SAESpec) -> SAE:
    """An SAE scaled to the training rows, its decoder bias at their median (or mean)."""
    scale = _input_scale(train_x[: min(len(train_x), 10000)])
    model = SAE(
        train_x.shape[1], cfg.width, cfg.architecture, cfg.k, cfg.jumprelu_init_threshold, scale
    )
    with torch.no_grad():
        sample = train_x[: min(len(train_x), 10000)] * scale
        centre = sample.median(0).values if cfg.b_dec_init == "median" else sample.mean(0)
        model.b_dec.copy_(centre)
    return model


def _train_steps(
    model: SAE,
    train_x: torch.Tensor,
    cfg: SAESpec,
    generator: torch.Generator,
    device: str,
    progress: Callable[[float], None] | None,
) -> tuple[float, torch.Tensor, int]:
    """Adam over ``cfg.steps`` batches of the (scaled) rows: (seconds, last MSE, batch size)."""
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=(0.9, 0.999), foreach=True)
    last_fired = torch.zeros(cfg.width, dtype=torch.long, device=device)
    batch = min(cfg.batch_size, len(train_x))
    order = torch.randperm(len(train_x), generator=generator).to(device)
    cursor = 0
    start = time.perf_counter()
    mse = torch.zeros(())
    for step in range(cfg.steps):
        if cursor + batch > len(train_x):
            order = torch.randperm(len(train_x), generator=generator).to(device)
            cursor = 0
        xb = train_x[order[cursor : cursor + batch]]
        cursor += batch
        dead = (step - last_fired) >= cfg.dead_after if step >= cfg.dead_after else None
        with autocast(device):
            loss, fired, mse = model.loss(
                xb,
                l1_coefficient=cfg.l1_coefficient,
                aux_coefficient=cfg.aux_coefficient,
                dead=dead,
            )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        model.remove_parallel_grad()
        optimiser.step()
        model.normalise_decoder()
        last_fired[fired] = step
        if progress and (step % 50 == 0 or step == cfg.steps - 1):
            progress((step + 1) / cfg.steps)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start, mse, batch


def train_sae(
    pool: np.ndarray | torch.Tensor,
    cfg: SAESpec,
    *,
    seed: int,
    device: str = "cpu",
    progress: Callable[[float], None] | None = None,
    eval_rows: int = 2048,
) -> tuple[SAE, TrainReport]:
    """Train one SAE on an unlabelled pool of activations; returns the model and its report."""
    data = _as_tensor(pool)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    if not (cfg.width and cfg.k and cfg.steps):
        cfg = resolve_sae_spec(replace(cfg, width=cfg.width or 0), data.shape[0])
    eval_x, train_x = _split_rows(data, cfg, generator, eval_rows)
    model = _new_model(train_x, cfg).to(device)
    scaled = (train_x * model.scaling_factor).to(device)
    wall, mse, batch = _train_steps(model, scaled, cfg, generator, device, progress)
    if cfg.architecture == "batchtopk":
        _fit_inference_threshold(model, scaled[: min(len(scaled), 8192)])
    model.eval()
    fve, l0, dead_fraction = evaluate_sae(model, eval_x.to(device))
    k = cfg.k or max(1, round(l0))
    samples = cfg.steps * batch
    report = TrainReport(
        seed=seed,
        steps=cfg.steps,
        samples=samples,
        wall_seconds=wall,
        samples_per_second=samples / wall if wall > 0 else float("inf"),
        flops=sae_training_flops(model.d_in, cfg.width, cfg.architecture, cfg.k, samples),
        fve=fve,
        l0=l0,
        dead_fraction=dead_fraction,
        final_mse=float(mse.detach()),
        train_rows=len(train_x),
        eval_rows=len(eval_x),
        pca_fve=pca_reference_fve(train_x, eval_x, k),
        random_fve=random_encoder_fve(
            train_x, eval_x, cfg.width, k, seed=seed + 104729, device=device
        ),
    )
    return model.cpu(), report


@torch.no_grad()
def _fit_inference_threshold(model: SAE, x: torch.Tensor) -> None:
    acts = model.activations(model.pre_acts(x), training=True)
    positive = acts[acts > 0]
    model.inference_threshold.fill_(float(positive.min()) if positive.numel() else 0.0)


@torch.no_grad()
def pca_reference_fve(train: torch.Tensor, held_out: torch.Tensor, k: int) -> float | None:
    """FVE on ``held_out`` of the rank-k PCA fit on ``train``: the gate's reference."""
    if len(train) < 2 or len(held_out) < 2 or k <= 0:
        return None
    sample = train[: min(len(train), 20000)].float()
    centre = sample.mean(0)
    _, _, vt = torch.linalg.svd(sample - centre, full_matrices=False)
    basis = vt[: min(k, vt.shape[0])]
    x = held_out.float()
    recon = (x - centre) @ basis.T @ basis + centre
    total = (x - x.mean(0)).pow(2).sum()
    return 1.0 - float((x - recon).pow(2).sum() / total) if float(total) > 0 else None


@torch.no_grad()
def evaluate_sae(model: SAE, x_raw: torch.Tensor) -> tuple[float, float, float]:
    """(fraction of variance explained, mean L0, fraction of latents never active) on raw inputs."""
    x = x_raw * model.scaling_factor
    acts = model.activations(model.pre_acts(x))
    recon = model.decode(acts)
    total = (x - x.mean(0)).pow(2).sum()
    fve = 1.0 - float((x - recon).pow(2).sum() / total) if float(total) > 0 else float("nan")
    l0 = float((acts > 0).float().sum(-1).mean())
    dead = float(((acts > 0).sum(0) == 0).float().mean())
    return fve, l0, dead


@torch.no_grad()
def encode_numpy(
    model: SAE, x: np.ndarray, *, device: str = "cpu", batch: int = 4096
) -> np.ndarray:
    model = model.to(device)
    out = []
    for start in range(0, len(x), batch):
        xb = torch.from_numpy(np.ascontiguousarray(x[start : start + batch], dtype=np.float32)).to(
            device
        )
        out.append(model.encode(xb).float().cpu().numpy())
    model.cpu()
    return np.concatenate(out) if out else np.zeros((0, model.d_sae), np.float32)


def random_dictionary(
    d_in: int,
    d_sae: int,
    k: int,
    *,
    seed: int,
    scale: float = 1.0,
    centre: np.ndarray | None = None,
) -> SAE:
    """The random-dictionary control: random unit-norm atoms, tied encoder, same width and k."""
    torch.manual_seed(seed)
    model = SAE(d_in, d_sae, "topk", max(1, k), scaling_factor=scale)
    if centre is not None:
        with torch.no_grad():
            model.b_dec.copy_(torch.from_numpy(np.asarray(centre, dtype=np.float32)) * scale)
    return model.eval()


# --- checkpoints -----------------------------------------------------------------------------


def save_sae(model: SAE, folder: Path, report: TrainReport | None = None) -> None:
    """Write ``sae_weights.safetensors`` and ``cfg.json`` (SAELens's layout)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tensors = {
        name: p.detach().cpu().contiguous()
        for name, p in (
            ("W_enc", model.W_enc),
            ("b_enc", model.b_enc),
            ("W_dec", model.W_dec),
            ("b_dec", model.b_dec),
        )
    }
    if model.architecture == "jumprelu":
        tensors["threshold"] = model.log_threshold.detach().exp().cpu().contiguous()
    tmp = folder / "sae_weights.safetensors.tmp"
    save_file(tensors, str(tmp))
    cfg = model.config()
    if report is not None:
        cfg["training_report"] = report.as_dict()
    (folder / "cfg.json").write_text(json.dumps(cfg, indent=2))
    tmp.replace(folder / "sae_weights.safetensors")


def load_sae(path: Path | str) -> tuple[SAE, dict[str, Any]]:
    """Load an SAE saved by :func:`save_sae` or by SAELens (a folder, or the weights file)."""
    from safetensors.torch import load_file

    path = Path(path)
    folder = path if path.is_dir() else path.parent
    weights = folder / "sae_weights.safetensors" if path.is_dir() else path
    if not weights.is_file():
        raise DataError(f"no SAE weights at {weights}")
    cfg_path = folder / "cfg.json"
    cfg: dict[str, Any] = json.loads(cfg_path.read_text()) if cfg_path.is_file() else {}
    tensors = load_file(str(weights))
    missing = [k for k in ("W_enc", "W_dec", "b_enc", "b_dec") if k not in tensors]
    if missing:
        raise DataError(f"{weights}: not an SAELens-format SAE (missing {', '.join(missing)})")
    d_in, d_sae = tensors["W_enc"].shape
    arch = str(cfg.get("harness_architecture") or cfg.get("architecture") or "")
    arch = {"standard": "relu", "gated": "relu"}.get(arch, arch)
    if not arch:
        arch = "jumprelu" if "threshold" in tensors else ("topk" if "k" in cfg else "relu")
    if arch not in ("topk", "batchtopk", "relu", "jumprelu"):
        raise DataError(f"{weights}: unsupported SAE architecture {arch!r}")
    k = int(cfg.get("k") or (cfg.get("activation_fn_kwargs") or {}).get("k") or 0)
    if arch in ("topk", "batchtopk") and k <= 0:
        raise DataError(f"{weights}: a {arch} SAE needs k in cfg.json")
    model = SAE(d_in, d_sae, arch, k, scaling_factor=float(cfg.get("scaling_factor", 1.0)))
    with torch.no_grad():
        for name in ("W_enc", "b_enc", "W_dec", "b_dec"):
            getattr(model, name).copy_(tensors[name].float())
        if arch == "jumprelu":
            model.log_threshold.copy_(tensors["threshold"].float().clamp(min=1e-12).log())
        if arch == "batchtopk" and "inference_threshold" in cfg:
            model.inference_threshold.fill_(float(cfg["inference_threshold"]))
    return model.eval(), cfg
