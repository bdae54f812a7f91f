"""A running job's progress as a reader reads it: the share done, how long it has run, and
an estimate of what is left at the pace so far (pure: the run and the time are passed in)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

# Below this much done, or this long running, the pace says too little to estimate from.
MIN_PERCENT = 1
MIN_ELAPSED = dt.timedelta(seconds=10)


class Running(Protocol):
    progress: int
    progress_message: str
    started_at: dt.datetime | None


@dataclass(frozen=True)
class Progress:
    percent: int
    message: str
    elapsed: dt.timedelta | None
    remaining: dt.timedelta | None  # None: not estimated yet

    @property
    def elapsed_text(self) -> str:
        return duration_words(self.elapsed) if self.elapsed is not None else "not started"

    @property
    def remaining_text(self) -> str:
        if self.remaining is None:
            return "not estimated yet"
        return f"about {duration_words(self.remaining)} left at the pace so far"


def progress_of(run: Running, now: dt.datetime) -> Progress:
    percent = max(0, min(100, int(run.progress or 0)))
    elapsed = max(now - run.started_at, dt.timedelta(0)) if run.started_at else None
    remaining = None
    if elapsed is not None and percent >= MIN_PERCENT and elapsed >= MIN_ELAPSED:
        remaining = elapsed * (100 - percent) / percent
    return Progress(percent, run.progress_message, elapsed, remaining)


def duration_words(span: dt.timedelta) -> str:
    """'42 s', '4 min 12 s', '1 h 5 min': the two largest units, rounded down."""
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"
