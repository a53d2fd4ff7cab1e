"""Fault injection and request counters, applied around the whole WSGI application.

Tests and benchmarks use them to stage what a real server does on a bad day (5xx, 429, a dropped
connection, latency) and to count the requests a client really sent. A `Hold` stops one write
between its lookup and its commit, so that a test can stage a race (another client deleting the
same row meanwhile) with events instead of timing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from waitress.channel import ClientDisconnected

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: paths never faulted nor counted (the test controls themselves)
CONTROL_PREFIX = "/_pbsync/"

_REASONS = {
    429: "TOO MANY REQUESTS",
    500: "INTERNAL SERVER ERROR",
    502: "BAD GATEWAY",
    503: "SERVICE UNAVAILABLE",
    504: "GATEWAY TIMEOUT",
}


@dataclass
class Fault:
    """One fault rule: applies to the next `count` matching requests."""

    count: int
    status: int | None = None
    drop: bool = False
    latency: float = 0.0
    path: str | None = None
    method: str | None = None
    #: matching requests to let through untouched before the rule applies
    after: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Return True when this rule applies to a request."""
        if self.count <= 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or self.path == path


@dataclass(eq=False)
class Hold:
    """One write stopped between its lookup and its commit (`FaultInjector.hold`).

    `reached` is set once the request has looked its row up (and was allowed to write it); the
    request goes on when `release()` is called, or after `timeout` seconds, so that a failing
    test cannot leave a server thread stuck.
    """

    method: str
    path: str
    timeout: float = 30.0
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        """Let the held request go on."""
        self.released.set()

    def stops(self, method: str, path: str) -> bool:
        """Whether this hold is still waiting for a request like this one."""
        return not self.reached.is_set() and (self.method, self.path) == (method, path)


class FaultInjector:
    """Rules that make the next requests fail, and holds that stop writes; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._holds: list[Hold] = []

    def add(
        self,
        count: int,
        *,
        status: int | None = None,
        drop: bool = False,
        latency: float = 0.0,
        path: str | None = None,
        method: str | None = None,
        after: int = 0,
    ) -> None:
        """Make the next `count` requests (to `path`, with `method`, if given) misbehave.

        Args:
            count: how many matching requests the rule applies to.
            status: answer this status (500/502/503 ... or 429) instead of handling the request.
            drop: close the connection without any response.
            latency: sleep this many seconds before answering.
            path: only requests to this exact path (e.g. "/api/task").
            method: only requests with this method.
            after: let this many matching requests through first (the rule then applies to
                the next `count`): "the 500th task POST" without racing the client to it.

        Raises:
            ValueError: for a rule that does nothing or an unsupported status.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        if status is None and not drop and latency <= 0:
            raise ValueError("a fault needs status, drop or latency")
        if status is not None and not 400 <= status <= 599:
            raise ValueError("status must be a 4xx or 5xx code")
        if after < 0:
            raise ValueError("after must not be negative")
        with self._lock:
            self._rules.append(Fault(count, status, drop, float(latency), path, method, after))

    def clear(self) -> None:
        """Remove every rule and hold (a request being held goes on)."""
        with self._lock:
            self._rules.clear()
            holds, self._holds = self._holds, []
        for hold in holds:
            hold.release()

    def hold(self, method: str, path: str, *, timeout: float = 30.0) -> Hold:
        """Stop the next `method` request to exactly `path` between its lookup and its commit.

        In-process only (the events live in the server's process). Only the views that look a
        row up and then write it stop there: DELETE of an API object.

        Returns:
            The hold: wait on `reached`, do what the race needs, then `release()`.
        """
        hold = Hold(method.upper(), path, timeout)
        with self._lock:
            self._holds.append(hold)
        return hold

    def pause_point(self, method: str, path: str) -> None:
        """Called by a view between its lookup and its write: wait there if a hold says so."""
        with self._lock:
            hold = next((h for h in self._holds if h.stops(method, path)), None)
            if hold is None:
                return
            hold.reached.set()  # under the lock: one request per hold
        if not hold.released.wait(hold.timeout):
            log.warning("hold on %s %s not released within %.0f s", method, path, hold.timeout)
        with self._lock:
            if hold in self._holds:
                self._holds.remove(hold)

    def take(self, method: str, path: str) -> Fault | None:
        """Consume and return the first rule matching a request, if any.

        A rule still letting requests through (`after`) counts this one and leaves it to the
        rules after it.
        """
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    if rule.after > 0:
                        rule.after -= 1
                        continue
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def pending(self) -> int:
        """Return how many faulted requests are still to come."""
        with self._lock:
            return sum(r.count for r in self._rules)


