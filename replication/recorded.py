"""Runs computed elsewhere: shipped records (``load_seed``) and imported results.

Each becomes a succeeded :class:`ReplicationRun` with origin "recorded" or "imported", its
provenance, and one result; its files are published through the artefact storage. The
results.json's SHA-256 is the run's ``source_digest`` (unique), so loading or importing the
same file twice never makes a second run. Every check runs before anything is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from replication import artifacts, records
from replication.models import ReplicationResult, ReplicationRun, ReplicationSpec

log = logging.getLogger(__name__)
Origin = ReplicationRun.Origin


class ImportRefused(Exception):
    """A result that is not imported; ``kind`` names the check it failed."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def current_versions() -> tuple[Any, str]:
    """(verdict rule version, harness version) of this code."""
    from replication.harness import HARNESS_VERSION
    from replication.harness.stats import RULE_VERSION

    return RULE_VERSION, HARNESS_VERSION


@transaction.atomic
def save_external_run(*, spec: ReplicationSpec, record: records.Record, origin: str,
                      submitted_by: str = "") -> ReplicationRun:
    """A succeeded run of ``spec`` holding ``record``'s result (checked by the caller)."""
    provenance = record.provenance
    finished = parse_datetime(str(provenance.get("date") or "")) or timezone.now()
    run = ReplicationRun.objects.create(
        spec=spec, status=ReplicationRun.Status.SUCCEEDED, queue="", device=spec.device,
        device_used=str(provenance.get("device_description") or provenance.get("device")
                        or "")[:200],
        worker_host=str(provenance.get("machine") or "")[:200], attempts=1, progress=100,
        progress_message=f"{origin}: {record.results['verdict']}", started_at=finished,
        finished_at=finished, origin=origin, provenance=provenance,
        submitted_by=submitted_by[:200], source_digest=record.digest,
        history=[{"at": timezone.now().isoformat(timespec="seconds"), "event": origin,
                  "by": submitted_by, "digest": record.digest}],
    )
    files = record.files()
    ReplicationResult.objects.create(
        run=run, spec_hash=record.results["spec_hash"], verdict=record.results["verdict"],
        results=record.results, artifact_dir=artifacts.publish(run_id=run.pk, files=files),
        artifacts=[name for name in records.KEPT if name in files], attempt=1,
    )
    return run


# --- shipped records ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedRecord:
    key: str
    run_id: int | None
    created: bool
    skipped: str = ""  # why a present record was not loaded


def load_record(*, key: str, folder: Path) -> LoadedRecord:
    """Load one shipped record as a run of the latest version of spec ``key``; a record
    whose spec, rule or harness changed since it was made is left out (the page then says
    "not recorded yet"), never shown under the old numbers."""
    spec = ReplicationSpec.objects.filter(key=key).order_by("-version").first()
    if spec is None:
        return LoadedRecord(key, None, False, f"no seeded spec has key {key!r}")
    try:
        record = records.read_folder(folder, key)
    except records.RecordError as exc:
        return LoadedRecord(key, None, False, exc.message)
    rule, harness = current_versions()
    stale = records.mismatches(record.provenance, spec_hash=spec.spec_hash, rule_version=rule,
                               harness_version=harness)
    if stale:
        return LoadedRecord(key, None, False, "; ".join(reason for _, reason in stale))
    existing = ReplicationRun.objects.filter(source_digest=record.digest).first()
    if existing is not None:
        return LoadedRecord(key, existing.pk, False)
    by = str((record.provenance.get("recording") or {}).get("by") or "")
    run = save_external_run(spec=spec, record=record, origin=Origin.RECORDED, submitted_by=by)
    return LoadedRecord(key, run.pk, True)


# --- imports --------------------------------------------------------------------------------


def check_import(record: records.Record) -> ReplicationSpec:
    """The spec version the result belongs to, or ImportRefused with the reason."""
    spec = ReplicationSpec.objects.filter(spec_hash=record.results["spec_hash"]).order_by(
        "-version").first()
    if spec is None:
        raise ImportRefused("spec_hash", f"No spec here has hash "
                            f"{record.results['spec_hash'][:12]}: add the spec (the same "
                            "text) first, or re-run the spec this tracker has.")
    rule, harness = current_versions()
    found = records.mismatches(record.provenance, spec_hash=spec.spec_hash, rule_version=rule,
                               harness_version=harness)
    if found:
        kind, reason = found[0]
        raise ImportRefused(kind, f"Refused: the result's {reason}. Re-run the spec with this "
                            "tracker's code and import that.")
    existing = ReplicationRun.objects.filter(source_digest=record.digest).first()
    if existing is not None:
        raise ImportRefused("duplicate", f"This results.json is already run {existing.pk} "
                            f"({existing.get_origin_display().lower()}); nothing imported.")
    return spec


def import_result(*, folder: Path, submitted_by: str) -> ReplicationRun:
    """Import a harness output folder computed elsewhere, or raise ImportRefused."""
    if not submitted_by.strip():
        raise ImportRefused("submitter", "Say who computed the result (--submitted-by).")
    try:
        record = records.read_folder(folder)
    except records.RecordError as exc:
        raise ImportRefused(exc.kind, exc.message) from None
    spec = check_import(record)
    return save_external_run(spec=spec, record=record, origin=Origin.IMPORTED,
                             submitted_by=submitted_by.strip())
