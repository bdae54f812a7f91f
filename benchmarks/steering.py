"""Steering overhead: hooked generation against the same generation without hooks.

SmolLM2-135M-Instruct (the dequantised copy the harness caches) generates the same batch of
chat-formatted prompts greedily, with the KV cache, four ways: no hook (the reference), a
steering-vector addition hook, an SAE clamp hook (a TopK SAE of width 4096 encoded at every
position) and a conditional SAE clamp hook. Each is timed best of ``--repeats``; the table
gives new tokens/s and the ratio of each hooked time to the unhooked time (target < 1.15x);
the hooks take turns within each repeat, so a slow spell on a shared machine hits all alike.
The second table is the token-level activation collection rate (tokens/s through the model
to the hooked layer, the cache bypassed).

    .venv/bin/python benchmarks/steering.py [--device cpu|cuda] [--batch 8] [--tokens 32]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's harness
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layer", type=int, default=15)
    parser.add_argument("--texts", type=int, default=128)
    args = parser.parse_args()

    import torch

    from replication.harness.activations import cache_dir
    from replication.harness.sae import SAE
    from replication.harness.steering import interventions as iv
    from replication.harness.steering.concepts import neutral_prompts
    from replication.harness.steering.lm import collect_token_activations, generate, load_lm

    lm = load_lm("smollm2", device=args.device, cache=cache_dir())
    prompts = [lm.format(p) for p in neutral_prompts(args.batch)]
    torch.manual_seed(0)
    sae = SAE(lm.d_model, 4096, "topk", 32).to(args.device).eval()
    rows = np.ones(args.batch)
    direction = np.random.default_rng(0).standard_normal(lm.d_model).astype(np.float32)
    hooks = {
        "none (reference)": None,
        "addition": iv.Add(direction / np.linalg.norm(direction), 4.0 * rows),
        "sae clamp": iv.Clamp(sae, 0, 10.0 * rows),
        "sae conditional clamp": iv.ConditionalClamp(sae, 0, -10.0 * rows),
    }

    def once(intervention: object) -> tuple[float, int]:
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        g = generate(
            lm,
            prompts,
            layer=args.layer,
            intervention=intervention,
            max_new_tokens=args.tokens,
            seed=0,
            temperature=0.0,
            batch_size=args.batch,
        )
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - start, sum(len(t) for t in g.new_tokens)

    once(None)  # warm-up
    # round-robin repeats, so a slow spell on a shared machine hits every hook alike
    best = {name: float("inf") for name in hooks}
    produced = {}
    for _ in range(args.repeats):
        for name, hook in hooks.items():
            seconds, produced[name] = once(hook)
            best[name] = min(best[name], seconds)
    print(
        f"device {args.device}, torch threads {torch.get_num_threads()}, batch {args.batch}, "
        f"{args.tokens} new tokens, layer {args.layer}, best of {args.repeats} (round-robin)"
    )
    print(f"{'hook':<24}{'seconds':>10}{'new tok/s':>12}{'vs none':>10}")
    reference = best["none (reference)"]
    for name in hooks:
        seconds = best[name]
        print(
            f"{name:<24}{seconds:>10.3f}{produced[name] / seconds:>12.1f}"
            f"{seconds / reference:>9.3f}x"
        )

    from replication.harness.datasets import load_dataset
    from replication.harness.spec import DataSpec

    texts = load_dataset(DataSpec(source="rotten_tomatoes", max_rows=args.texts), "rotten_tomatoes")
    start = time.perf_counter()
    acts = collect_token_activations(lm, texts.texts or [], layer=args.layer, max_length=64)
    seconds = time.perf_counter() - start
    print(
        f"\ntoken-level activation collection: {len(acts.acts)} tokens from {args.texts} texts "
        f"in {seconds:.2f} s = {len(acts.acts) / seconds:.0f} tokens/s ({lm.d_model} dims, "
        f"layer {args.layer})"
    )


if __name__ == "__main__":
    main()
