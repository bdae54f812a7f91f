"""Command line: ``python -m replication run SPEC --out DIR [--device D]`` and ``validate SPEC``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from replication.harness.errors import HarnessError


def _progress_bar():  # noqa: ANN202 - a progress callback
    from tqdm import tqdm

    bar = tqdm(
        total=1000,
        unit="",
        bar_format="{l_bar}{bar}| {elapsed}<{remaining} {postfix}",
        file=sys.stderr,
    )

    def update(fraction: float, message: str) -> None:
        bar.n = int(round(1000 * fraction))
        bar.set_description(message[:60].ljust(60), refresh=False)
        bar.refresh()
        if fraction >= 1.0:
            bar.close()

    return update


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    parser = argparse.ArgumentParser(prog="python -m replication", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a spec and write results.json, summary.md and deltas.png")
    run.add_argument("spec", help="TOML or JSON spec file")
    run.add_argument("--out", required=True, help="output directory")
    run.add_argument(
        "--device", default=None, help="override the spec's device (auto, cpu, cuda, cuda:N)"
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    check = sub.add_parser("validate", help="validate a spec and print its hash")
    check.add_argument("spec")
    args = parser.parse_args(argv)

    from replication.harness.spec import load_spec_file, spec_hash

    try:
        spec = load_spec_file(args.spec)
        if args.command == "validate":
            print(spec_hash(spec))
            return 0
        from replication.harness.api import run_spec

        progress = None if args.quiet else _progress_bar()
        result = run_spec(spec, Path(args.out), progress=progress, device=args.device)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"verdict: {result.verdict}")
    print(f"results: {result.results_path}")
    print(f"summary: {result.summary_path}")
    print(f"plot:    {result.plot_path}")
    return 0
