"""A causal LM for steering: offline loading, hooked batched generation, token activations.

The residual stream "at layer L" is the output of decoder block L-1 (``hidden_states[L]`` in
transformers' numbering), so L runs from 1 to n_layers - 1; the last block's output is left
out because transformers applies the final norm to ``hidden_states[n_layers]``. Hooks are
forward hooks on that block, registered for one call and always removed (``try/finally``),
so a run leaves the model exactly as it found it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from replication.harness.errors import DataError

#: h [batch, positions, d_model] -> h' (same shape); applied to the block's output.
Intervention = Callable[[Any], Any]


@dataclass
class LM:
    model: Any
    tokenizer: Any
    name: str
    device: str
    n_layers: int
    d_model: int
    n_params: int
    fingerprint: str

    def block(self, layer: int) -> Any:
        return self.model.model.layers[layer - 1]

    def check_layer(self, layer: int, field: str = "activations.layer") -> int:
        """Resolve -1 to the middle layer; anything outside 1..n_layers-1 is an error."""
        resolved = self.n_layers // 2 if layer < 0 else layer
        if not 1 <= resolved <= self.n_layers - 1:
            raise DataError(
                f"{field} {layer} is out of range: {self.name} has {self.n_layers} layers, "
                f"so the steered residual stream must be layer 1..{self.n_layers - 1}"
            )
        return resolved

    def format(self, instruction: str) -> str:
        """The instruction as a chat turn when the tokenizer has a template, else plain text."""
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(
                [{"role": "user", "content": instruction}],
                add_generation_prompt=True,
                tokenize=False,
            )
        return f"User: {instruction}\nAssistant:"

    def generation_flops(self, prompt_tokens: int, new_tokens: int) -> float:
        """2 x parameters per token processed (KV cache: each token once)."""
        return 2.0 * self.n_params * (prompt_tokens + new_tokens)


_MODELS: dict[tuple[str, str], LM] = {}


def model_path(model: str, cache: Path) -> str:
    if model == "smollm2":
        from replication.harness.activations import smollm2_path

        return str(smollm2_path(cache))
    if model.startswith("hf:"):
        return model[3:]
    raise DataError(f"activations.model {model!r} is not a causal LM (use smollm2 or hf:<path>)")


def load_lm(model: str, *, device: str, cache: Path) -> LM:
    """Load (once per process) a causal LM available offline; a clear error otherwise."""
    path = model_path(model, cache)
    key = (path, device)
    if key in _MODELS:
        return _MODELS[key]
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        lm = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise DataError(
            f"causal LM {model!r} is not available locally (offline): {str(exc).splitlines()[0]}"
        ) from exc
    if not hasattr(getattr(lm, "model", None), "layers"):
        raise DataError(f"{model!r}: no decoder blocks at model.layers to hook")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    lm = lm.to(device).eval()  # type: ignore[arg-type]  # transformers' wrapper drops self
    digest = hashlib.sha256(path.encode())
    for p in list(lm.parameters())[:4]:
        digest.update(np.float64(p.detach().double().sum().item()).tobytes())
    out = LM(
        model=lm,
        tokenizer=tokenizer,
        name=model,
        device=device,
        n_layers=int(lm.config.num_hidden_layers),
        d_model=int(lm.config.hidden_size),
        n_params=sum(p.numel() for p in lm.parameters()),
        fingerprint=digest.hexdigest()[:16],
    )
    _MODELS[key] = out
    return out


@contextlib.contextmanager
def hooked(lm: LM, layer: int, intervention: Intervention | None) -> Iterator[None]:
    """Apply ``intervention`` to the residual stream at ``layer``; the hook is removed after."""
    if intervention is None:
        yield
        return

    def hook(module: Any, args: Any, output: Any) -> Any:
        if isinstance(output, tuple):
            return (intervention(output[0]), *output[1:])
        return intervention(output)

    handle = lm.block(layer).register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


@dataclass
class Generation:
    texts: list[str]
    new_tokens: list[list[int]]
    prompt_tokens: int
    flops: float


def generate(
    lm: LM,
    prompts: Sequence[str],
    *,
    layer: int,
    intervention: Any = None,
    max_new_tokens: int,
    seed: int,
    temperature: float,
    batch_size: int = 64,
) -> Generation:
    """Generate for already formatted prompts, in batches (left padding, KV cache kept).

    ``intervention`` is an :class:`~.interventions.Intervention` (one setting per prompt row)
    or None. temperature 0 is greedy decoding; otherwise sampling with
    ``torch.manual_seed(seed)`` set before each batch, so the same call gives the same text."""
    import torch

    tok = lm.tokenizer
    tok.padding_side = "left"
    texts: list[str] = []
    new: list[list[int]] = []
    n_prompt = 0
    eos = tok.eos_token_id
    for start in range(0, len(prompts), batch_size):
        chunk = list(prompts[start : start + batch_size])
        batch = tok(chunk, return_tensors="pt", padding=True, add_special_tokens=False).to(
            lm.device
        )
        n_prompt += int(batch["attention_mask"].sum())
        sampling: dict[str, Any] = (
            {"do_sample": True, "temperature": temperature, "top_k": 0, "top_p": 1.0}
            if temperature > 0
            else {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
        )
        torch.manual_seed(seed + start)
        fn = None if intervention is None else intervention.rows(slice(start, start + len(chunk)))
        with torch.inference_mode(), hooked(lm, layer, fn):
            out = lm.model.generate(
                **batch,
                max_new_tokens=max_new_tokens,
                pad_token_id=tok.pad_token_id,
                use_cache=True,
                **sampling,
            )
        for row in out[:, batch["input_ids"].shape[1] :].tolist():
            ids = row[: row.index(eos)] if eos in row else row
            new.append(ids)
            texts.append(tok.decode(ids, skip_special_tokens=True).strip())
    produced = sum(len(ids) for ids in new)
    return Generation(texts, new, n_prompt, lm.generation_flops(n_prompt, produced))


def response_nll(
    lm: LM, prompts: Sequence[str], responses: Sequence[list[int]], *, batch_size: int = 32
) -> np.ndarray:
    """Mean negative log-likelihood per response token under the unsteered model, given the
    formatted prompt; NaN for an empty response."""
    import torch

    tok = lm.tokenizer
    out = np.full(len(prompts), np.nan)
    for start in range(0, len(prompts), batch_size):
        rows, spans = [], []
        for p, r in zip(
            prompts[start : start + batch_size], responses[start : start + batch_size], strict=True
        ):
            ids = tok(p, add_special_tokens=False)["input_ids"]
            rows.append(ids + list(r))
            spans.append((len(ids), len(ids) + len(r)))
        width = max(len(r) for r in rows)
        pad = tok.pad_token_id
        input_ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=lm.device)
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], device=lm.device)
        with torch.inference_mode():
            logp = torch.log_softmax(
                lm.model(input_ids=input_ids, attention_mask=mask).logits.float(), -1
            )
        for i, (a, b) in enumerate(spans):
            if b <= a:
                continue
            targets = input_ids[i, a:b]
            picked = logp[i, a - 1 : b - 1].gather(-1, targets[:, None])[:, 0]
            out[start + i] = float(-picked.mean())
    return out


# --- token-level activations ---------------------------------------------------------------


@dataclass
class TokenActivations:
    """Every token's residual vector (position 0 dropped), and where each text's rows start."""

    acts: np.ndarray  # [tokens, d_model] float32
    offsets: np.ndarray  # [texts + 1]

    def text(self, i: int) -> np.ndarray:
        return self.acts[self.offsets[i] : self.offsets[i + 1]]

    def pooled(self) -> np.ndarray:
        return np.stack([self.text(i).mean(0) for i in range(len(self.offsets) - 1)])


def token_activations(
    lm: LM,
    texts: Sequence[str],
    *,
    layer: int,
    max_length: int,
    cache: Path,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> TokenActivations:
    """Token-level activations at ``layer``; cached as ``<key>.npz`` keyed by the content hash
    of (model fingerprint, layer, max_length, texts)."""
    key = _token_key(lm, layer, max_length, texts)
    path = cache / f"tokens-{key}.npz"
    if path.is_file():
        with np.load(path) as npz:
            return TokenActivations(npz["acts"].astype(np.float32), npz["offsets"])
    result = collect_token_activations(
        lm, texts, layer=layer, max_length=max_length, batch_size=batch_size, progress=progress
    )
    if not np.all(np.isfinite(result.acts)):
        raise DataError(f"{lm.name} produced NaN/inf token activations at layer {layer}")
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f"tokens-{key}.tmp.npz"
    np.savez(tmp, acts=result.acts.astype(np.float16), offsets=result.offsets)
    tmp.replace(path)
    # the float16 copy is what later runs read: return the same values now
    return TokenActivations(result.acts.astype(np.float16).astype(np.float32), result.offsets)


def _token_key(lm: LM, layer: int, max_length: int, texts: Sequence[str]) -> str:
    rows = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()
    payload = json.dumps(
        {"model": lm.fingerprint, "layer": layer, "max_length": max_length, "rows": rows},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


class _Captured(Exception):
    """Raised by the capturing hook once the layer's output is taken."""


