"""The project's settings with Redis's visibility timeout at 10 seconds, for the worker-crash
redelivery test alone: CELERY_VISIBILITY_TIMEOUT's floor (60 s) stays a production guard
(a long task must not be handed to a second worker while the first still runs it); the test
wants the redelivery itself, and each second of the timeout is a second the suite waits."""

from tracker.settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {  # noqa: F405
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "visibility_timeout": 10,
    # kombu looks for messages past the timeout every 10 s but scans on every 10th look
    # only (about every 100 s): scan every second.
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
