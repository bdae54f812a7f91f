"""Recording a seeded spec: run it through the harness on this commit and keep the output.

``manage.py replicate --record KEY`` / ``--record-all`` call :func:`record_spec`, which runs
the spec file named in ``seed/replication/specs.json`` with ``harness.api.run_spec`` into a
scratch folder and copies results.json, summary.md and deltas.png (never checkpoints) to
``seed/replication/records/KEY/`` with ``record.json`` (``replication.records``). No database
is touched: ``load_seed`` loads the record. :func:`stale_records` is the CI guard's rule: a
present record whose spec file, verdict rule or harness changed since it was made.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replication import records

FOLDER = "replication"
SPECS = "specs.json"


class UnknownSpec(Exception):
    """A key that names no seeded spec."""


@dataclass(frozen=True)
class Recorded:
    key: str
    folder: Path
    verdict: str
    wall_seconds: float
    load_before: str
    load_after: str


def seeded_specs(seed_dir: Path) -> dict[str, dict[str, Any]]:
    """key -> its entry in specs.json, in the file's order."""
    data = json.loads((seed_dir / FOLDER / SPECS).read_text(encoding="utf-8"))
    return {entry["key"]: entry for entry in data.get("specs", [])}


def spec_file(seed_dir: Path, key: str) -> Path:
    entries = seeded_specs(seed_dir)
    if key not in entries:
        raise UnknownSpec(f"No seeded spec has key {key!r}; seeded: {', '.join(entries)}.")
    return seed_dir / FOLDER / entries[key]["file"]


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def record_spec(*, key: str, seed_dir: Path, device: str | None = None, by: str = "",
                progress: Callable[[float, str], None] | None = None) -> Recorded:
    """Run seeded spec ``key`` here and write its record (replacing an older one)."""
    from replication.harness.api import load_spec_file, run_spec

    spec = load_spec_file(spec_file(seed_dir, key))
    load_before, started = load_average(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"record-{key}-") as scratch:
        result = run_spec(spec, Path(scratch), progress=progress, device=device)
        wall = time.perf_counter() - started
        load_after = load_average()
        recording = {
            "command": f"python manage.py replicate --record {key}"
                       + (f" --device {device}" if device else ""),
            "by": by or os.environ.get("USER", ""),
            "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "wall_seconds": round(wall, 1),
            "load_average_start": load_before,
            "load_average_end": load_after,
        }
        folder = records.write_record(key=key, out_dir=Path(scratch),
                                      records_dir=seed_dir / FOLDER / records.RECORDS,
                                      recording=recording)
    return Recorded(key, folder, result.verdict, wall, load_before, load_after)


def stale_records(seed_dir: Path) -> dict[str, list[str]]:
    """key -> why its present record no longer matches (empty when every record is current).
    A missing record is not stale: the pages say "not recorded yet"."""
    from replication.harness.api import load_spec_file, spec_hash
    from replication.recorded import current_versions

    rule, harness = current_versions()
    entries = seeded_specs(seed_dir)
    stale: dict[str, list[str]] = {}
    for key, folder in records.record_folders(seed_dir, FOLDER).items():
        if key not in entries:
            stale[key] = ["no seeded spec has this key"]
            continue
        try:
            record = records.read_folder(folder, key)
        except records.RecordError as exc:
            stale[key] = [exc.message]
            continue
        current = spec_hash(load_spec_file(seed_dir / FOLDER / entries[key]["file"]))
        found = records.mismatches(record.provenance, spec_hash=current, rule_version=rule,
                                   harness_version=harness)
        if found:
            stale[key] = [reason for _, reason in found]
    return stale
