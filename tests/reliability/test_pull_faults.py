"""Pull is all or nothing under faults: a download that keeps failing fails the pull, the folder
stays as it was (files and `.pbsync/state.json`), and the next pull finishes without blaming the
user; a passing fault is retried; only a file that is not there at all becomes a link."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner
from pullkit import SHORT, assert_caught_up, make_behind, media_path, snapshot

import pbsync
from pbclient.client import Client
from pbclient.retry import RetryPolicy
from pbsync.cli import main
from pbsync.errors import PullError
from pbsync.folder.project import LocalProject
from pbsync.server import LocalServer


@pytest.fixture
def client(endpoint: str, api_key: str, local_server: LocalServer) -> Iterator[Client]:
    """A client whose backoffs are not slept (the retries still happen)."""
    with Client(endpoint, api_key, sleep=lambda seconds: None) as c:
        yield c


@pytest.fixture
def behind(tmp_path: Path, client: Client) -> Path:
    return make_behind(tmp_path, client)


@pytest.mark.parametrize(
    "fault", [{"status": 500}, {"status": 503}, {"drop": True}], ids=["500", "503", "drop"]
)
def test_a_passing_fault_on_a_download_is_retried(
    local_server: LocalServer, client: Client, behind: Path, fault: dict[str, Any]
) -> None:
    local_server.faults.add(2, path=media_path(client, "d.png"), method="GET", **fault)
    report = pbsync.pull(client, SHORT, behind)
    assert not any("link" in w for w in report.warnings), report.warnings
    assert_caught_up(client, behind)


@pytest.mark.parametrize(
    "fault", [{"status": 500}, {"status": 503}, {"status": 429}, {"drop": True}],
    ids=["500", "503", "429", "drop"],
)  # fmt: skip
def test_a_download_that_keeps_failing_fails_the_pull_and_changes_nothing(
    local_server: LocalServer, client: Client, behind: Path, fault: dict[str, Any]
) -> None:
    before = snapshot(behind)
    local_server.faults.add(50, path=media_path(client, "e.png"), method="GET", **fault)
    with pytest.raises(PullError, match=r"pull failed, nothing in .* was changed: helping e\.png"):
        pbsync.pull(client, SHORT, behind)
    assert snapshot(behind) == before
    assert not pbsync.plan(behind, client).empty  # behind the server, as before the pull
    local_server.faults.clear()
    report = pbsync.pull(client, SHORT, behind)  # no "local changes" blamed
    assert report.downloads == 1  # b.png and d.png arrived the first time and were kept
    assert_caught_up(client, behind)


def test_a_failed_pull_into_a_new_folder_leaves_no_folder(
    tmp_path: Path, local_server: LocalServer, client: Client, behind: Path
) -> None:
    local_server.faults.add(50, status=503, path=media_path(client, "e.png"), method="GET")
    with pytest.raises(PullError):
        pbsync.pull(client, SHORT, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_the_cli_says_so_in_one_line_and_exits_1(
    tmp_path: Path, local_server: LocalServer, client: Client, behind: Path
) -> None:
    before = snapshot(behind)
    # 408 ("not now") is not retried by the client: the CLI's real backoffs are not slept here
    local_server.faults.add(5, status=408, path=media_path(client, "e.png"), method="GET")
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    args = ["--endpoint", local_server.url, "--api-key", local_server.api_key]
    result = CliRunner().invoke(main, [*args, "pull", SHORT, str(behind)], env=env)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "nothing in" in lines[0] and "e.png" in lines[0], lines
    assert snapshot(behind) == before


def test_a_file_that_is_not_there_becomes_a_link(
    local_server: LocalServer, client: Client, behind: Path
) -> None:
    local_server.faults.add(1, status=404, path=media_path(client, "e.png"), method="GET")
    report = pbsync.pull(client, SHORT, behind)
    assert any("e.png" in w and "kept as a link" in w for w in report.warnings)
    names = {m.name: m for m in LocalProject.load(behind).state.helping_materials}
    assert names["e.png"].media_url is not None and names["e.png"].sha256 is None
    assert pbsync.plan(behind, client).empty
    assert pbsync.pull(client, SHORT, behind).written == ("helping/e.png", "project.toml")


class _Failing(http.server.BaseHTTPRequestHandler):
    """Another host (a CDN) that answers 503 to everything."""

    hits: ClassVar[int] = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_another_host_failing_now_fails_the_pull_and_one_gone_is_a_link(
    tmp_path: Path, client: Client
) -> None:
    project = client.projects.create(name="Faults", short_name=SHORT, description="d")
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing) as cdn:
        thread = threading.Thread(target=cdn.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{cdn.server_address[1]}/x.png"
            body = {"project_id": project.id, "info": {"file_name": "x.png"}, "media_url": url}
            hm = client.request("POST", "/api/helpingmaterial", json=body)
            with pytest.raises(PullError, match=r"x\.png.*503"):
                pbsync.pull(client, SHORT, tmp_path / "copy")
            assert _Failing.hits == 1 + RetryPolicy().retries
        finally:
            cdn.shutdown()
            thread.join(timeout=10)
    # the host is gone for good now: nothing accepts connections on its port
    report = pbsync.pull(client, SHORT, tmp_path / "copy")
    assert any("x.png" in w and "cannot be reached" in w for w in report.warnings)
    (material,) = LocalProject.load(tmp_path / "copy").state.helping_materials
    assert material.media_url == hm["media_url"]
