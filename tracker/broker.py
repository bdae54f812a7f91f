"""What the broker holds: the depth of each queue, read through kombu's own channel.

The reconciler asks this before it resends a queued run whose message may have been lost
(a queue that still holds messages may hold that one), and /health/ shows it.
"""

from __future__ import annotations

from collections.abc import Iterable

from kombu.exceptions import ChannelError, OperationalError


class BrokerUnavailable(Exception):
    """The broker could not be reached to count its queues."""


def queue_depths(names: Iterable[str], *, timeout: float = 2.0) -> dict[str, int]:
    """Messages waiting in each named queue (0 for a queue the broker does not know).

    Messages a worker has taken but not acknowledged are not counted: they are no longer
    waiting. Raises :class:`BrokerUnavailable` when the broker cannot be reached.
    """
    from tracker.celery import app

    depths: dict[str, int] = {}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            channel = conn.default_channel
            for name in dict.fromkeys(names):
                try:
                    depths[name] = int(channel.queue_declare(queue=name, passive=True)
                                       .message_count)
                except ChannelError:  # Redis forgets an empty queue: nothing waits there
                    depths[name] = 0
    except (OperationalError, OSError) as exc:
        raise BrokerUnavailable(f"The task queue cannot be reached: {exc}") from exc
    return depths
