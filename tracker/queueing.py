"""The one way to send a Celery task: by name, after the commit, one error when the broker
is down.

    send_on_commit("forecasts.rescore_market", args=[market.pk])   # a service changing rows
    send_now("tracker.ingest_arxiv", kwargs={...})                  # a caller that must know

A task is named, never imported: tasks import services, so a service that imported its
tasks would make a cycle (``make lint`` checks that no ``*.services`` imports a
``*.tasks``). The name resolves to the registered task (the apps' tasks modules are
imported on first use in a process that has not imported them, such as the web server), so
its options and eager mode (the tests) apply; an unknown name raises ``NotRegistered``.

When the broker cannot be reached the message is not sent, and :class:`QueueUnavailable`
is the one error that says so. Every caller keeps a row that says the work is wanted (a
queued run, an open "Run now" request, a market whose scores drift from its outcome), and
the reconciler in beat's process sends again what that row still asks for, so the work is
delayed, never lost:

* :func:`send_now` sends at once and raises :class:`QueueUnavailable`. For callers that
  must tell a person now (the admin's "Run now" and "Replicate", ``replicate --enqueue``)
  and for the reconciler. Call it outside a transaction, after the row is saved: inside
  one, a worker could take the task before the row is visible.
* :func:`after_commit` runs a sending function once the current transaction commits (at
  once outside one), and logs the :class:`QueueUnavailable` it raises instead of raising
  it: an error from an on-commit callback would surface at whichever commit is outermost,
  after the rows it was about are saved. :func:`send_on_commit` is that with
  :func:`send_now`. Record the failure on the row inside the sending function when a page
  should show it (``replication.services.dispatch_run`` sets ``dispatch_error``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

from tracker.celery import app

log = logging.getLogger(__name__)


class QueueUnavailable(Exception):
    """The broker could not be reached: the task was not sent. Its ``__cause__`` is the
    broker's error; ``task`` names the task."""

    def __init__(self, message: str, *, task: str) -> None:
        super().__init__(message)
        self.task = task


def send_now(name: str, *, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None,
             **options: Any) -> str:
    """Send the task ``name`` now; ``options`` are Celery's (queue, time limits, retry).
    Returns the task id; raises :class:`QueueUnavailable` when the broker is down."""
    task = _registered(name)
    try:
        sent = task.apply_async(args=args, kwargs=kwargs, **options)
    except OperationalError as exc:
        raise QueueUnavailable(f"The task queue cannot be reached ({exc})", task=name) from exc
    return sent.id or ""


def _registered(name: str) -> Task:
    """The task registered as ``name``. A web process has imported no tasks module (only a
    worker discovers them at start), so on a miss the apps' tasks modules are imported
    (Celery's autodiscovery, once per process); an unknown name raises NotRegistered."""
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def after_commit(send: Callable[[], object]) -> None:
    """Call ``send`` once the current transaction commits; a :class:`QueueUnavailable` it
    raises is logged, not raised (the caller's row keeps the request for the reconciler)."""

    def sending() -> None:
        try:
            send()
        except QueueUnavailable as exc:
            log.warning("Could not enqueue %s (%s): the saved rows keep the request, and "
                        "the reconciler makes up for it once the broker is back.",
                        exc.task, exc.__cause__ or exc)

    transaction.on_commit(sending)


def send_on_commit(name: str, *, args: Sequence[Any] = (),
                   kwargs: Mapping[str, Any] | None = None, **options: Any) -> None:
    """Send the task ``name`` once the current transaction commits (see :func:`after_commit`)."""
    after_commit(lambda: send_now(name, args=args, kwargs=kwargs, **options))
