"""Periodic tasks of replication, installed by `manage.py setup_periodic_tasks`.

None: reaping and resending run in beat's own process (tracker.beat), so they do not
wait for a worker.
"""

from typing import Any

PERIODIC_TASKS: list[tuple[str, str, int, dict[str, Any]]] = []
