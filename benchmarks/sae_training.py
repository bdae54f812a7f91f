"""SAE training speed: this harness's TopK SAE against SAELens's trainer, side by side.

Both train the same TopK SAE (d_in 384, width 4096, k 32, batch 4096, fp32, Adam, the same
data and the same number of steps) in this process's torch thread setting; SAELens runs in
its own virtual environment (``benchmarks/.venv-saelens``, torch 2.13.0 installed first,
then ``sae-lens``) as a subprocess of this script. The script also measures this machine's
fp32 matmul rate with torch and reports the harness's achieved FLOP/s as a fraction of it.

    .venv/bin/python benchmarks/sae_training.py [--steps 30] [--device cpu|cuda]

FLOPs are those the code performs (see ``replication/harness/flops.py``): the harness's
TopK encoder is one dense matmul per step plus sparse work on the k selected latents;
SAELens's default TopK training runs the decoder densely (five matmul-sized products per step).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

D_IN, WIDTH, K, BATCH = 384, 4096, 32, 4096
ROOT = Path(__file__).resolve().parents[1]
SAELENS_PYTHON = ROOT / "benchmarks" / ".venv-saelens" / "bin" / "python"


def matmul_rate(device: str, n: int = 2048, repeats: int = 10) -> dict[str, float]:
    """Best-of-N fp32 FLOP/s of a square matmul, and of the SAE's encoder-shaped matmul."""
    import torch

    def best(a: torch.Tensor, b: torch.Tensor) -> float:
        flops = 2.0 * a.shape[0] * a.shape[1] * b.shape[1]
        times = []
        for _ in range(repeats):
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            start = time.perf_counter()
            a @ b
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        return flops / min(times)

    square = best(torch.randn(n, n, device=device), torch.randn(n, n, device=device))
    shaped = best(torch.randn(BATCH, D_IN, device=device), torch.randn(D_IN, WIDTH, device=device))
    return {"square_flops_per_s": square, "sae_shaped_flops_per_s": shaped}


def run_harness(data_path: Path, steps: int, device: str) -> dict[str, float]:
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from replication.harness.flops import sae_training_flops
    from replication.harness.sae import train_sae
    from replication.harness.spec import SAESpec

    data = np.load(data_path)
    cfg = SAESpec(width=WIDTH, k=K, architecture="topk", steps=steps, batch_size=BATCH, lr=3e-4)
    _, report = train_sae(data, cfg, seed=0, device=device, eval_rows=BATCH)
    samples = steps * BATCH
    return {
        "seconds": report.wall_seconds,
        "samples_per_s": samples / report.wall_seconds,
        "flops": sae_training_flops(D_IN, WIDTH, "topk", K, samples),
        "fve": report.fve,
    }


def run_saelens(data_path: Path, steps: int, device: str, threads: int) -> dict[str, float]:
    if not SAELENS_PYTHON.is_file():
        raise SystemExit(
            f"SAELens environment missing: {SAELENS_PYTHON} (see this file's docstring)"
        )
    out = subprocess.run(
        [
            str(SAELENS_PYTHON),
            __file__,
            "--saelens-worker",
            str(data_path),
            "--steps",
            str(steps),
            "--device",
            device,
            "--threads",
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "WANDB_MODE": "disabled"},
    )
    if out.returncode != 0:
        raise SystemExit(f"SAELens run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def saelens_worker(data_path: Path, steps: int, device: str) -> None:
    """Runs inside SAELens's environment: imports nothing from this project."""
    import io
    from contextlib import redirect_stderr

    import numpy as np
    import sae_lens
    import torch
    from sae_lens.config import LoggingConfig
    from sae_lens.saes.topk_sae import TopKTrainingSAE, TopKTrainingSAEConfig
    from sae_lens.training.sae_trainer import SAETrainer, SAETrainerConfig

    data = torch.from_numpy(np.load(data_path)).to(device)
    torch.manual_seed(0)

    def batches():
        while True:
            order = torch.randperm(len(data), device=device)
            for start in range(0, len(data) - BATCH + 1, BATCH):
                yield data[order[start : start + BATCH]]

    sae = TopKTrainingSAE(
        TopKTrainingSAEConfig(d_in=D_IN, d_sae=WIDTH, k=K, dtype="float32", device=device)
    )
    cfg = SAETrainerConfig(
        total_training_samples=steps * BATCH,
        train_batch_size_samples=BATCH,
        lr=3e-4,
        lr_end=3e-4,
        device=device,
        autocast=False,
        logger=LoggingConfig(log_to_wandb=False),
    )
    trainer = SAETrainer(cfg=cfg, sae=sae, data_provider=batches())
    with redirect_stderr(io.StringIO()):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        trainer.fit()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    samples = steps * BATCH
    print(
        json.dumps(
            {
                "seconds": seconds,
                "samples_per_s": samples / seconds,
                "flops": samples * 10.0 * D_IN * WIDTH,
                "version": sae_lens.__version__,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch CPU threads for both (0: torch's default)"
    )
    parser.add_argument(
        "--rows", type=int, default=8 * BATCH, help="distinct training rows (cycled)"
    )
    parser.add_argument("--saelens-worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.saelens_worker is not None:
        saelens_worker(args.saelens_worker, args.steps, args.device)
        return
    import numpy as np

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "acts.npy"
        np.save(data_path, rng.normal(size=(args.rows, D_IN)).astype(np.float32))
        rates = matmul_rate(args.device)
        harness = run_harness(data_path, args.steps, args.device)
        saelens = run_saelens(data_path, args.steps, args.device, args.threads)
    peak = rates["square_flops_per_s"]
    shaped = rates["sae_shaped_flops_per_s"]
    h_rate, s_rate = harness["samples_per_s"], saelens["samples_per_s"]
    achieved = harness["flops"] / harness["seconds"]
    dense_equivalent = h_rate * 10.0 * D_IN * WIDTH
    saelens_achieved = saelens["flops"] / saelens["seconds"]
    lines = [
        f"matmul rate, fp32 2048^3:            {peak / 1e9:8.1f} GFLOP/s",
        f"matmul rate, fp32 4096x384x4096:     {shaped / 1e9:8.1f} GFLOP/s",
        f"harness TopK SAE:                    {h_rate:8.0f} samples/s "
        f"({harness['seconds']:.1f} s)",
        f"SAELens {saelens['version']} TopK SAE:          {s_rate:8.0f} samples/s "
        f"({saelens['seconds']:.1f} s)",
        f"speed ratio harness / SAELens:       {h_rate / s_rate:8.2f}x",
        f"harness FLOP/s (FLOPs it performs):  {achieved / 1e9:8.1f} GFLOP/s = "
        f"{achieved / peak:.0%} of matmul",
        f"harness dense-equivalent FLOP/s:     {dense_equivalent / 1e9:8.1f} GFLOP/s = "
        f"{dense_equivalent / peak:.0%} of matmul",
        f"SAELens FLOP/s (dense, performed):   {saelens_achieved / 1e9:8.1f} GFLOP/s = "
        f"{saelens_achieved / peak:.0%} of matmul",
        f"harness FVE after {args.steps} steps:          {harness['fve']:8.3f}",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
