"""A small seed folder whose one replication spec (synthetic data, seconds on a CPU) is
recorded by the real harness, for the tests of records, imports and reproductions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.replication_specs import synthetic_spec_text

KEY = "tiny-probe"
CANDIDACY = {"paper": "2502.16681", "market": "sae-downstream-beat-baselines"}


def write_seed(folder: Path, *, specs: dict[str, str] | None = None) -> Path:
    """A seed folder with ``replication/specs.json`` naming each spec (key -> TOML text)."""
    specs = specs if specs is not None else {KEY: synthetic_spec_text(name="tiny probe")}
    root = folder / "replication"
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for key, text in specs.items():
        (root / f"{key}.toml").write_text(text)
        entries.append({"key": key, "file": f"{key}.toml", "title": f"Spec {key}",
                        "candidacy": CANDIDACY, "claims": [], "time_limit": 600,
                        "soft_time_limit": 570, "note": f"What {key} leaves out."})
    (root / "specs.json").write_text(json.dumps({"specs": entries}))
    return folder


def copy_seed(recorded: Path, folder: Path) -> Path:
    """A private copy of a recorded seed folder (tests edit it)."""
    shutil.copytree(recorded, folder)
    return folder


def record_folder(seed: Path, key: str = KEY) -> Path:
    return seed / "replication" / "records" / key


def recorded_seed(folder: Path) -> Path:
    """A seed folder under ``folder`` whose spec the real harness recorded."""
    from replication import recording

    seed = write_seed(folder / "seed")
    recording.record_spec(key=KEY, seed_dir=seed, by="tests")
    return seed
