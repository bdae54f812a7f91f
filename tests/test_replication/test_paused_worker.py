"""The crash tests' worker launcher: a pause after each progress write, none when throttled."""

from __future__ import annotations

from replication import services
from tests import paused_worker


def test_the_launcher_pauses_after_each_progress_write_only(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(paused_worker.time, "sleep", slept.append)
    monkeypatch.setattr(services, "record_progress", lambda **kwargs: None)
    # restored after the test: the launcher patches the class, as in the worker process
    monkeypatch.setattr(services.ThrottledProgress, "__call__",
                        services.ThrottledProgress.__call__)
    paused_worker.pause_after_each_progress_write(0.8)

    progress = services.ThrottledProgress(run_id=1, attempt=1, interval=3600)
    progress(0.1, "first: written")
    progress(0.2, "within the interval: throttled")
    progress(1.0, "last: written")

    assert progress.writes == 2
    assert slept == [0.8, 0.8]
