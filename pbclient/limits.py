"""Limits on one answer: a deadline for the whole exchange and a cap on the body's size.

requests' timeout is per read: a server that sends one byte every few seconds (in its headers or
its body) never trips it, and a body is read whole into memory however large it is. So each
attempt of `Client.send` runs under a `Watch`:

- a process-wide watchdog thread cuts the attempt's connection (shuts its socket down) when the
  deadline passes, wherever the exchange is blocked: sending, waiting for the headers, reading
  the body. The session's connections (see `pbclient.session`) tell the current thread's watch
  which connection is theirs as they send;
- `read_body` reads the body in pieces of at most one socket read each, checking the deadline
  between them (also for a caller's own session, whose connections do not report) and stopping
  at the size cap without holding more than the cap.

A fully read body leaves the connection in the pool (keep-alive); a cut one is closed.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
import urllib3.exceptions

from pbclient.errors import DeadlineError, UnexpectedAnswerError

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_ANSWER_BYTES",
    "Watch",
    "attach",
    "exchange",
    "read_body",
]

log = logging.getLogger(__name__)

#: seconds for a whole exchange; a 100-row page takes well under a second on a sane server
DEFAULT_DEADLINE = 120.0
#: the largest body read: far above a 100-row page (~100 KB) or a helping image
DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024

#: the most one read asks for (a piece is what one socket read returns, often less)
_PIECE = 64 * 1024

_current = threading.local()


class Watch:
    """The deadline of one attempt, and the connection it may have to cut.

    Use as a context manager around the request in the thread that sends it; `finish()` once the
    body is read.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.due = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._connection: Any = None
        self._socket: Any = None
        self._done = False

    def __enter__(self) -> Watch:
        _current.watch = self
        _watchdog.add(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _current.watch = None

    def left(self) -> float:
        """Seconds until the deadline (negative once it passed)."""
        return self.due - time.monotonic()

    def check(self, method: str, url: str) -> None:
        """Raise `DeadlineError` if the deadline passed."""
        if self.expired or self.left() <= 0:
            self.expired = True
            raise self.error(method, url)

    def error(self, method: str, url: str) -> DeadlineError:
        """The error for an attempt past its deadline."""
        return DeadlineError(
            f"no whole answer within the deadline of {self.seconds:g} s (the server sends too "
            "slowly)",
            method=method,
            url=url,
            maybe_applied=True,
        )

    def attach(self, connection: Any) -> None:
        """Note the connection the attempt uses (cut at once if the deadline already passed).

        Its socket is remembered too: a connection that will close after this answer hands
        the socket to the response and forgets it, while the body is still to be read.
        """
        with self._lock:
            if self._done:
                return
            self._connection = connection
            self._socket = getattr(connection, "sock", None) or self._socket
            if self.expired:
                self._cut()

    def expire(self) -> None:
        """Called by the watchdog at the deadline: cut the connection."""
        with self._lock:
            if self._done:
                return
            self.expired = True
            self._cut()

    def finish(self) -> None:
        """The attempt is over: the watchdog leaves its connection alone from now on."""
        with self._lock:
            self._done = True
            self._connection = self._socket = None

    def _cut(self) -> None:
        sock = getattr(self._connection, "sock", None) or self._socket
        if sock is None:
            return  # not connected yet: the connect timeout bounds that part
        # the plain socket's shutdown, also for TLS: it wakes the thread blocked in a read
        # without touching the TLS state that thread is using (OSError: closed already)
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def attach(connection: Any) -> None:
    """Called by the session's connections as they send: the current thread's watch may cut it."""
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.attach(connection)


class _Watchdog:
    """One daemon thread for the process: expires watches when their deadline passes."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, watch: Watch) -> None:
        with self._cond:
            heapq.heappush(self._heap, (watch.due, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="pbclient-deadline", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is watch:
                self._cond.notify()  # earlier than what the thread waits for

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    heapq.heappop(self._heap)[2].expire()
                # (an infinite or huge deadline waits for the next `add` instead)
                left = self._heap[0][0] - now if self._heap else math.inf
                self._cond.wait(left if left < threading.TIMEOUT_MAX else None)


_watchdog = _Watchdog()


def exchange(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: float,
    deadline: float,
    max_bytes: int,
    what: str,
    **kwargs: Any,
) -> requests.Response:
    """One request and its whole answer, under a `Watch`; redirects are not followed.

    Args:
        session: the session to send through.
        method, url: the request; `kwargs` go to `session.request` (headers, params, body).
        timeout: seconds for connecting and for each read.
        deadline: seconds for the whole exchange.
        max_bytes: the largest body read.
        what: the request as messages name it (`GET /api/task`).

    Raises:
        DeadlineError: past the deadline.
        UnexpectedAnswerError: the body is larger than `max_bytes`.
        requests.RequestException: the connection failed.
    """
    with Watch(deadline) as watch:
        try:
            response = session.request(
                method,
                url,
                timeout=timeout,
                stream=True,
                # redirects are for the caller to judge: requests would carry a query key along
                allow_redirects=False,
                **kwargs,
            )
            read_body(response, watch, max_bytes, method, what)
        except requests.RequestException:
            if watch.expired:  # the watchdog cut the connection
                raise watch.error(method, url) from None
            raise
        finally:
            watch.finish()
    return response


def read_body(
    response: requests.Response, watch: Watch, max_bytes: int, method: str, what: str
) -> None:
    """Read `response`'s body (sent with `stream=True`) within the deadline and the size cap.

    Afterwards `response.content` holds the body, as requests would have read it.

    Raises:
        DeadlineError: the deadline passed.
        UnexpectedAnswerError: the body is larger than `max_bytes` (nothing more is read).
        requests.RequestException: the connection broke, as requests would raise it.
    """
    url = response.url
    too_large = UnexpectedAnswerError(
        f"{what}: the answer is larger than {_size(max_bytes)}, the most the client reads",
        status=response.status_code,
        method=method,
        url=url,
    )
    try:
        declared = int(response.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    body = bytearray()
    try:
        if declared > max_bytes:
            raise too_large
        watch.check(method, url)
        for piece in _pieces(response):
            body += piece
            if len(body) > max_bytes:
                raise too_large
            watch.check(method, url)
        if watch.expired:  # a body read until the connection closes ends early when cut
            raise watch.error(method, url)
    except requests.RequestException:
        response.close()
        if watch.expired:  # the watchdog cut the connection
            raise watch.error(method, url) from None
        raise
    except BaseException:
        response.close()  # not read to the end: the connection cannot be reused
        raise
    response._content = bytes(body)
    response._content_consumed = True  # type: ignore[attr-defined]


def _pieces(response: requests.Response) -> Iterator[bytes]:
    """The decoded body, a piece per socket read (so the deadline is checked between reads)."""
    read1 = getattr(response.raw, "read1", None)
    if read1 is None:  # not urllib3's response (a caller's own adapter): requests' own pieces
        yield from response.iter_content(_PIECE)
        return
    while piece := _read_piece(read1):
        yield piece


def _read_piece(read1: Callable[..., bytes]) -> bytes:
    """One `read1`, with urllib3's errors raised as requests raises them."""
    try:
        return bytes(read1(_PIECE, decode_content=True))
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from exc
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ConnectionError(exc) from exc
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(exc) from exc


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"
