"""Celery tasks of replication: thin, they take ids and call services.

`replication.run` is sent by :func:`replication.services.dispatch_run` to the ``gpu`` queue
for CUDA specs and ``default`` otherwise, with the spec's hard and soft time limits.
``acks_late`` with prefetch 1 (the project's settings) means a task whose worker dies is
redelivered where the broker can (Redis, after the visibility timeout): the redelivered
task re-claims the run only if its heartbeat is stale, so it completes once or is reaped.
The harness, and so torch, is imported only inside the task body.
"""

from __future__ import annotations

import socket

from celery import shared_task

from replication import services


@shared_task(name="replication.run", bind=True, acks_late=True, ignore_result=True)
def run_replication(self, run_id: int) -> str:
    from replication.execution import execute_run

    host = self.request.hostname or socket.gethostname()
    return execute_run(run_id=run_id, worker_host=host)


@shared_task(name="replication.reap", ignore_result=True)
def reap_replications() -> dict[str, list[int]]:
    """Fail runs whose worker stopped; send queued runs the broker never accepted."""
    reaped = services.reap_stale_runs()
    sent = services.redispatch_queued_runs()
    return {"reaped": reaped, "redispatched": sent}
