"""A planted world for the steering tests: a tiny randomly initialised Llama whose behaviour
is set by hand, with a word-level tokenizer, both built in-process and saved to a folder.

- Vocabulary: every word of the curated concepts, their prompts and the neutral prompts,
  plus filler words, so unsteered sampling is babble that rarely hits a concept word.
- The blocks are initialised near zero, so the residual stream is (almost) the embedding.
- Concept words ``T`` (:data:`OCEAN_WORDS`) are embedded as
  ``c * read`` (plus noise in the write half when ``shared`` is set); the output head maps
  ``write`` to ``T``; the final norm zeroes the read half of the residual, so the model
  cannot see the read direction when predicting.
- A constructed SAE (SAELens format) has latent 0 with encoder ``read`` (it fires on ``T``
  tokens) and a chosen decoder: ``write`` makes SAE steering produce ``T`` words.

With ``shared=False`` the diff-in-means and probe directions lie along ``read`` and cannot
steer (baselines handicapped by construction); with ``shared=True`` the concept words are
embedded along ``read + write``, diff-in-means steers, and an SAE whose decoder points along
a read-half direction cannot.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

D = 64
HALF = D // 2


#: The planted concept words (all in the ocean positives; none in the negatives).
OCEAN_WORDS = [
    "ocean",
    "sea",
    "waves",
    "tide",
    "beach",
    "coral",
    "reef",
    "whales",
    "sailors",
    "harbour",
    "seagulls",
    "shipwreck",
    "surfers",
    "dolphins",
    "jellyfish",
    "seaweed",
    "lighthouse",
    "ferry",
    "divers",
    "seabed",
    "shoreline",
    "swell",
    "breakers",
    "salt",
    "fishing",
]


def _words(texts: list[str]) -> set[str]:
    return {w for t in texts for w in re.findall(r"\w+|[^\w\s]", t.lower())}


def build_world(folder: Path, *, shared: bool, decoder: str, seed: int = 0) -> tuple[Path, Path]:
    """Save the tiny model (``folder/model``) and SAE (``folder/sae``); return both paths."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from replication.harness.sae import SAE, save_sae
    from replication.harness.steering import concepts as cc
    from replication.harness.tasks.steering import STEER_TEMPLATES, SUPPRESS_TEMPLATES

    rng = np.random.default_rng(seed)
    texts = list(cc.NEGATIVES) + cc.neutral_prompts(64) + ["Continue this text."]
    for concept in cc.CURATED.values():
        texts += concept.positives + concept.elicit + concept.neutral + [concept.description]
        texts += [p for ps in cc.judge_prompts(concept, 1).values() for p in ps]
    texts += STEER_TEMPLATES + SUPPRESS_TEMPLATES + ["User: Assistant:"]
    specials = ["<pad>", "<s>", "</s>", "<unk>"]
    vocab_words = sorted(_words(texts)) + [f"zq{i}" for i in range(2000)]
    vocab = {w: i for i, w in enumerate(specials + vocab_words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )
    T = np.array([vocab[w] for w in OCEAN_WORDS])

    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=D,
        intermediate_size=D,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        initializer_range=1e-4,
        tie_word_embeddings=False,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).eval()
    read = np.zeros(D)
    read[:HALF] = rng.standard_normal(HALF)
    read /= np.linalg.norm(read)
    write = np.zeros(D)
    write[HALF:] = rng.standard_normal(HALF)
    write /= np.linalg.norm(write)
    emb = rng.standard_normal((len(vocab), D)) / np.sqrt(D)
    planted = (read + write) / np.sqrt(2) if shared else read
    emb[T] = 3.0 * planted + 0.1 * rng.standard_normal((len(T), D)) / np.sqrt(D)
    head = 0.02 * rng.standard_normal((len(vocab), D))  # unsteered: near-uniform babble
    head[:, :HALF] = 0.0
    head[T] = 1.5 * write
    head[:4] = 0.0
    head[2] = 0.0  # eos is as likely as a filler word: generations run to full length
    with torch.no_grad():
        model.model.embed_tokens.weight.copy_(torch.tensor(emb, dtype=torch.float32))
        model.lm_head.weight.copy_(torch.tensor(head, dtype=torch.float32))
        norm = torch.ones(D)
        norm[:HALF] = 0.0
        model.model.norm.weight.copy_(norm)
    model_dir = folder / "model"
    model.save_pretrained(model_dir)
    fast.save_pretrained(model_dir)

    width = 64
    sae = SAE(D, width, "topk", 4)
    enc = rng.standard_normal((D, width))
    enc /= np.linalg.norm(enc, axis=0, keepdims=True)
    enc[:, 0] = read
    dec = enc.T.copy()
    if decoder == "write":
        dec[0] = write
    else:  # a read-half direction orthogonal to ``read``: invisible to the output head
        other = np.zeros(D)
        other[:HALF] = rng.standard_normal(HALF)
        other[:HALF] -= (other[:HALF] @ read[:HALF]) * read[:HALF]
        dec[0] = other / np.linalg.norm(other)
    with torch.no_grad():
        sae.W_enc.copy_(torch.tensor(enc, dtype=torch.float32))
        sae.W_dec.copy_(torch.tensor(dec, dtype=torch.float32))
    sae_dir = folder / "sae"
    save_sae(sae.eval(), sae_dir)
    return model_dir, sae_dir


def world_spec(model_dir: Path, sae_dir: Path, **options) -> dict:
    baselines = options.pop("baselines", ["diff_in_means", "probe", "prompting"])
    protocol = options.pop("protocol", {})
    return {
        "task": "steering",
        "name": "planted steering world",
        "data": {"source": "concepts", "datasets": ["ocean"]},
        "activations": {"model": f"hf:{model_dir}", "layer": 1, "max_length": 48},
        # a planted dictionary, not a trained reconstruction model: the quality gate
        # (issue 11) is switched off so the tests judge the steering logic alone
        "sae": {
            "checkpoint": str(sae_dir),
            "min_fve": -1000.0,
            "min_fve_vs_pca": 0.0,
            "max_dead_fraction": 1.0,
        },
        "protocol": {
            "split_seeds": 3,
            "sae_seeds": 1,
            "tuning_budget": 3,
            "bootstrap_samples": 300,
            "baselines": baselines,
            **protocol,
        },
        "task_options": {
            "modes": ["steer"],
            "sae_methods": ["sae_addition"],
            "n_prompts": 24,
            "max_new_tokens": 12,
            "pool_sources": [],
            "strengths": [1.0, 4.0],
            "judge_samples": 1,
            **options,
        },
        "device": "cpu",
    }
