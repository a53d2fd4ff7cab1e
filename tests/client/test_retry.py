"""RetryPolicy, buckets and the pacer: pure logic, table tests."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from pbclient.retry import Pacer, RetryPolicy, bucket_of

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("path", "bucket"),
    [
        ("/api/task", "/api/task"),
        ("/api/task/12", "/api/task"),
        ("/api/task/12/", "/api/task"),
        ("/api/project/3/newtask", "/api/project/<id>/newtask"),
        ("/api/project/3/userprogress", "/api/project/<id>/userprogress"),
        ("/project/demo/publish", "/project/demo/publish"),
    ],
)
def test_bucket_ignores_ids(path: str, bucket: str) -> None:
    assert bucket_of(path) == bucket


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-RateLimit-Reset": str(int(NOW) + 42)}, 42.0),
        ({"X-RateLimit-Reset": str(int(NOW) - 5)}, 0.0),
        ({"Retry-After": "7"}, 7.0),
        (
            {"Retry-After": format_datetime(datetime.fromtimestamp(NOW + 30, UTC), usegmt=True)},
            30.0,
        ),
        ({"Retry-After": "soon"}, 60.0),
        ({}, 60.0),
        # PYBOSSA's own header wins over a proxy's
        ({"X-RateLimit-Reset": str(int(NOW) + 10), "Retry-After": "99"}, 10.0),
        # nonsense: NaN counts as absent; a time too large to wait for stays too large
        ({"X-RateLimit-Reset": "nan", "Retry-After": "7"}, 7.0),
        ({"X-RateLimit-Reset": "1e400"}, float("inf")),
        ({"Retry-After": "1e400"}, float("inf")),
        ({"Retry-After": "nan"}, 60.0),
        ({"Retry-After": "Mon, 01 Jan 99999 00:00:00 GMT"}, 60.0),
    ],
)
def test_rate_limit_delay(headers: dict[str, str], expected: float) -> None:
    assert RetryPolicy().rate_limit_delay(headers, NOW) == pytest.approx(expected)


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(backoff=0.5, max_backoff=3.0)
    assert [policy.backoff_delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def _headers(remaining: int, reset: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
    }


def test_pacer_spends_down_to_the_reserve_then_waits_for_the_reset() -> None:
    now = [NOW]
    pacer = Pacer(reserve=1, clock=lambda: now[0])
    assert pacer.acquire("/api/task") == 0.0  # nothing known: no probe, just send
    pacer.observe("/api/task", _headers(3, NOW + 100))
    assert pacer.acquire("/api/task") == 0.0  # reserves one: 2 left
    assert pacer.acquire("/api/task") == 0.0  # 1 left
    assert pacer.acquire("/api/task") == pytest.approx(100.0)
    assert pacer.acquire("/api/project") == 0.0  # other buckets are independent
    now[0] = NOW + 100
    assert pacer.acquire("/api/task") == 0.0  # the window is over
    assert "/api/task" not in pacer.snapshot()


def test_pacer_keeps_the_freshest_state_when_answers_arrive_out_of_order() -> None:
    pacer = Pacer(reserve=1, clock=lambda: NOW)
    pacer.observe("/api/task", _headers(10, NOW + 50))
    pacer.observe("/api/task", _headers(12, NOW + 50))  # a late answer of the same window
    assert pacer.snapshot()["/api/task"].remaining == 10
    pacer.observe("/api/task", _headers(299, NOW + 950))  # a new window
    assert pacer.snapshot()["/api/task"].remaining == 299
    pacer.observe("/api/task", {"X-RateLimit-Remaining": "oops"})  # ignored
    assert pacer.snapshot()["/api/task"].limit == 300


def test_reserve_zero_turns_pacing_off() -> None:
    pacer = Pacer(reserve=0, clock=lambda: NOW)
    pacer.observe("/api/task", _headers(0, NOW + 100))
    assert pacer.acquire("/api/task") == 0.0


def test_pacer_orders_answers_by_ticket_and_believes_a_server_that_allows_more() -> None:
    pacer = Pacer(reserve=1, clock=lambda: NOW)
    first, second = pacer.begin("/api/task"), pacer.begin("/api/task")
    pacer.observe("/api/task", _headers(8, NOW + 50), second)  # one request still in flight
    assert pacer.snapshot()["/api/task"].remaining == 7
    pacer.observe("/api/task", _headers(9, NOW + 50), first)  # answer to an earlier request
    assert pacer.snapshot()["/api/task"].remaining == 7
    third = pacer.begin("/api/task")
    pacer.observe("/api/task", _headers(300, NOW + 50), third)  # the server does not enforce
    assert pacer.snapshot()["/api/task"].remaining == 300


def test_pacer_start_puts_the_granted_request_in_flight_at_once() -> None:
    pacer = Pacer(reserve=1, clock=lambda: NOW)
    earlier = pacer.begin("/api/task")
    pacer.observe("/api/task", _headers(6, NOW + 50), earlier)
    delay, ticket = pacer.start("/api/task")
    assert delay == 0.0 and ticket is not None
    # an answer observed right after `start` already counts the started request as in flight
    pacer.observe("/api/task", _headers(5, NOW + 50), pacer.begin("/api/task"))
    assert pacer.snapshot()["/api/task"].remaining == 4
    pacer.observe("/api/task", _headers(2, NOW + 50), pacer.begin("/api/task"))
    assert pacer.snapshot()["/api/task"].remaining == 1  # `ticket` is still in flight
    assert pacer.start("/api/task") == (pytest.approx(50.0), None)  # down to the reserve


@pytest.mark.parametrize(
    ("remaining", "reset", "limit", "state"),
    [
        ("nan", str(NOW + 50), "300", None),
        ("inf", str(NOW + 50), "300", None),
        ("1e400", str(NOW + 50), "300", None),
        ("-5", str(NOW + 50), "300", (300, 0, NOW + 50)),  # negative reads as none left
        ("7", "nan", "300", None),
        ("7", "1e400", "300", None),
        ("7", "-inf", "300", None),
        ("7", str(NOW + 50), "nan", (None, 7, NOW + 50)),
        ("7", str(NOW + 50), "1e400", (None, 7, NOW + 50)),
        ("7", str(NOW + 50), "-3", (0, 7, NOW + 50)),
        ("1e30", str(NOW + 50), "300", (300, int(1e30), NOW + 50)),
    ],
)
def test_pacer_ignores_or_clamps_nonsense_headers(
    remaining: str, reset: str, limit: str, state: tuple[int | None, int, float] | None
) -> None:
    pacer = Pacer(reserve=1, clock=lambda: NOW)
    headers = {
        "X-RateLimit-Limit": limit,
        "X-RateLimit-Remaining": remaining,
        "X-RateLimit-Reset": reset,
    }
    pacer.observe("/api/task", headers, pacer.begin("/api/task"))
    found = pacer.snapshot().get("/api/task")
    assert (None if found is None else (found.limit, found.remaining, found.reset)) == state
    delay = pacer.acquire("/api/task")
    assert delay == (50.0 if state is not None and state[1] <= 1 else 0.0)


def test_a_window_too_long_to_wait_for_is_not_waited_for() -> None:
    # a reset far away (a server's nonsense, or a day-long ban): the client sends anyway and lets
    # the server's answer speak, instead of sleeping for it
    pacer = Pacer(reserve=1, clock=lambda: NOW)
    pacer.observe("/api/task", _headers(0, NOW + 1e12))
    assert pacer.acquire("/api/task") > RetryPolicy().max_wait
