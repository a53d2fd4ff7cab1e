"""Pacing from X-RateLimit-* headers against a rate-limited local server sharing a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pbclient.client import Client
from pbsync.server import LocalServer

from .conftest import FakeTime

pytestmark = pytest.mark.local_only


@pytest.fixture
def limited(fake_time: FakeTime) -> Iterator[LocalServer]:
    """A server allowing 5 requests per 900 s window per endpoint, on the test's fake clock."""
    with LocalServer(rate_limit=(5, 900)) as server:
        server.state.limiter.clock = fake_time.clock
        yield server


def test_client_waits_for_the_reset_instead_of_spending_a_request_on_a_429(
    limited: LocalServer, fake_time: FakeTime
) -> None:
    with Client(
        limited.url,
        limited.api_key,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        on_wait=fake_time.on_wait,
    ) as client:
        for _ in range(6):
            client.categories.find()
        client.projects.find()  # another bucket: not paced
    # 4 of 5 pass in the first window (PYBOSSA lets limit-1 through); the client stopped at the
    # reserve, waited once for the reset, and never got a 429
    assert limited.stats.snapshot() == {("GET", "/api/category"): 6, ("GET", "/api/project"): 1}
    [wait] = fake_time.waits
    assert wait.path == "/api/category"
    bucket = client.rate_limits["/api/category"]
    assert bucket.limit == 5 and bucket.reset > wait.until - 1 - 900
    assert client.stats.rate_limit_waits == 1


def test_a_server_that_does_not_enforce_its_limit_never_makes_the_client_wait(
    local_server: LocalServer, fake_time: FakeTime
) -> None:
    # the session server runs without a limit and always reports 300 remaining: the client must
    # take the server's word over its own count-down, or long runs would stall for a window
    with Client(
        local_server.url, local_server.api_key, sleep=fake_time.sleep, clock=fake_time.clock
    ) as client:
        for _ in range(320):
            client.categories.find()
    assert fake_time.sleeps == []
    assert local_server.stats.snapshot() == {("GET", "/api/category"): 320}


def test_concurrent_workers_do_not_overspend_a_window(
    limited: LocalServer, fake_time: FakeTime
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with Client(
        limited.url, limited.api_key, sleep=fake_time.sleep, clock=fake_time.clock
    ) as client:
        client.categories.find()  # learn the window
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: client.categories.find(), range(8)))
    # 9 requests at 4 per window: the client waited for windows and no request got a 429
    assert limited.stats.snapshot() == {("GET", "/api/category"): 9}
    assert client.stats.rate_limit_waits >= 2


def test_an_injected_sleep_without_a_clock_does_not_spin(
    limited: LocalServer, fake_time: FakeTime
) -> None:
    """`sleep` injected, `clock` real: the pacer's wait cannot move the clock it reads."""
    waits: list[float] = []

    def on_wait(wait: object) -> None:
        waits.append(getattr(wait, "seconds", 0.0))
        assert len(waits) < 10, "the client keeps waiting for a clock that never moves"

    with Client(limited.url, limited.api_key, sleep=fake_time.sleep, on_wait=on_wait) as client:
        for _ in range(6):
            client.categories.find()
    # the pacer waited once at the reserve, saw the clock stand still and sent; the server (whose
    # clock the fake sleep moved) had started a new window, so the call succeeded
    assert len(waits) == 1
    assert limited.stats.snapshot() == {("GET", "/api/category"): 6}


def test_a_new_client_knows_the_window_another_client_of_the_process_used_up(
    limited: LocalServer, fake_time: FakeTime
) -> None:
    # PYBOSSA counts per (endpoint, client IP): a second client of the same server must not spend
    # a request on a 429 that the first one's answers predicted (as each CLI command's client did)
    def client() -> Client:
        return Client(
            limited.url,
            limited.api_key,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            on_wait=fake_time.on_wait,
        )

    with client() as first:
        for _ in range(4):
            first.categories.find()
    with client() as second:
        second.categories.find()
    # 4 of 5 pass in a window: the second client waited for the reset instead of being refused
    assert limited.stats.snapshot() == {("GET", "/api/category"): 5}
    assert [w.path for w in fake_time.waits] == ["/api/category"]
    assert second.stats.rate_limit_waits == 1
