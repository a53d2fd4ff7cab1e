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
