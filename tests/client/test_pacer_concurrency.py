"""The pacer's count when concurrent requests are answered out of order or span a window's end.

PYBOSSA counts requests in the order it receives them, which for concurrent workers is not the
order they were sent; and a window's end restarts the count while requests are in flight. Both
used to let the client send a request the headers had already said would get a 429.
"""

from __future__ import annotations

import math

from pbclient.retry import Pacer

B = "/api/task"


def _headers(remaining: int, reset: float, limit: int = 5) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
    }


def test_the_lowest_count_in_a_window_wins_over_a_later_ticket() -> None:
    pacer = Pacer(reserve=1, clock=lambda: 0.0)
    pacer.observe(B, _headers(5, 100, limit=6), pacer.start(B)[1])
    tickets = [pacer.start(B)[1] for _ in range(4)]  # 5 left: four go at once
    assert None not in tickets
    t1, t2, t3, t4 = tickets
    # the server counted them t1, t3, t4, t2 (remaining 4, 3, 2, 1); answers come t1, t2, t3, t4
    pacer.observe(B, _headers(4, 100, limit=6), t1)
    pacer.observe(B, _headers(1, 100, limit=6), t2)
    pacer.observe(B, _headers(3, 100, limit=6), t3)
    pacer.observe(B, _headers(2, 100, limit=6), t4)
    # one request left, which PYBOSSA refuses (it lets limit - 1 through): wait for the reset
    delay, ticket = pacer.start(B)
    assert ticket is None and delay == 100


def test_a_new_window_is_shared_before_its_first_answer() -> None:
    now = [0.0]
    pacer = Pacer(reserve=1, clock=lambda: now[0])
    (_, ticket) = pacer.start(B)
    pacer.observe(B, _headers(1, 100), ticket)
    assert pacer.start(B)[1] is None  # spent: wait for the reset
    now[0] = 101.0
    # the window is over: 5 per window, so 4 may go before anyone knows the new count
    granted = [pacer.start(B)[1] for _ in range(4)]
    assert None not in granted
    assert pacer.acquire(B) == math.inf  # the fifth waits for an answer, not for a 429
    pacer.observe(B, _headers(3, 200), granted[1])  # 2 counted, 3 still in flight
    assert pacer.acquire(B) == 200 - 101


def test_requests_in_flight_at_a_windows_end_count_in_the_next() -> None:
    now = [0.0]
    pacer = Pacer(reserve=1, clock=lambda: now[0])
    (_, ticket) = pacer.start(B)
    pacer.observe(B, _headers(3, 100), ticket)
    late = [pacer.start(B)[1] for _ in range(2)]  # sent at the end of the window
    assert None not in late
    now[0] = 101.0
    # those two may be counted in the new window: 5 - 2 leaves 2 to send before an answer
    assert None not in [pacer.start(B)[1] for _ in range(2)]
    assert pacer.acquire(B) == math.inf


def test_an_answer_from_an_earlier_window_does_not_raise_the_count() -> None:
    """A race between workers at a window's end, which let one request too many go.

    A request counted before a window's end can be answered after requests of the next window
    were; that late answer replaced the new window's lowest count, so the next answer that came
    out of order (counted earlier, answered later) was believed at its higher count.
    """
    now = [0.0]
    pacer = Pacer(reserve=1, clock=lambda: now[0])
    pacer.observe(B, _headers(4, 10), pacer.start(B)[1])
    (_, old) = pacer.start(B)  # counted in the first window; its answer comes late
    now[0] = 10.5  # the second window (reset 20)
    (_, a), (_, b) = pacer.start(B), pacer.start(B)
    # the server counted b (4 left), then a (3 left); the answers come a, the late one, b
    pacer.observe(B, _headers(3, 20), a)
    pacer.observe(B, _headers(3, 10), old)
    pacer.observe(B, _headers(4, 20), b)
    # 3 left, and PYBOSSA lets limit - 1 through: 2 more succeed, the third would be a 429
    assert [pacer.start(B)[1] is not None for _ in range(3)] == [True, True, False]


def test_a_bucket_known_of_nothing_is_asked_by_one_request() -> None:
    """Another client (or the command before) may have spent most of the window: eight workers
    going blind into it got 429s. The first asks; the others wait for its answer."""
    pacer = Pacer(reserve=1, clock=lambda: 0.0)
    (_, first) = pacer.start(B)
    assert first is not None
    assert pacer.acquire(B) == math.inf  # `start` waits for the answer on this
    pacer.observe(B, _headers(2, 100), first)  # 2 left, of which PYBOSSA lets 1 through
    assert [pacer.start(B)[1] is not None for _ in range(2)] == [True, False]


def test_a_bucket_without_headers_is_not_waited_for() -> None:
    pacer = Pacer(reserve=1, clock=lambda: 0.0)
    pacer.observe(B, {}, pacer.start(B)[1])  # e.g. a file download: no rate-limit headers
    assert pacer.start(B)[1] is not None  # in flight, and it will tell no count either
    assert pacer.acquire(B) == 0.0  # so the others go too: no waiting for nothing


def test_a_failed_first_request_lets_the_next_one_ask() -> None:
    pacer = Pacer(reserve=1, clock=lambda: 0.0)
    pacer.start(B)
    assert pacer.acquire(B) == math.inf
    pacer.release(B)  # no answer (a network error): nobody is asking any more
    assert pacer.start(B)[1] is not None