class RequestStats:
    """Counts of requests received, by (method, path), and of answers by status; thread-safe.

    A request counts when it arrives, before any fault rule delays or drops it, so a test can
    wait for "the 500th task POST is in flight" (`wait_for`) and act on it. An answer counts
    when its status line is written (`answered(429)`: what the rate limit refused).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._counts: Counter[tuple[str, str]] = Counter()
        self._statuses: Counter[int] = Counter()

    def record_answer(self, status: int) -> None:
        """Count one answer with this status."""
        with self._lock:
            self._statuses[status] += 1

    def answered(self, status: int) -> int:
        """Return how many answers had this status (a dropped connection has none)."""
        with self._lock:
            return self._statuses[status]

    def answers(self) -> dict[int, int]:
        """Return the answers counted by status."""
        with self._lock:
            return dict(self._statuses)

    def record(self, method: str, path: str) -> None:
        """Count one request."""
        with self._changed:
            self._counts[(method, path)] += 1
            self._changed.notify_all()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Return how many requests (with `method`, to exactly `path`, if given) were received."""
        with self._lock:
            return self._matching(method, path)

    def wait_for(
        self,
        count: int,
        *,
        method: str | None = None,
        path: str | None = None,
        timeout: float,
    ) -> bool:
        """Block until `count` requests (with `method`, to exactly `path`) were received.

        Returns:
            True once they were; False when `timeout` seconds passed first.
        """
        with self._changed:
            return self._changed.wait_for(lambda: self._matching(method, path) >= count, timeout)

    def _matching(self, method: str | None, path: str | None) -> int:
        wanted = method.upper() if method is not None else None
        return sum(
            n
            for (m, p), n in self._counts.items()
            if (wanted is None or m == wanted) and (path is None or p == path)
        )

    def snapshot(self) -> dict[tuple[str, str], int]:
        """Return a copy of the counters keyed by (method, path)."""
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        """Zero every counter."""
        with self._changed:
            self._counts.clear()
            self._statuses.clear()
            self._changed.notify_all()

    def total(self, method: str | None = None, prefix: str = "/api/") -> int:
        """Return how many requests (with `method`, under `prefix`) were received."""
        with self._lock:
            return sum(
                n
                for (m, p), n in self._counts.items()
                if p.startswith(prefix) and (method is None or m == method.upper())
            )


def drop_connection(environ: dict[str, Any]) -> None:
    """Close the client's socket with no response, so the client sees a connection error."""
    checker = environ.get("waitress.client_disconnected")
    channel = getattr(checker, "__self__", None)
    sock = getattr(channel, "socket", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    # waitress closes the channel quietly on ClientDisconnected
    raise ClientDisconnected("connection dropped by fault injection")


def _target(path: str) -> str:
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "api" else ""


def _fault_response(
    fault: Fault, path: str, method: str, start_response: Callable[..., Any]
) -> list[bytes]:
    status = fault.status or 500
    reason = _REASONS.get(status, "ERROR")
    headers = [("Access-Control-Allow-Origin", "*")]
    if status in (502, 503, 504):
        # what a reverse proxy in front of PYBOSSA answers: HTML, not the error JSON
        body = f"<html><body><h1>{status} {reason.title()}</h1></body></html>".encode()
        headers.append(("Content-Type", "text/html"))
    else:
        cls = "TooManyRequests" if status == 429 else "InternalServerError"
        payload = {
            "action": method,
            "status": "failed",
            "status_code": status,
            "target": path if status == 429 else _target(path),
            "exception_cls": cls,
            "exception_msg": "injected fault",
        }
        body = json.dumps(payload).encode()
        headers.append(("Content-Type", "application/json"))
        if status == 429:
            reset = int(time.time()) + 1
            headers += [("X-RateLimit-Limit", "300"), ("X-RateLimit-Remaining", "0")]
            headers.append(("X-RateLimit-Reset", str(reset)))
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{status} {reason}", headers)
    return [body]


class FaultMiddleware:
    """WSGI middleware: counts requests and applies the injector's rules."""

    def __init__(self, app: WSGIApp, faults: FaultInjector, stats: RequestStats) -> None:
        self.app = app
        self.faults = faults
        self.stats = stats

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        self.stats.record(method, path)
        start_response = self._counting(start_response)
        fault = self.faults.take(method, path)
        if fault is None:
            return self.app(environ, start_response)
        log.debug("fault %s for %s %s", fault, method, path)
        if fault.latency > 0:
            time.sleep(fault.latency)
        if fault.drop:
            drop_connection(environ)
        if fault.status is not None:
            return _fault_response(fault, path, method, start_response)
        return self.app(environ, start_response)

    def _counting(self, start_response: Callable[..., Any]) -> Callable[..., Any]:
        """`start_response`, counting the answer's status in the stats."""

        def counted(status: str, headers: Any, *exc_info: Any) -> Any:
            code = status.split(" ", 1)[0]
            if code.isdigit():
                self.stats.record_answer(int(code))
            return start_response(status, headers, *exc_info)

        return counted
