"""Recorded results: harness output kept with the seed, with its provenance.

A record is a folder ``seed/replication/records/<KEY>/`` holding the files the harness wrote
for the seeded spec KEY (results.json, summary.md, deltas.png; never checkpoints), unedited,
and ``record.json``: the provenance read from results.json (:func:`provenance_of`) plus how
it was recorded (the command, the load average). ``manage.py replicate --record KEY`` writes
one; ``load_seed`` loads it as a run "recorded elsewhere" (``replication.recorded``).

Pure functions over dicts and folders: no database, no torch. :func:`mismatches` is the one
rule that both the CI guard (a stale record) and ``import_result`` (a result from another
machine) apply; :func:`agreement` says whether a reproduction agrees with a record.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORDS = "records"
RECORD_FILE = "record.json"
RESULTS = "results.json"
#: What a record keeps of a harness output folder, results.json first.
KEPT = ("results.json", "summary.md", "deltas.png")
PNG = b"\x89PNG\r\n\x1a\n"
VERDICTS = ("beats", "equivalent", "loses", "inconclusive", "invalid")


class RecordError(Exception):
    """A record or result folder that cannot be read; ``kind`` names what is wrong."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Record:
    key: str
    folder: Path
    results: dict[str, Any]
    provenance: dict[str, Any]
    digest: str  # SHA-256 of results.json as written

    def files(self) -> dict[str, bytes]:
        return {name: (self.folder / name).read_bytes() for name in KEPT
                if (self.folder / name).is_file()}


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def provenance_of(results: Mapping[str, Any]) -> dict[str, Any]:
    """What a page shows of where a result came from, read from the harness's results.json."""
    prov = results.get("provenance") or {}
    rule = results.get("rule") or {}
    compute = results.get("compute") or {}
    return {
        "code_commit": prov.get("git_commit"),
        "spec_hash": results.get("spec_hash"),
        "rule_version": rule.get("version"),
        "harness_version": prov.get("harness_version"),
        "device": prov.get("device"),
        "device_description": prov.get("device_description"),
        "machine": prov.get("machine"),
        "wall_seconds": compute.get("wall_seconds"),
        "date": prov.get("finished_at"),
    }


def spec_hash_of_results(results: Mapping[str, Any]) -> str:
    """The hash of the spec block inside results.json, as the harness computes it
    (``harness.spec.spec_hash``: SHA-256 of its canonical JSON)."""
    canonical = json.dumps(results.get("spec"), sort_keys=True, separators=(",", ":"))
    return digest_of(canonical.encode("utf-8"))


def mismatches(provenance: Mapping[str, Any], *, spec_hash: str, rule_version: Any,
               harness_version: str) -> list[tuple[str, str]]:
    """(kind, reason) for each way a result no longer belongs to this code and spec."""
    found = []
    if provenance.get("spec_hash") != spec_hash:
        found.append(("spec_hash", f"spec hash {str(provenance.get('spec_hash'))[:12]} is not "
                      f"the spec's current hash {spec_hash[:12]} (the spec changed)"))
    if provenance.get("rule_version") != rule_version:
        found.append(("rule_version", f"verdict rule version {provenance.get('rule_version')} "
                      f"is not this code's {rule_version}"))
    if provenance.get("harness_version") != harness_version:
        found.append(("harness_version", f"harness version "
                      f"{provenance.get('harness_version')} is not this code's "
                      f"{harness_version}"))
    return found


def parse_results(data: bytes, where: str) -> dict[str, Any]:
    """results.json's content, checked for the fields a recorded run needs."""
    try:
        results = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RecordError("malformed", f"{where} is not valid JSON ({exc}).") from None
    if not isinstance(results, dict):
        raise RecordError("malformed", f"{where} is not a JSON object.")
    for field in ("spec_hash", "verdict", "spec", "rule", "provenance", "task"):
        if not results.get(field):
            raise RecordError("malformed", f"{where} has no {field!r}: not a harness "
                              "results.json.")
    if results["verdict"] not in VERDICTS:
        raise RecordError("malformed", f"{where}: verdict {results['verdict']!r} is not one "
                          f"of {', '.join(VERDICTS)}.")
    if spec_hash_of_results(results) != results["spec_hash"]:
        raise RecordError("tampered", f"{where}: its spec block does not hash to its "
                          "spec_hash: the file was edited after the harness wrote it.")
    return results


def read_folder(folder: Path, key: str = "") -> Record:
    """A record, or a result folder to import: results.json checked, provenance from it."""
    path = folder / RESULTS
    if not folder.is_dir():
        raise RecordError("malformed", f"{folder} is not a folder.")
    if not path.is_file():
        raise RecordError("malformed", f"{folder} has no {RESULTS}.")
    data = path.read_bytes()
    results = parse_results(data, str(path))
    _check_files(folder)
    provenance = provenance_of(results)
    extra = folder / RECORD_FILE
    if extra.is_file():
        try:
            recorded = json.loads(extra.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise RecordError("malformed", f"{extra} is not valid JSON ({exc}).") from None
        provenance["recording"] = recorded.get("recording", {})
    return Record(key=key or folder.name, folder=folder, results=results,
                  provenance=provenance, digest=digest_of(data))


def _check_files(folder: Path) -> None:
    plot, summary = folder / "deltas.png", folder / "summary.md"
    if plot.is_file() and not plot.read_bytes().startswith(PNG):
        raise RecordError("malformed", f"{plot} is not a PNG image.")
    if summary.is_file():
        try:
            summary.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise RecordError("malformed", f"{summary} is not UTF-8 text.") from None


def write_record(*, key: str, out_dir: Path, records_dir: Path,
                 recording: Mapping[str, Any]) -> Path:
    """Copy a harness output folder's kept files to ``records_dir/key`` (replacing an older
    record), with record.json; returns the folder."""
    folder = records_dir / key
    staging = records_dir / f".{key}.new"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    for name in KEPT:
        if (out_dir / name).is_file():
            shutil.copyfile(out_dir / name, staging / name)
    results = parse_results((staging / RESULTS).read_bytes(), str(out_dir / RESULTS))
    document = {"key": key, "provenance": provenance_of(results), "recording": dict(recording)}
    (staging / RECORD_FILE).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)  # a half-written record is never left under the key
    return folder


def record_folders(seed_dir: Path, folder: str) -> dict[str, Path]:
    """key -> record folder, for every record present."""
    root = seed_dir / folder / RECORDS
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")}


def _overall(results: Mapping[str, Any]) -> dict[str, Any]:
    from replication.results import overall

    return overall(results)


def agreement(record: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Whether a new run agrees with a record: the same verdict, and its effect (the SAE
    method minus the best baseline, overall) inside the record's confidence interval."""
    old, now = _overall(record), _overall(new)
    low, high, delta = old["ci_low"], old["ci_high"], now["delta"]
    within = None if None in (low, high, delta) else low <= delta <= high
    same = old["verdict"] == now["verdict"]
    return {
        "record_verdict": old["verdict"], "verdict": now["verdict"], "same_verdict": same,
        "record_delta": old["delta"], "ci_low": low, "ci_high": high, "delta": delta,
        "within_ci": within, "agrees": bool(same and within),
    }
