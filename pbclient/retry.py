"""Retry policy and rate-limit pacing for `Client.send`.

PYBOSSA limits requests per (endpoint, client IP) in fixed windows (300 per 900 s by default)
and reports `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (absolute epoch
seconds) on every API answer; it sends no `Retry-After`, but proxies may, so both are honoured.

Requests are the scarce resource, so the client paces itself: `Pacer` remembers the last headers
per endpoint bucket and, when a bucket is down to `RetryPolicy.reserve` requests, waits for the
window's reset instead of spending a request to learn that it gets a 429. A bucket it knows
nothing of yet is asked by one request; concurrent workers wait for its answer rather than go
blind (a push's 8 workers going blind into a window another client had nearly spent got 0 to 4
429s a run). Headers that are not
finite numbers are ignored, negative counts read as 0, and a wait longer than
`RetryPolicy.max_wait` is never slept: the request goes and the server decides.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = ["Pacer", "RateLimit", "RateLimitWait", "RetryPolicy", "bucket_of"]

log = logging.getLogger(__name__)

_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")


def bucket_of(path: str) -> str:
    """The rate-limit bucket of a path: PYBOSSA counts per endpoint, so ids do not matter.

    `/api/task/12` -> `/api/task`; `/api/project/3/newtask` -> `/api/project/<id>/newtask`.
    """
    path = path.rstrip("/") or "/"
    path = _ID_SEGMENT.sub("/<id>", path)
    return path.removesuffix("/<id>")


@dataclass(frozen=True)
class RetryPolicy:
    """How `Client.send` retries.

    Attributes:
        retries: retries after a network error or a 502/503/504, for idempotent calls only.
        backoff: first backoff in seconds; doubled after each attempt, capped at `max_backoff`.
        max_backoff: the longest single backoff.
        rate_limit_waits: how many 429 answers in a row one call may wait out before
            `RateLimitError` is raised.
        max_wait: the longest single rate-limit wait in seconds (a PYBOSSA window is 900 s); a
            server asking for more makes the call fail instead of hanging.
        default_wait: the wait after a 429 that says nothing about when to come back.
        reserve: pace when a bucket has this many requests left; PYBOSSA lets only 299 of 300
            through, so 1 is the smallest safe value; 0 turns pacing off.
    """

    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    rate_limit_waits: int = 3
    max_wait: float = 960.0
    default_wait: float = 60.0
    reserve: int = 1

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1))

    def rate_limit_delay(self, headers: Mapping[str, str], now: float) -> float:
        """Seconds to wait after a 429, from X-RateLimit-Reset or Retry-After (seconds or date).

        An infinite (or overflowing) time is kept as such, so the call fails instead of waiting;
        NaN and text count as absent.
        """
        reset = _float(headers.get("X-RateLimit-Reset"))
        if reset is not None:
            return max(0.0, reset - now)
        retry_after = headers.get("Retry-After")
        if retry_after:
            seconds = _float(retry_after)
            if seconds is not None:
                return max(0.0, seconds)
            try:
                return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError, OverflowError, OSError):
                log.debug("unparsable Retry-After %r", retry_after[:40])
        return self.default_wait


def _float(value: str | None) -> float | None:
    """A header's number (`inf` for one too large), or None when absent, NaN or text."""
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return None if number is None or math.isnan(number) else number


def _number(value: str | None) -> float | None:
    """A header's finite number, or None when absent or nonsense (`nan`, `inf`, `1e400`, text)."""
    number = _float(value)
    return number if number is not None and math.isfinite(number) else None


def _count(value: str | None) -> int | None:
    """A header's count of requests: a finite number, negatives read as 0."""
    number = _number(value)
    return None if number is None else max(0, int(number))


@dataclass(frozen=True)
class RateLimit:
    """The last `X-RateLimit-*` values seen for one bucket."""

    limit: int | None
    remaining: int
    reset: float


@dataclass(frozen=True)
class RateLimitWait:
    """Passed to `on_wait` before the client sleeps for a rate-limit window.

    Attributes:
        path: the bucket (e.g. `/api/task`) being waited for.
        until: epoch seconds when the wait ends.
        seconds: how long the wait is.
    """

    path: str
    until: float
    seconds: float


