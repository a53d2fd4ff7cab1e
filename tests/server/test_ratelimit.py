"""Rate-limit headers and PYBOSSA's fixed-window limit (N-1 of N succeed, per endpoint and IP)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from serverkit import Api, error_of

from pbsync.server import LocalServer
from pbsync.server.ratelimit import RateLimiter, parse_rate_limit


@pytest.fixture
def limited() -> Iterator[LocalServer]:
    with LocalServer(rate_limit=(4, 900)) as server:
        yield server


def test_headers_on_every_api_response_even_when_off(admin: Api, anon: Api) -> None:
    for resp in (
        anon.get("/api/project"),
        anon.post("/api/project", json={}),
        admin.get("/api/project/999"),
    ):
        # 300 by default (the local server's and PYBOSSA's), whatever the server configures
        assert int(resp.headers["X-RateLimit-Limit"]) > 0
        reset = int(resp.headers["X-RateLimit-Reset"])
        assert reset % 900 == 0 and 0 < reset - time.time() <= 900
        assert resp.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.local_only
def test_only_n_minus_one_succeed_then_429(limited: LocalServer) -> None:
    api = Api(limited.url, limited.api_key)
    answers = [api.get("/api/task") for _ in range(5)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["3", "2", "1", "0", "0"]
    assert answers[0].headers["X-RateLimit-Limit"] == "4"
    assert error_of(answers[3]) == (429, "TooManyRequests")
    assert answers[3].json()["target"] == "/api/task"
    assert "Retry-After" not in answers[3].headers


@pytest.mark.local_only
def test_buckets_per_endpoint_shared_by_methods_and_items(limited: LocalServer) -> None:
    api = Api(limited.url, limited.api_key)
    api.get("/api/task")
    api.post("/api/task", json={"project_id": 1})  # fails (no project) but counts
    api.get("/api/task/1")
    assert api.get("/api/task").status_code == 429
    assert api.get("/api/project").status_code == 200


@pytest.mark.local_only
def test_errors_count_too(limited: LocalServer) -> None:
    api = Api(limited.url)
    for _ in range(3):
        assert api.post("/api/category", json={}).status_code == 401
    assert api.get("/api/category").status_code == 429


def test_fixed_window_rolls_over() -> None:
    now = [1000.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])
    first = limiter.hit("a", "ip")
    assert (first.over, first.remaining, first.reset) == (False, 1, 1020)
    assert limiter.hit("a", "ip").over
    assert not limiter.hit("b", "ip").over
    assert not limiter.hit("a", "other-ip").over
    now[0] = 1020.0
    assert not limiter.hit("a", "ip").over


@pytest.mark.parametrize(
    ("text", "expected"), [("300", (300, 900)), ("10/60", (10, 60)), (" 5 / 1 ", (5, 1))]
)
def test_parse_rate_limit(text: str, expected: tuple[int, int]) -> None:
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize("text", ["", "x", "0", "5/0", "-1", "5/60/1"])
def test_parse_rate_limit_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate_limit(text)


@pytest.mark.local_only
def test_web_and_upload_routes_are_not_limited(limited: LocalServer) -> None:
    with requests.Session() as session:
        codes = [session.get(f"{limited.url}/uploads/user_1/x.png").status_code for _ in range(6)]
    assert set(codes) == {404}
