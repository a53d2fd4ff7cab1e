"""PYBOSSA's fixed-window rate limit, counted per (endpoint, client IP).

PYBOSSA increments a counter for every request (failures included), caps it at the limit and refuses
the request once the capped count reaches the limit: only N-1 of N requests succeed per window.
`X-RateLimit-Reset` is the end of the current window in epoch seconds.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 300
DEFAULT_WINDOW = 900


@dataclass(frozen=True)
class Verdict:
    """The outcome of counting one request."""

    limit: int
    remaining: int
    reset: int
    over: bool

    def headers(self) -> list[tuple[str, str]]:
        """Return the X-RateLimit-* headers."""
        return [
            ("X-RateLimit-Limit", str(self.limit)),
            ("X-RateLimit-Remaining", str(self.remaining)),
            ("X-RateLimit-Reset", str(self.reset)),
        ]


def parse_rate_limit(text: str) -> tuple[int, int]:
    """Parse `N` or `N/SECONDS` into (limit, window seconds).

    Raises:
        ValueError: for anything else, or numbers below 1.
    """
    match = re.fullmatch(r"\s*(\d+)\s*(?:/\s*(\d+)\s*)?", text)
    if not match:
        raise ValueError(f"rate limit must look like N or N/SECONDS, not {text!r}")
    limit = int(match.group(1))
    window = int(match.group(2) or DEFAULT_WINDOW)
    if limit < 1 or window < 1:
        raise ValueError("rate limit and window must be at least 1")
    return limit, window


class RateLimiter:
    """Fixed-window counters.

    Args:
        limit: requests per window; None turns limiting off (the headers still show the default
            limit, with the whole budget remaining, so clients never pace against a phantom limit).
        window: the window length in seconds.
        clock: returns the time in epoch seconds (injectable for tests).
    """

    def __init__(
        self,
        limit: int | None = None,
        window: int = DEFAULT_WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = {}

    def hit(self, endpoint: str, client: str) -> Verdict:
        """Count one request to `endpoint` from `client` and say whether it may proceed."""
        now = int(self.clock())
        reset = (now // self.window) * self.window + self.window
        if self.limit is None:
            return Verdict(DEFAULT_LIMIT, DEFAULT_LIMIT, reset, False)
        key = (endpoint, client, reset)
        with self._lock:
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
            if len(self._counts) > 10000:
                self._forget_before(reset)
        current = min(count, self.limit)
        return Verdict(self.limit, self.limit - current, reset, current >= self.limit)

    def _forget_before(self, reset: int) -> None:
        for key in [k for k in self._counts if k[2] < reset]:
            del self._counts[key]

    def clear(self) -> None:
        """Forget every counter."""
        with self._lock:
            self._counts.clear()
