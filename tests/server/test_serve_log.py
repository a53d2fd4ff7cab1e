"""`pbsync serve`: a banner that shows unpublished projects, and `-v`'s request log (issue 11, 8).

Before, the banner suggested `curl /api/project`, which answers `[]` for a just-pushed
(unpublished) project, and no verbosity logged requests.
"""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

import pytest
import requests
from serve_kit import start, stop

from pbsync.server import LocalServer
from pbsync.server.requestlog import loggable_path

pytestmark = pytest.mark.local_only

LINE = re.compile(r"(GET|POST|PUT|DELETE) (\S+) (\d{3}) (\d+) ms")


def _serve(db: Path, *options: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc, _, lines = start("--db", str(db), "--api-key", "log-key", options=options)
    return proc, lines


def _stop(proc: subprocess.Popen[str]) -> str:
    return stop(proc)


def test_banner_shows_how_to_see_unpublished_projects(tmp_path: Path) -> None:
    proc, lines = _serve(tmp_path / "b.sqlite3")
    try:
        banner = "".join(lines)
        url = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert url is not None
        base = url.group(0)
        body = {"name": "Log", "short_name": "pbsynctest_log", "description": "d"}
        headers = {"Authorization": "log-key"}
        assert requests.post(f"{base}/api/project", json=body, headers=headers).ok
        # the banner's curl, with the key, lists the unpublished project; without it: []
        curl = re.search(r"curl -H 'Authorization: (\S+)' '(\S+)'", banner)
        assert curl is not None and curl.group(2) == f"{base}/api/project"
        seen = requests.get(curl.group(2), headers={"Authorization": curl.group(1)}, timeout=10)
        assert [p["short_name"] for p in seen.json()] == ["pbsynctest_log"]
        assert requests.get(curl.group(2), timeout=10).json() == []
        assert "published projects only" in banner
        # the preview URL the banner gives lists the draft
        assert f"{base}/ " in banner and "/project/<short_name>/newtask" in banner
        assert "pbsynctest_log" in requests.get(f"{base}/", timeout=10).text
    finally:
        _stop(proc)


def test_verbose_serve_logs_one_line_per_request_without_the_key(tmp_path: Path) -> None:
    proc, lines = _serve(tmp_path / "v.sqlite3", "-v")
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", "".join(lines))
        assert url is not None
        base = url.group(0)
        requests.get(f"{base}/api/project?api_key=log-key&limit=5", timeout=10)
        requests.get(f"{base}/api/nothing", headers={"Authorization": "log-key"}, timeout=10)
    finally:
        out = _stop(proc)
    logged = [m.groups() for m in LINE.finditer(out)]
    assert [(method, path, status) for method, path, status, _ in logged] == [
        ("GET", "/api/project?limit=5", "200"),
        ("GET", "/api/nothing", "404"),
    ]
    assert "log-key" not in out


def test_quiet_by_default(tmp_path: Path) -> None:
    proc, _ = _serve(tmp_path / "q.sqlite3")
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", "".join(_))
        assert url is not None
        requests.get(f"{url.group(0)}/api/project", timeout=10)
    finally:
        out = _stop(proc)
    assert not LINE.search(out)


def test_embedded_server_logs_requests_at_debug_only(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="pbsync.server.requests")
    with LocalServer() as server:
        requests.get(f"{server.url}/api/category", timeout=10)
        assert not [r for r in caplog.records if r.name == "pbsync.server.requests"]
        caplog.set_level(logging.DEBUG, logger="pbsync.server.requests")
        requests.get(f"{server.url}/api/category?api_key={server.api_key}", timeout=10)
    [record] = [r for r in caplog.records if r.name == "pbsync.server.requests"]
    assert record.getMessage().startswith("GET /api/category 200 ")
    assert server.api_key not in record.getMessage()


def test_loggable_path_drops_the_key_and_escapes_control_characters() -> None:
    assert loggable_path("/api/task", "API_KEY=k&project_id=3") == "/api/task?project_id=3"
    assert loggable_path("/api/task", "api_key=k") == "/api/task"
    assert loggable_path("/a\nb", "") == "/a\\nb"
