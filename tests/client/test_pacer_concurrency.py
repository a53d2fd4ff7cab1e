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
    tickets = [pacer.start(B)[1] for _ in range(4)]  # nothing known yet: four go at once
    assert None not in tickets
    t1, t2, t3, t4 = tickets
    # the server counted them t1, t3, t4, t2 (remaining 4, 3, 2, 1); answers come t1, t2, t3, t4
    pacer.observe(B, _headers(4, 100), t1)
    pacer.observe(B, _headers(1, 100), t2)
    pacer.observe(B, _headers(3, 100), t3)
    pacer.observe(B, _headers(2, 100), t4)
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
