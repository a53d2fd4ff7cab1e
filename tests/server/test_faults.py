"""Fault injection and request counters, in-process and over HTTP (`testing=True`)."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from serverkit import Api, error_of

from pbsync.server import LocalServer

pytestmark = pytest.mark.faults


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_status_faults(local_server: LocalServer, admin: Api, status: int) -> None:
    local_server.faults.add(1, status=status)
    resp = admin.get("/api/project")
    assert resp.status_code == status
    if status in (500, 429):
        assert error_of(resp)[0] == status
    assert admin.get("/api/project").status_code == 200


def test_fault_on_one_path_and_method(local_server: LocalServer, admin: Api) -> None:
    local_server.faults.add(2, status=503, path="/api/task", method="POST")
    assert admin.get("/api/task").status_code == 200
    assert admin.post("/api/project", json={}).status_code != 503
    assert admin.post("/api/task", json={}).status_code == 503
    assert admin.post("/api/task", json={}).status_code == 503
    assert admin.post("/api/task", json={}).status_code == 415
    assert local_server.faults.pending() == 0


def test_drop_gives_a_connection_error(local_server: LocalServer, admin: Api) -> None:
    local_server.faults.add(1, drop=True, path="/api/project")
    with pytest.raises(requests.ConnectionError):
        admin.get("/api/project")
    # the server keeps serving, on a new connection
    assert admin.get("/api/project").status_code == 200


def test_drop_after_a_keep_alive_request(local_server: LocalServer, admin: Api) -> None:
    assert admin.get("/api/category").status_code == 200
    local_server.faults.add(1, drop=True)
    with pytest.raises(requests.ConnectionError):
        admin.post("/api/project", json={"name": "x"})
    assert admin.get("/api/category").status_code == 200


def test_latency(local_server: LocalServer, admin: Api) -> None:
    local_server.faults.add(1, latency=0.3)
    started = time.monotonic()
    assert admin.get("/api/category").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_clear_and_bad_rules(local_server: LocalServer, admin: Api) -> None:
    local_server.faults.add(5, status=500)
    local_server.faults.clear()
    assert admin.get("/api/category").status_code == 200
    for kwargs in ({"count": 0, "status": 500}, {"count": 1}, {"count": 1, "status": 200}):
        with pytest.raises(ValueError):
            local_server.faults.add(**kwargs)  # type: ignore[arg-type]


def test_stats_count_requests_by_method_and_path(local_server: LocalServer, admin: Api) -> None:
    admin.get("/api/project")
    admin.get("/api/project")
    admin.post("/api/task", json={})
    admin.get("/api/project/1/newtask")
    admin.get("/uploads/x/y.png")
    snap = local_server.stats.snapshot()
    assert snap[("GET", "/api/project")] == 2
    assert snap[("POST", "/api/task")] == 1
    assert local_server.stats.total() == 4
    assert local_server.stats.total(method="GET") == 3
    assert local_server.stats.total(prefix="/") == 5
    local_server.faults.add(1, status=503)
    admin.get("/api/project")
    # answers by status, faulted ones included: the 429s a rate limit gave are counted alike
    assert local_server.stats.answers() == {200: 2, 415: 1, 404: 2, 503: 1}
    assert local_server.stats.answered(429) == 0
    local_server.stats.reset()
    assert local_server.stats.snapshot() == {}
    assert local_server.stats.answers() == {}


def test_http_controls(local_server: LocalServer, admin: Api) -> None:
    admin.project()
    base = f"{local_server.url}/_pbsync"
    assert requests.post(f"{base}/faults", json={"count": 1, "status": 502}).status_code == 200
    assert admin.get("/api/category").status_code == 502
    requests.post(f"{base}/faults", json={"count": 3, "status": 500})
    assert requests.delete(f"{base}/faults").status_code == 204
    assert admin.get("/api/category").status_code == 200
    stats = requests.get(f"{base}/stats").json()
    assert stats["total"] == sum(r["count"] for r in stats["requests"])
    assert {"method": "GET", "path": "/api/category", "count": 2} in stats["requests"]
    assert stats["answers"] == {"200": 2, "502": 1}
    assert requests.delete(f"{base}/stats").status_code == 204
    assert requests.get(f"{base}/stats").json() == {"total": 0, "requests": [], "answers": {}}
    user = requests.post(f"{base}/users", json={"name": "bob"}).json()
    assert Api(local_server.url, user["api_key"]).get("/api/project").json() == []
    assert requests.post(f"{base}/reset").status_code == 200
    assert admin.ok("GET", "/api/project", params={"all": 1}) == []
    assert requests.post(f"{base}/faults", json={"count": 0}).status_code == 400


def test_http_controls_need_testing() -> None:
    with LocalServer() as server:
        assert requests.post(f"{server.url}/_pbsync/reset").status_code == 404
        assert requests.get(f"{server.url}/_pbsync/stats").status_code == 404
        server.faults.add(1, status=500)  # the in-process injector always works
        assert requests.get(f"{server.url}/api/project").status_code == 500


def test_a_rule_can_let_the_first_requests_through(local_server: LocalServer, admin: Api) -> None:
    """`after=N`: the N+1st matching request is the one faulted, whatever else goes on."""
    local_server.faults.add(1, status=503, path="/api/category", after=2)
    local_server.faults.add(1, status=500, path="/api/category")
    # the second rule does not wait: the first lets requests on to it while it counts
    assert admin.get("/api/category").status_code == 500
    assert admin.get("/api/project").status_code == 200  # not matching: not counted
    assert admin.get("/api/category").status_code == 200
    assert admin.get("/api/category").status_code == 503
    assert admin.get("/api/category").status_code == 200
    base = f"{local_server.url}/_pbsync"
    requests.post(f"{base}/faults", json={"count": 1, "status": 502, "after": 1})
    assert [admin.get("/api/category").status_code for _ in range(3)] == [200, 502, 200]
    with pytest.raises(ValueError, match="after"):
        local_server.faults.add(1, status=500, after=-1)


def test_waiting_for_a_request_count(local_server: LocalServer, admin: Api) -> None:
    stats = local_server.stats
    assert not stats.wait_for(1, method="POST", path="/api/task", timeout=0.05)
    sender = threading.Thread(target=lambda: [admin.post("/api/task", json={}) for _ in range(3)])
    sender.start()
    try:
        assert stats.wait_for(3, method="post", path="/api/task", timeout=30)
    finally:
        sender.join()
    assert stats.count("POST", "/api/task") == 3
    assert stats.count(path="/api/task") == 3
    assert stats.count() == 3


def test_wait_idle_waits_for_running_requests_and_open_connections() -> None:
    with LocalServer() as server:
        assert server.wait_idle(timeout=5)
        server.faults.add(1, latency=0.5, path="/api/category")
        session = requests.Session()
        slow = threading.Thread(target=session.get, args=(f"{server.url}/api/category",))
        slow.start()
        try:
            assert server.stats.wait_for(1, path="/api/category", timeout=30)
            assert not server.wait_idle(timeout=0.05)  # the request is still being handled
        finally:
            slow.join()
        assert not server.wait_idle(timeout=0.05)  # answered, but its connection is open
        session.close()
        assert server.wait_idle(timeout=30)
