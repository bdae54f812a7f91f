"""Test-only launcher: ``python -m tests.paused_worker SECONDS <celery arguments>``.

Starts a Celery worker whose replication runs wait SECONDS after each progress write, so a
small run lasts long enough for a crash test to kill the worker in its middle, on a fast
machine as on a busy one. The patch is made in this process before Celery starts, so the
solo pool and prefork's forked children both run with it; production code has no hook.
"""

from __future__ import annotations

import sys
import time


def pause_after_each_progress_write(seconds: float) -> None:
    from replication.services import ThrottledProgress

    write = ThrottledProgress.__call__

    def write_then_pause(self: ThrottledProgress, fraction: float, message: str) -> None:
        before = self.writes
        write(self, fraction, message)
        if self.writes > before:
            time.sleep(seconds)

    ThrottledProgress.__call__ = write_then_pause  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    import django
    from celery.__main__ import main as celery_main

    import tracker  # noqa: F401 - sets DJANGO_SETTINGS_MODULE

    django.setup()
    pause_after_each_progress_write(float(argv[0]))
    sys.argv = ["celery", *argv[1:]]
    celery_main()


if __name__ == "__main__":
    main(sys.argv[1:])
