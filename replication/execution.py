"""The worker's code path: claim a run, run the harness, record the outcome.

This is the only module that imports the harness's runner (and so torch), and only
inside :func:`execute_run`; the Celery task and `manage.py replicate` call it. A heartbeat
thread touches the run every REPLICATION_HEARTBEAT_SECONDS while the harness works, so a
run whose process dies (SIGKILL, out of memory) goes stale and the reaper, or a
redelivered task, can tell.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from pathlib import Path

from django.conf import settings
from django.db import connections

from replication import conf, services
from replication.models import ReplicationRun

log = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Touches the run's heartbeat from a daemon thread until stopped or the run is lost."""

    def __init__(self, *, run_id: int, attempt: int, every: float | None = None) -> None:
        super().__init__(name=f"replication-heartbeat-{run_id}", daemon=True)
        self.run_id = run_id
        self.attempt = attempt
        self.every = conf.heartbeat_seconds() if every is None else every
        self._stop_event = threading.Event()
        self.lost = False

    def run(self) -> None:
        try:
            while not self._stop_event.wait(self.every):
                try:
                    if not services.touch_heartbeat(run_id=self.run_id, attempt=self.attempt):
                        self.lost = True
                        return
                except Exception:  # a database blip must not kill the thread
                    log.exception("heartbeat of replication run %s failed", self.run_id)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def execute_run(*, run_id: int, worker_host: str, out_dir: Path | None = None) -> str:
    """Claim and run one replication; returns what happened: succeeded, failed, lost or
    skipped (someone else owns it, or it is finished or cancelled)."""
    attempt = services.claim_run(run_id=run_id, worker_host=worker_host)
    if attempt is None:
        log.info("Replication run %s not claimed by %s: not queued, or owned by a live "
                 "worker", run_id, worker_host)
        return "skipped"
    run = ReplicationRun.objects.select_related("spec").get(pk=run_id)
    out_dir = Path(out_dir) if out_dir else services.artifact_dir(run_id)
    heartbeat = Heartbeat(run_id=run_id, attempt=attempt)
    heartbeat.start()
    try:
        return _run_harness(run, attempt=attempt, out_dir=out_dir)
    finally:
        heartbeat.stop()


def export_harness_settings() -> None:
    """Hand the harness the one setting it reads, through its environment: it imports no
    Django (an import contract), so it cannot read ``settings.REPLICATION_CACHE_DIR``."""
    os.environ["REPLICATION_CACHE_DIR"] = str(settings.REPLICATION_CACHE_DIR)


def _run_harness(run: ReplicationRun, *, attempt: int, out_dir: Path) -> str:
    from celery.exceptions import SoftTimeLimitExceeded

    progress = services.ThrottledProgress(run_id=run.pk, attempt=attempt)
    try:
        from replication.harness.api import parse_spec, run_spec

        export_harness_settings()
        spec = parse_spec(run.spec.text, source=f"replication spec {run.spec_id}")
        result = run_spec(spec, out_dir, progress=progress, device=run.device)
        files = [p.name for p in (result.results_path, result.summary_path, result.plot_path)]
        device_used = str(result.results.get("provenance", {}).get("device", run.device))
        services.finish_run(run_id=run.pk, attempt=attempt, results=result.results,
                            out_dir=out_dir, artifacts=files, device_used=device_used)
        return "succeeded"
    except services.RunLost as exc:
        log.warning("Replication run %s stopped: %s", run.pk, exc)
        return "lost"
    except SoftTimeLimitExceeded:
        services.fail_run(
            run_id=run.pk, attempt=attempt,
            error=f"The run passed its soft time limit of {run.spec.soft_time_limit} s and "
            "was stopped. Raise the spec's limits (a new version) or shrink the spec.",
        )
        return "failed"
    except Exception as exc:
        is_input_error = _is_harness_error(exc)
        services.fail_run(
            run_id=run.pk, attempt=attempt,
            error=(f"{type(exc).__name__}: {exc}" if is_input_error
                   else f"The harness crashed: {type(exc).__name__}: {exc}")[:5000],
            traceback=traceback.format_exc(),
        )
        log.exception("Replication run %s failed", run.pk)
        return "failed"


def _is_harness_error(exc: Exception) -> bool:
    try:
        from replication.harness.errors import HarnessError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, HarnessError)
