"""Celery tasks of replication: thin, they take ids and call services.

`replication.run` is sent by :func:`replication.services.dispatch_run` to the ``gpu`` queue
for CUDA specs and ``default`` otherwise, with the spec's hard and soft time limits. It is
acknowledged late (after it returns) and rejected back to the queue when its pool process
dies (``reject_on_worker_lost``): the redelivered task takes the run over when the earlier
attempt is dead, and is skipped when the run is finished or owned by a live worker. What
the broker never redelivers (a whole worker lost, Redis restarted) the reconciler in
beat's process re-queues or resends (``tracker.beat``). The harness, and so torch, is
imported only inside the task body.
"""

from __future__ import annotations

import socket

from celery import shared_task

from replication import services


@shared_task(name="replication.run", bind=True, acks_late=True, reject_on_worker_lost=True,
             ignore_result=True)
def run_replication(self, run_id: int) -> str:
    from replication.execution import execute_run

    host = self.request.hostname or socket.gethostname()
    return execute_run(run_id=run_id, worker_host=host)


@shared_task(name="replication.reap", ignore_result=True)
def reap_replications() -> dict[str, list[int]]:
    """The reconciler's replication step, for a beat entry made before it moved into
    beat's own process (tracker.beat); running both is harmless."""
    return services.reconcile_runs()
