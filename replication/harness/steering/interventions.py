"""Residual-stream interventions, one setting per batch row.

Each intervention holds a per-row parameter (a strength, a clamp target) so that one batched
generation covers several strengths; :meth:`Intervention.rows` gives the function for a slice
of rows (a generation batch). All of them are pure functions of the hidden state:

- :class:`Add`: ``h + c * v`` (steering vector or SAE decoder direction; c = 0 is a no-op).
- :class:`Clamp`: set one SAE latent to a target value everywhere, ``h + (t - a(h)) * d``.
- :class:`ConditionalClamp`: the same only at positions where the latent fires (a(h) > 0);
  elsewhere ``h`` is returned untouched, bit for bit.
- :class:`Ablate`: directional ablation ``h - c * (h . r) r`` (c = 1 is the refusal paper's).

``d`` is the latent's decoder row in raw activation units (the SAE scales inputs by
``scaling_factor`` before encoding, so its decoder lives in scaled units).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def _tensor(values: Sequence[float] | np.ndarray, like: Any) -> Any:
    import torch

    return torch.as_tensor(np.asarray(values, dtype=np.float32), device=like.device)


class Intervention:
    coeffs: np.ndarray

    def rows(self, sl: slice) -> Callable[[Any], Any]:
        raise NotImplementedError

    def extra_flops_per_token(self) -> float:
        return 0.0


@dataclass
class Add(Intervention):
    direction: np.ndarray  # [d]
    coeffs: np.ndarray  # [rows]

    def rows(self, sl: slice) -> Callable[[Any], Any]:
        def apply(h: Any) -> Any:
            v = _tensor(self.direction, h).to(h.dtype)
            c = _tensor(self.coeffs[sl], h).to(h.dtype)
            return h + c[:, None, None] * v

        return apply

    def extra_flops_per_token(self) -> float:
        return 2.0 * len(self.direction)


@dataclass
class Ablate(Intervention):
    direction: np.ndarray  # [d], unit norm
    coeffs: np.ndarray

    def rows(self, sl: slice) -> Callable[[Any], Any]:
        def apply(h: Any) -> Any:
            r = _tensor(self.direction, h).to(h.dtype)
            c = _tensor(self.coeffs[sl], h).to(h.dtype)
            return h - c[:, None, None] * (h @ r)[..., None] * r

        return apply

    def extra_flops_per_token(self) -> float:
        return 4.0 * len(self.direction)


@dataclass
class LatentEdit(Intervention):
    """Shared by the clamps: the SAE, the latent, and per-row target activations."""

    sae: Any
    latent: int
    coeffs: np.ndarray  # target activation per row

    def latent_activation(self, h: Any) -> Any:
        """The latent's activation at every position, as the SAE encodes it (top-k included)."""
        import torch

        sae = self.sae.to(h.device)  # a no-op when it is there already
        with torch.no_grad():
            acts = sae.encode(h.float())
        return acts[..., self.latent]

    def decoder(self, h: Any) -> Any:
        return (self.sae.W_dec[self.latent] / self.sae.scaling_factor).to(h.device, h.dtype)

    def extra_flops_per_token(self) -> float:
        return 2.0 * self.sae.d_in * self.sae.d_sae


class Clamp(LatentEdit):
    def rows(self, sl: slice) -> Callable[[Any], Any]:
        def apply(h: Any) -> Any:
            a = self.latent_activation(h).to(h.dtype)
            t = _tensor(self.coeffs[sl], h).to(h.dtype)
            return h + (t[:, None] - a)[..., None] * self.decoder(h)

        return apply


class ConditionalClamp(LatentEdit):
    def rows(self, sl: slice) -> Callable[[Any], Any]:
        import torch

        def apply(h: Any) -> Any:
            a = self.latent_activation(h).to(h.dtype)
            t = _tensor(self.coeffs[sl], h).to(h.dtype)
            fires = (a > 0)[..., None]
            edited = h + (t[:, None] - a)[..., None] * self.decoder(h)
            return torch.where(fires, edited, h)

        return apply
