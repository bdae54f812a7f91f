"""Is the process that holds a run still alive? Asked by a redelivered task.

Each claim records the machine and process id that took the run (in the run's history).
A task redelivered to a worker on the same machine (a pool child killed by the OOM
killer: Celery rejects its message, with ``task_reject_on_worker_lost``, and a new child
takes it) can then see at once that the previous attempt is dead, instead of waiting for
its heartbeat to go stale. On another machine only the heartbeat can tell.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def this_process() -> dict[str, Any]:
    return {"machine": socket.gethostname(), "pid": os.getpid()}


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs on this machine (a zombie, killed but not yet waited
    for by its parent, counts as dead)."""
    stat = Path(f"/proc/{pid}/stat")
    if stat.parent.parent.is_dir() and Path("/proc/self").exists():
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return False
        return fields[0] not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def last_claim(history: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    return next((e for e in reversed(history) if e.get("event") == "claimed"), None)


def holder_is_dead(history: Sequence[dict[str, Any]]) -> bool:
    """True when the last claim was made by a process on this machine that has died.

    False when it cannot be known here: another machine, no record, or this very process
    (with a thread pool it could still be running the earlier attempt); the reconciler
    then re-queues the run once its heartbeat is stale."""
    claim = last_claim(history)
    if not claim:
        return False
    me = this_process()
    pid = claim.get("pid")
    if claim.get("machine") != me["machine"] or not isinstance(pid, int) or pid == me["pid"]:
        return False
    return not process_alive(pid)
