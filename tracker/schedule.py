"""Periodic tasks of the catalogue, installed by `manage.py setup_periodic_tasks`.

Each app may ship `<app>/schedule.py` with PERIODIC_TASKS: a list of
(name, task, every_seconds, kwargs) tuples, or (name, task, every_seconds, kwargs, queue)
for a task sent to a queue other than the default.
"""

from typing import Any

PERIODIC_TASKS: list[tuple[Any, ...]] = [
    # One heartbeat per queue, so /health/ hears from the gpu worker too.
    ("Worker heartbeat", "tracker.heartbeat", 60, {"queue": "default"}),
    ("Worker heartbeat (gpu queue)", "tracker.heartbeat", 60, {"queue": "gpu"}, "gpu"),
    # The content version's log gains a row per write statement (Postgres); fold it hourly.
    ("Content log compaction", "tracker.compact_content_log", 3600, {}),
    # Every active saved arXiv search, four times a day (arXiv announces once a day).
    ("arXiv ingestion", "tracker.ingest_arxiv", 6 * 3600, {}),
]
