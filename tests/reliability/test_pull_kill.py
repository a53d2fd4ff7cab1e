"""A pull killed half-way leaves the folder as it was, and the next pull resumes it: it downloads
only what had not arrived, finishes a move that was cut short, and blames no "local changes" that
are its own writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pullkit import SHORT, assert_caught_up, make_behind, media_path, snapshot

import pbsync
from pbclient.client import Client
from pbsync.server import LocalServer

TIMEOUT = 30.0
#: how long the server holds the last download: the kill comes long before
SLOW = 2.0


@pytest.fixture
def client(endpoint: str, api_key: str, local_server: LocalServer) -> Iterator[Client]:
    with Client(endpoint, api_key) as c:
        yield c


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Wait for `condition` (polled; the server offers no event for it), failing after TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_a_pull_killed_during_a_download_changes_nothing_and_the_rerun_resumes(
    tmp_path: Path, local_server: LocalServer, client: Client
) -> None:
    copy = make_behind(tmp_path, client)
    before = snapshot(copy)
    slow = media_path(client, "e.png")  # the last of the three downloads
    local_server.faults.add(1, latency=SLOW, path=slow, method="GET")
    local_server.stats.reset()
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("PYBOSSA_ENDPOINT", None)
    env.pop("PYBOSSA_API_KEY", None)
    command = [sys.executable, "-m", "pbsync", "--endpoint", local_server.url]
    command += ["--api-key", local_server.api_key, "pull", SHORT, str(copy)]
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    ) as process:
        try:
            wait_until(lambda: local_server.stats.snapshot().get(("GET", slow), 0) > 0, slow)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=TIMEOUT)
    assert snapshot(copy) == before  # files and state.json alike
    report = pbsync.pull(client, SHORT, copy)  # no PullError: nothing is blamed on the user
    assert report.downloads == 1  # b.png and d.png had arrived: only e.png is fetched again
    assert_caught_up(client, copy)
