"""`pbsync serve` in a real subprocess: banner, serving, the options, and a clean Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from serve_kit import start, stop

from pbsync.cli import main

pytestmark = pytest.mark.local_only


def test_serve_prints_key_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite3"
    proc, url, lines = start(
        "--db", str(db), "--api-key", "cli-key", "--rate-limit", "50/60", verbose=True
    )
    out = ""
    try:
        banner = "".join(lines)
        assert "cli-key" in banner and str(db) in banner
        resp = requests.get(f"{url}/api/category", timeout=10)
        assert [c["short_name"] for c in resp.json()] == ["thinking", "sensing"]
        assert resp.headers["X-RateLimit-Limit"] == "50"
        body = {"name": "Cli", "short_name": "pbsynctest_cli", "description": "d"}
        made = requests.post(f"{url}/api/project", json=body, params={"api_key": "cli-key"})
        assert made.status_code == 200
        assert requests.post(f"{url}/_pbsync/reset", timeout=10).status_code == 404
        upload = {"file": ("notes.txt", b"x")}
        requests.post(f"{url}/api/helpingmaterial?api_key=cli-key", data={}, files=upload)
    finally:
        out = stop(proc)
    # the banner is the one place the admin's key is printed, even at debug verbosity
    assert "stopped" in out and "cli-key" not in out and "Traceback" not in out
    # persistent: a second start sees the project and keeps the key
    proc, url, lines = start("--db", str(db))
    try:
        assert "cli-key" in "".join(lines)
        found = requests.get(f"{url}/api/project", params={"api_key": "cli-key"}, timeout=10)
        assert [p["short_name"] for p in found.json()] == ["pbsynctest_cli"]
    finally:
        stop(proc)


def test_serve_testing_flag_enables_controls() -> None:
    proc, url, _ = start("--db", ":memory:", "--testing")
    try:
        assert requests.get(f"{url}/_pbsync/stats", timeout=10).status_code == 200
    finally:
        stop(proc)


def test_serve_stops_on_sigint_even_when_started_with_it_ignored() -> None:
    proc, url, _ = start("--db", ":memory:", "--api-key", "bg-key", sigint_ignored=True)
    assert requests.get(f"{url}/api/project", timeout=10).json() == []
    out = stop(proc)
    assert "stopped" in out and "Traceback" not in out


def test_serve_sigterm_stops_cleanly() -> None:
    proc, _url, _ = start("--db", ":memory:")
    proc.terminate()
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out


@pytest.mark.parametrize("value", ["abc", "0", "5/0"])
def test_bad_rate_limit_is_a_usage_error(value: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", ":memory:", "--rate-limit", value])
    assert result.exit_code == 1  # pbsync maps usage errors to 1 too
    assert "rate" in result.output.lower()


def test_port_in_use_is_an_error(local_server: object) -> None:
    port = int(str(local_server.url).rsplit(":", 1)[1])
    result = CliRunner().invoke(main, ["serve", "--db", ":memory:", "--port", str(port)])
    assert result.exit_code == 1
    assert "cannot serve" in result.output
