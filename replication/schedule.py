"""Periodic tasks of replication, installed by `manage.py setup_periodic_tasks`."""

PERIODIC_TASKS = [
    ("Reap stale replication runs", "replication.reap", 60, {}),
]
