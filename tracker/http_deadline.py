"""A deadline on reading one HTTP answer, however slowly its bytes trickle in.

A read timeout bounds each wait for the next bytes, not the whole answer: a server that
sends one byte every few seconds never trips it. ``cut_off_after`` starts a timer that, at
the deadline, shuts the answer's socket down, which ends a blocked read at once (closing
it from another thread would not); the read then fails and ``expired`` says why. The
arXiv client and the Manifold importer both use it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import requests


@contextlib.contextmanager
def cut_off_after(response: requests.Response, seconds: float) -> Iterator[threading.Event]:
    """Within the block, ``response``'s socket is shut down after ``seconds``; the event
    yielded is set when that happened."""
    expired = threading.Event()
    timer = threading.Timer(max(seconds, 0.0), _cut, args=(response, expired))
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()


def _cut(response: requests.Response, expired: threading.Event) -> None:
    expired.set()
    sock = _socket_of(response)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _socket_of(response: requests.Response) -> socket.socket | None:
    """The socket the answer is read from: the connection's, or (when the server said it
    will close the connection, as HTTP/1.0 servers do, and http.client let go of it) the
    one under the answer's own file."""
    raw = response.raw
    connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:
        reader = getattr(getattr(raw, "_fp", None), "fp", None)  # http.client's file
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
    return sock
