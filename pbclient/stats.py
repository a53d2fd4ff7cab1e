"""`ClientStats`: what a `Client` has sent, counted per (method, path), plus retries and waits.

The sync engine reports these figures, and tests use them to prove how many requests a call costs.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

__all__ = ["ClientStats"]

log = logging.getLogger(__name__)


class ClientStats:
    """Requests sent by a client (every attempt counts, as the server's rate limit counts them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str]] = Counter()
        self.retries = 0
        self.rate_limit_waits = 0
        self.waited = 0.0

    def record(self, method: str, path: str) -> None:
        """Count one request."""
        with self._lock:
            self._requests[(method, path)] += 1

    def record_retry(self) -> None:
        """Count one retry (after a network error or a 5xx)."""
        with self._lock:
            self.retries += 1

    def record_wait(self, seconds: float) -> None:
        """Count one rate-limit wait (pacing or 429) of `seconds`."""
        with self._lock:
            self.rate_limit_waits += 1
            self.waited += seconds

    def snapshot(self) -> dict[tuple[str, str], int]:
        """Requests by (method, path), path as sent (e.g. `/api/task/3`)."""
        with self._lock:
            return dict(self._requests)

    def count(self, method: str | None = None, prefix: str = "") -> int:
        """Requests with this method (any when None) whose path starts with `prefix`."""
        return sum(
            n
            for (m, path), n in self.snapshot().items()
            if (method is None or m == method) and path.startswith(prefix)
        )

    @property
    def total(self) -> int:
        """All requests sent."""
        return self.count()

    def reset(self) -> None:
        """Forget everything counted so far."""
        with self._lock:
            self._requests.clear()
            self.retries = self.rate_limit_waits = 0
            self.waited = 0.0

    def __repr__(self) -> str:
        return (
            f"ClientStats(total={self.total}, retries={self.retries}, "
            f"rate_limit_waits={self.rate_limit_waits}, waited={self.waited:.1f})"
        )
