"""A refused connection fails fast (issue 11, item 7): before, ~6 s of retries came first.

Nothing listens on a closed port of this machine, and nothing will within a back-off: no retry
there; one short retry for a remote host (a server restarting behind a load balancer).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from pbclient.attempts import network_retries
from pbclient.client import Client
from pbclient.errors import TransportError
from pbsync.cli import main


@pytest.fixture
def closed_url() -> Iterator[str]:
    """A loopback URL whose port is bound but never listened on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def _refused(url: str) -> requests.ConnectionError:
    try:
        requests.get(url, timeout=5)
    except requests.ConnectionError as exc:
        return exc
    raise AssertionError(f"{url} answered")


def test_refused_loopback_connection_is_not_retried(closed_url: str) -> None:
    slept: list[float] = []
    with Client(closed_url, "k", sleep=slept.append) as client:
        with pytest.raises(TransportError, match="refused"):
            client.send("GET", "/api/project")
        assert client.stats.total == 1
        assert client.stats.retries == 0 and slept == []


def test_refused_remote_connection_gets_one_short_retry(closed_url: str) -> None:
    refused = _refused(closed_url)
    assert network_retries(refused, closed_url, 3) == 0
    assert network_retries(refused, "http://localhost:5000/api/project", 3) == 0
    assert network_retries(refused, "http://[::1]:5000/api/project", 3) == 0
    assert network_retries(refused, "https://pybossa.example.org/api/project", 3) == 1
    assert network_retries(refused, "https://pybossa.example.org/api/project", 0) == 0


def test_other_network_errors_keep_every_retry() -> None:
    timeout = requests.ReadTimeout("read timed out")
    assert network_retries(timeout, "http://127.0.0.1:5000/api/project", 3) == 3
    reset = requests.ConnectionError(ConnectionResetError(104, "Connection reset by peer"))
    assert network_retries(reset, "https://pybossa.example.org/api/project", 3) == 3


def test_diff_against_a_closed_port_fails_fast(tmp_path: Path, closed_url: str) -> None:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "project.toml").write_text(
        '[project]\nname = "R"\nshort_name = "pbsynctest_refused"\ndescription = "d"\n',
        encoding="utf-8",
    )
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    started = time.monotonic()
    result = CliRunner().invoke(
        main, ["--endpoint", closed_url, "--api-key", "k", "diff", str(folder)], env=env
    )
    elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert "connection refused" in result.stderr
    # an upper bound generous enough for a slow CI machine; it took ~3.5 s of back-offs before
    assert elapsed < 2.5, elapsed
