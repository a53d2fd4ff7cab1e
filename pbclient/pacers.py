"""One rate-limit pacer per server origin in a process, shared by every `Client` to it.

PYBOSSA counts requests per (endpoint, client IP), not per key or connection: two clients of one
process talking to one server spend from the same buckets. Each client pacing on its own would
let a new client, which has seen no header yet, spend a request only to be answered 429 when
another client has already used the window up. So clients on the real clock share one `Pacer`
per (origin, reserve), kept for the life of the process (a CLI command makes several clients
one after another). Clients given another clock (a test's fake clock) share a pacer only with
clients on that same clock, and only while one of them holds it.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from urllib.parse import urlsplit

from pbclient.retry import Pacer

__all__ = ["forget_shared_pacers", "pacer_for"]

_lock = threading.Lock()
_shared: dict[tuple[str, str, int, int], Pacer] = {}
_by_clock: weakref.WeakValueDictionary[tuple[object, ...], Pacer] = weakref.WeakValueDictionary()

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(endpoint: str) -> tuple[str, str, int]:
    parts = urlsplit(endpoint)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    return scheme, host, parts.port or _DEFAULT_PORTS.get(scheme, 0)


def pacer_for(endpoint: str, reserve: int, clock: Callable[[], float]) -> Pacer:
    """The pacer a client of `endpoint` uses, shared with the other clients of that server."""
    origin = _origin(endpoint)
    with _lock:
        if clock is time.time:
            pacer = _shared.get((*origin, reserve))
            if pacer is None:
                pacer = _shared[(*origin, reserve)] = Pacer(reserve, clock)
            return pacer
        pacer = _by_clock.get((*origin, reserve, clock))
        if pacer is None:
            pacer = Pacer(reserve, clock)
            _by_clock[(*origin, reserve, clock)] = pacer
        return pacer


def forget_shared_pacers() -> None:
    """Drop what the shared pacers learnt (for a server whose counters were reset, as in tests)."""
    with _lock:
        _shared.clear()
        _by_clock.clear()
