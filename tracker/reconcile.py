"""The reconciler: the database is the source of truth for work sent after a commit.

Every step compares rows with what should have happened and repairs the difference, so a
message lost anywhere (never sent because the broker was down, dropped by a broker that
restarted without its data, or held by a worker that died) costs a delay, never the work:

- replication runs: re-queue or fail runs whose worker died; resend queued runs whose
  message may be lost (``replication.services.reconcile_runs``);
- forecast scores: re-score predictions whose stored score disagrees with their outcome or
  with their linked market's resolution (``evaluations.forecasts.services``);
- arXiv ingestion: resend "Run now" requests nobody picked up, and close run-log rows
  left running by a process that died (``tracker.ingestion.services``);
- stored agreements: recompute a market's kappas gone stale without an assessment write
  (a candidacy settled), so pages read them instead of computing them per request
  (``evaluations.aggregates``; pages never store them).

Every step writes only what differs: an idle site's pass changes no row, so it moves no
content version and expires no cached page.

It runs in beat's own process (``tracker.beat.ReconcilingScheduler``) every
TRACKER_RECONCILE_SECONDS, so it needs no worker; ``manage.py reconcile`` runs it once.
Each step is idempotent and fenced: running it twice, or beside a worker, is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def _replication() -> Any:
    from replication.services import reconcile_runs

    return reconcile_runs()


def _scores() -> Any:
    from evaluations.forecasts.services import reconcile_scores

    return reconcile_scores()


def _ingestion() -> Any:
    from tracker.ingestion.services import reconcile_ingestion

    return reconcile_ingestion()


def _agreements() -> Any:
    from evaluations.aggregates import refresh_stale_agreements

    return refresh_stale_agreements()


STEPS: list[tuple[str, Callable[[], Any]]] = [
    ("replication", _replication),
    ("scores", _scores),
    ("ingestion", _ingestion),
    ("agreements", _agreements),
]


def reconcile() -> dict[str, Any]:
    """Run every step; one that fails is logged and reported, the others still run."""
    report: dict[str, Any] = {}
    for name, step in STEPS:
        try:
            report[name] = step()
        except Exception as exc:  # a database blip must not stop the other steps
            log.exception("Reconciliation step %s failed", name)
            report[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return report