def collect_token_activations(
    lm: LM,
    texts: Sequence[str],
    *,
    layer: int,
    max_length: int,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> TokenActivations:
    import torch

    tok = lm.tokenizer
    tok.padding_side = "right"
    # position 0 is an attention sink with a huge norm: put BOS there and drop it
    probe = tok("a")["input_ids"]
    prefix = tok.bos_token if tok.bos_token and (not probe or probe[0] != tok.bos_token_id) else ""
    captured: list[Any] = []

    def grab(h: Any) -> Any:
        captured.append(h.detach().float())
        raise _Captured  # the blocks above the layer are not needed: stop the forward here

    parts: list[np.ndarray] = []
    lengths: list[int] = []
    for start in range(0, len(texts), batch_size):
        chunk = [prefix + t for t in texts[start : start + batch_size]]
        batch = tok(
            chunk, return_tensors="pt", padding=True, truncation=True, max_length=max_length
        ).to(lm.device)
        captured.clear()
        with torch.inference_mode(), hooked(lm, layer, grab), contextlib.suppress(_Captured):
            lm.model.model(**batch)
        hidden = captured[0]
        mask = batch["attention_mask"].bool()
        for i in range(hidden.shape[0]):
            rows = hidden[i][mask[i]]
            rows = rows[1:] if rows.shape[0] > 1 else rows
            parts.append(rows.cpu().numpy())
            lengths.append(rows.shape[0])
        if progress:
            progress(min(start + batch_size, len(texts)), len(texts))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    acts = np.concatenate(parts) if parts else np.zeros((0, lm.d_model), np.float32)
    return TokenActivations(acts.astype(np.float32), offsets)
