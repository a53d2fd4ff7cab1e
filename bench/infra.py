"""What every scenario stands on: the server, the latency proxy, timed child processes.

The server is `pbsync serve --testing` in a child process (its request counters, read over
`/_pbsync/stats`, are the requests the scenarios report; the control routes are not counted). All
traffic of a "+50 ms" measurement goes through `bench/latency_proxy.py`, whose round trip can be
switched: a project is set up through the proxy at 0 ms and measured through the same address at
50 ms, since pbsync keeps its sync record per endpoint. With `PBSYNC_BENCH_ENDPOINT` and
`PBSYNC_BENCH_API_KEY` the scenarios run against that server instead; nothing is reset there and
requests cannot be counted (the figures say None).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-admin-key"
#: a limit no run reaches: headers count down as on PYBOSSA, so clients pace as they would there
NO_LIMIT = "1000000000"
LOG_LINE = re.compile(r"\b(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH) (\S+) (\d{3}) ")


def tool_env(home: Path) -> dict[str, str]:
    """The environment of every tool run: this checkout first, a HOME of its own (no
    ~/.pybossa.cfg of the user's), no endpoint or key from the caller's environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYBOSSA_")}
    return env | {"PYTHONPATH": str(ROOT), "HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200"}


@dataclass
class Server:
    """A server the scenarios talk to.

    Attributes:
        url: its own address (for control routes and for polling; never behind the proxy).
        api_key: the admin's key.
        local: True for our `pbsync serve` (reset and request counts available).
        statuses: answers by status code, from its request log (only with `log=True`).
    """

    url: str
    api_key: str
    local: bool
    statuses: Counter[str] = field(default_factory=Counter)
    paths_429: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        """Empty the local server (the admin key stays); no-op against an external one."""
        if self.local:
            requests.post(f"{self.url}/_pbsync/reset", timeout=60).raise_for_status()
            self.clear()

    def clear(self) -> None:
        """Zero the request counters."""
        if self.local:
            requests.delete(f"{self.url}/_pbsync/stats", timeout=30).raise_for_status()
            self.statuses.clear()
            self.paths_429.clear()

    def logged(self, expected: int, timeout: float = 10.0) -> bool:
        """Wait until the request log has shown `expected` API answers since `clear()` (it is
        read in a thread, and a line is written once its answer has been sent)."""
        deadline = time.monotonic() + timeout
        while sum(self.statuses.values()) < expected:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def counts(self) -> dict[str, int] | None:
        """Requests received since `clear()`, keyed "METHOD /path" (None: cannot count)."""
        if not self.local:
            return None
        rows = requests.get(f"{self.url}/_pbsync/stats", timeout=30).json()["requests"]
        return {f"{r['method']} {r['path']}": int(r["count"]) for r in rows}

    def project(self, short_name: str) -> dict[str, Any]:
        """The project named `short_name` (read directly, not counted against a tool's run)."""
        params = {"short_name": short_name, "all": 1}
        got = requests.get(
            f"{self.url}/api/project",
            params=params,
            headers={"Authorization": self.api_key},
            timeout=30,
        ).json()
        if not got:
            raise SystemExit(f"project {short_name} is not on the server")
        return dict(got[0])

    def has_tasks(self, project_id: int, n: int) -> bool:
        """True when the project holds exactly `n` tasks (two reads by offset)."""
        headers = {"Authorization": self.api_key}

        def at(offset: int) -> int:
            params: dict[str, Any] = {
                "project_id": project_id,
                "limit": 1,
                "offset": offset,
                "all": 1,
            }
            url = f"{self.url}/api/task"
            return len(requests.get(url, params=params, headers=headers, timeout=30).json())

        return (n == 0 or at(n - 1) == 1) and at(n) == 0


def total(counts: dict[str, int] | None) -> int | None:
    """All requests of a `Server.counts()`."""
    return None if counts is None else sum(counts.values())


def writes(counts: dict[str, int] | None) -> int | None:
    """The requests of a `Server.counts()` that are not GETs or HEADs."""
    if counts is None:
        return None
    return sum(n for k, n in counts.items() if not k.startswith(("GET ", "HEAD ")))


def _drain(stream: IO[str], server: Server) -> None:
    """Read the server's output to its end, counting the statuses of its request log."""
    for line in stream:
        match = LOG_LINE.search(line)
        if match and match.group(2).startswith("/api/"):
            server.statuses[match.group(3)] += 1
            if match.group(3) == "429":
                server.paths_429[match.group(2).split("?")[0]] += 1


@contextmanager
def local_server(rate_limit: str = NO_LIMIT, log: bool = False) -> Iterator[Server]:
    """Run `pbsync serve --testing` on a free port with an in-memory database.

    Args:
        rate_limit: `--rate-limit` (N or N/SECONDS).
        log: log every request (`-v`) and count the answers by status.
    """
    cmd = [sys.executable, "-m", "pbsync", *(["-v"] if log else []), "serve", "--port", "0"]
    cmd += ["--db", ":memory:", "--api-key", KEY, "--testing", "--rate-limit", rate_limit]
    env = tool_env(Path.home())
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert proc.stdout is not None
    # the banner's first line names the address, printed once the server accepts connections
    first = proc.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+", first)
    if found is None:
        proc.kill()
        raise SystemExit(f"pbsync serve did not start: {first!r}")
    server = Server(found.group(0), KEY, local=True)
    threading.Thread(target=_drain, args=(proc.stdout, server), daemon=True).start()
    try:
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def any_server() -> Iterator[Server]:
    """The external server of PBSYNC_BENCH_ENDPOINT/PBSYNC_BENCH_API_KEY, or a local one."""
    endpoint = os.environ.get("PBSYNC_BENCH_ENDPOINT")
    if endpoint:
        key = os.environ.get("PBSYNC_BENCH_API_KEY")
        if not key:
            raise SystemExit("PBSYNC_BENCH_ENDPOINT needs PBSYNC_BENCH_API_KEY")
        yield Server(endpoint.rstrip("/"), key, local=False)
        return
    with local_server() as server:
        yield server


class Proxy:
    """`bench/latency_proxy.py` in front of a server, with a round trip that can be switched.

    Args:
        server_url: where it forwards to (plain HTTP: the proxy is TCP and does not speak TLS).
    """

    def __init__(self, server_url: str) -> None:
        parts = urlsplit(server_url)
        script = str(Path(__file__).with_name("latency_proxy.py"))
        argv = [sys.executable, script, str(parts.hostname), str(parts.port or 80), "0"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{self.proc.stdout.readline().strip()}"
        self.rtt_ms = 0.0

    def set_rtt(self, rtt_ms: float) -> None:
        """Delay the connections opened from now on by `rtt_ms` per round trip."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{rtt_ms}\n")
        self.proc.stdin.flush()
        if self.proc.stdout.readline().strip() != "ok":
            raise SystemExit("the latency proxy did not take the new round trip")
        self.rtt_ms = rtt_ms

    def close(self) -> None:
        """Stop it (it ends when its stdin closes)."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@dataclass
class Run:
    """One child process: wall seconds, exit code, peak RSS (MB) and its stdout."""

    seconds: float
    code: int
    rss_mb: float
    out: str


def timed(argv: list[str], *, env: dict[str, str], cwd: Path | None = None) -> Run:
    """Run `argv` to its end; time it from start to exit and read its peak RSS (wait4)."""
    with open(os.devnull, "rb") as stdin, _scratch() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=stdin, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return Run(seconds, proc.returncode, usage.ru_maxrss / 1024, text)


@contextmanager
def _scratch() -> Iterator[IO[bytes]]:
    with tempfile.TemporaryFile() as handle:
        yield handle