class Pacer:
    """Per-bucket rate-limit state, shared by the threads of one client.

    `acquire` reserves one request in the bucket (so concurrent workers do not all spend the last
    one) or returns how long to wait; `observe` records the headers of an answer.
    """

    def __init__(self, reserve: int, clock: Callable[[], float]) -> None:
        self._reserve = reserve
        self._clock = clock
        self._lock = threading.Lock()
        self._state: dict[str, RateLimit] = {}
        # per bucket: the ticket of the request whose answer set the state, and requests in flight
        self._source: dict[str, int] = {}
        self._in_flight: dict[str, int] = {}
        self._tickets = 0
        # per bucket: (reset, the lowest remaining the server reported in that window)
        self._floor: dict[str, tuple[float, int]] = {}
        # notified on every answer (or failure): a worker waiting for a new window's first answer
        self._answered = threading.Condition(self._lock)
        # buckets whose answers carry no rate-limit headers: nothing to wait for there
        self._headerless: set[str] = set()

    def snapshot(self) -> dict[str, RateLimit]:
        """The last known state of every bucket (a new window no answer has told of is left out)."""
        with self._lock:
            return {b: s for b, s in self._state.items() if s.reset != math.inf}

    def acquire(self, bucket: str) -> float:
        """Reserve a request in `bucket`; return 0.0, or the seconds to wait before trying again."""
        with self._lock:
            return self._acquire(bucket)

    def start(self, bucket: str, patience: float = 60.0) -> tuple[float, int | None]:
        """`acquire` and, when granted, `begin` in one step: `(0.0, ticket)` or `(delay, None)`.

        One lock for both, so an answer observed in between cannot overwrite the count without
        this request (which `acquire` has taken but `begin` has not yet put in flight). When
        nothing is known of the bucket, or a new window's guessed budget (see `_acquire`) is
        spent, and requests are in flight, waits up to `patience` seconds for one of their
        answers, which tells the real count.
        """
        with self._lock:
            while True:
                delay = self._acquire(bucket)
                if delay != math.inf or not self._in_flight.get(bucket):
                    break
                if not self._answered.wait(patience):
                    break
            if delay == math.inf:
                delay = 0.0  # nobody can tell: send, and let the server decide
            return (delay, None) if delay > 0 else (0.0, self._begin(bucket))

    def _acquire(self, bucket: str) -> float:
        state = self._state.get(bucket)
        if self._reserve <= 0:
            return 0.0
        if state is None:
            # nothing known (another client or command may have spent most of the window): the
            # request in flight asks for everyone; inf makes `start` wait for its answer
            asking = self._in_flight.get(bucket, 0) and bucket not in self._headerless
            return math.inf if asking else 0.0
        now = self._clock()
        if state.reset <= now:
            # the window is over and the server's counter restarted: until an answer tells the
            # new window's count, concurrent workers share the limit it had (reset unknown: inf),
            # less the requests still in flight, which may reach the server in the new window
            if state.limit is None:
                del self._state[bucket]
                return 0.0
            in_flight = self._in_flight.get(bucket, 0)
            state = RateLimit(state.limit, state.limit - in_flight, math.inf)
            self._state[bucket] = state
        if state.remaining <= self._reserve:
            return state.reset - now
        self._state[bucket] = RateLimit(state.limit, state.remaining - 1, state.reset)
        return 0.0

    def begin(self, bucket: str) -> int:
        """Note a request going out; return its ticket for `observe` (or call `release`)."""
        with self._lock:
            return self._begin(bucket)

    def _begin(self, bucket: str) -> int:
        self._tickets += 1
        self._in_flight[bucket] = self._in_flight.get(bucket, 0) + 1
        return self._tickets

    def release(self, bucket: str) -> None:
        """Note that a request begun in `bucket` got no answer."""
        with self._lock:
            self._end(bucket)

    def _end(self, bucket: str) -> int:
        others = max(self._in_flight.get(bucket, 0) - 1, 0)
        self._in_flight[bucket] = others
        self._answered.notify_all()
        return others

    def observe(self, bucket: str, headers: Mapping[str, str], ticket: int | None = None) -> None:
        """Record X-RateLimit-* from an answer.

        With the `ticket` of a begun request, the server's count is the truth for requests sent
        after the one that set the state (less the requests still in flight), and an answer to an
        earlier request (concurrent answers arrive out of order) is ignored. So a server that
        reports more than we counted down to (one that does not enforce its limit, or a window we
        did not see reset) is believed. Without a ticket, a higher count in the same window is taken
        for a late answer.
        """
        # a header that is not a finite number (nan, 1e400, text) counts as absent: pacing is a
        # courtesy, and nonsense from a server must not stop the command
        remaining = _count(headers.get("X-RateLimit-Remaining"))
        reset = _number(headers.get("X-RateLimit-Reset"))
        limit = _count(headers.get("X-RateLimit-Limit"))
        with self._lock:
            others = self._end(bucket) if ticket is not None else 0
            if remaining is None or reset is None:
                if bucket not in self._state:
                    self._headerless.add(bucket)  # no count will come: do not wait for one
                return
            self._headerless.discard(bucket)
            # within a window a limiting server's count only goes down, but concurrent requests
            # are counted in another order than they were sent: the lowest count reported is the
            # latest; every request counted after it is still in flight
            floor_reset, floor = self._floor.get(bucket, (None, remaining))
            if floor_reset is not None and reset < floor_reset:
                # an answer from a window before one already reported (it was counted before
                # that window's end and answered after a request counted in the next one): it
                # tells nothing now, and taking it as the floor would let the next window's
                # answers that arrive out of order raise the count again (one request too many)
                return
            # a whole budget left after this request: the server does not enforce its limit
            # (a limiting PYBOSSA has counted the request): its word is believed as it comes
            enforcing = limit is None or remaining < limit
            if floor_reset == reset and enforcing:
                remaining = min(remaining, floor)
            self._floor[bucket] = (reset, remaining)
            new = RateLimit(limit, remaining - others, reset)
            old = self._state.get(bucket)
            if old is not None and reset <= self._clock():
                return  # an answer from a window that is over tells nothing about this one
            if old is not None and old.reset == math.inf:
                old = None  # a guessed window: the server's word replaces it
            if old is not None and old.reset == new.reset:
                late = (
                    ticket < self._source.get(bucket, 0)
                    if ticket is not None
                    else old.remaining < new.remaining
                )
                if late and new.remaining >= old.remaining:
                    return
            if old is None or new.reset >= old.reset:
                self._state[bucket] = new
                if ticket is not None:
                    self._source[bucket] = max(ticket, self._source.get(bucket, 0))
