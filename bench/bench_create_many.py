"""Benchmark: creating N tasks with pybossa-client 3.0.0 versus pbsync's modern client.

Two ways of creating the same N tasks against one local PYBOSSA-compatible server, each timed from
the first request to the last answer:

  (a) legacy: N `pbclient.create_task(...)` calls through the REAL pybossa-client 3.0.0, run in a
      separate virtual environment (a new connection per call, one call at a time);
  (b) modern: one `client.tasks.create_many(project, infos)` of pbsync's `Client` (keep-alive,
      a few concurrent workers, duplicate-free reconciliation).

With `--shim` it also times (c): the same N legacy `create_task` calls through pbsync's drop-in
`pbclient` module (what `pbs` and old scripts get when pbsync replaces pybossa-client).
The server runs in its own process, with a rate limit no run reaches (so its headers count down as
PYBOSSA's do). On localhost a round trip costs ~0 and the server's own work dominates; `--rtt MS`
puts `bench/latency_proxy.py` in between to charge what a remote PYBOSSA costs (one RTT per new
connection, one per request; TLS handshakes, which would cost 3.0.0 more, are not modelled).

Create the 3.0.0 environment once:

    python3 -m venv /tmp/pbc300 && /tmp/pbc300/bin/pip install pybossa-client==3.0.0

Run (target: ratio >= 5x over a network; 10 ms is a short hop to a nearby server):

    python bench/bench_create_many.py --legacy-python /tmp/pbc300/bin/python --n 10000 --rtt 10
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pbclient import Client
from pbclient.tasks import DEFAULT_WORKERS

SERVER_SNIPPET = """
import sys
from pbsync.server import LocalServer
# a limit no run reaches: headers count down as on PYBOSSA, so clients pace as they would there
server = LocalServer(db=":memory:", rate_limit=(10_000_000, 900))
server.start()
print(server.url, server.api_key, flush=True)
sys.stdin.read()
server.stop()
"""

LEGACY_SNIPPET = """
import json, sys, time
import pbclient
endpoint, api_key, project_id, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pbclient.set("endpoint", endpoint)
pbclient.set("api_key", api_key)
failed = 0
start = time.perf_counter()
for i in range(n):
    task = pbclient.create_task(project_id, {"n": i, "image": "https://example.org/%d.jpg" % i})
    failed += not isinstance(task, pbclient.Task)
seconds = time.perf_counter() - start
try:
    from importlib.metadata import version
    dist = version("pybossa-client")
except Exception:
    dist = "not installed (pbsync's drop-in)"
print(json.dumps({"seconds": seconds, "failed": failed, "module": pbclient.__file__,
                  "pybossa_client": dist, "is_pbsync": hasattr(pbclient, "Client")}))
"""


@contextmanager
def child(argv: list[str]) -> Iterator[str]:
    """Run a helper process that prints one line when ready and stops when its stdin closes."""
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        # keep reading whatever else the child prints, or a full pipe would block it
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield line
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=30)


@contextmanager
def local_server(rtt_ms: float) -> Iterator[tuple[str, str]]:
    """Start `LocalServer` in a child process (behind the latency proxy when `rtt_ms` > 0).

    Yields:
        (the URL clients should use, the admin's API key).
    """
    with child([sys.executable, "-c", SERVER_SNIPPET]) as line:
        url, api_key = line.split()
        if rtt_ms <= 0:
            yield url, api_key
            return
        parts = urlsplit(url)
        proxy = [sys.executable, str(Path(__file__).with_name("latency_proxy.py"))]
        proxy += [str(parts.hostname), str(parts.port), str(rtt_ms)]
        with child(proxy) as port:
            yield f"http://127.0.0.1:{port}", api_key


def new_project(client: Client, short_name: str) -> int:
    """Create an empty project and return its id."""
    body = {"name": short_name, "short_name": short_name, "description": "benchmark"}
    return int(client.request("POST", "/api/project", json=body)["id"])


def count_tasks(client: Client, project_id: int) -> int:
    """Count the project's tasks (keyset pages)."""
    return sum(1 for _ in client.tasks.iter(project_id=project_id))


def run_legacy(python: str, url: str, api_key: str, project_id: int, n: int) -> dict[str, Any]:
    """Time N `create_task` calls with the given interpreter's `pbclient`."""
    # -I and a neutral cwd: the child imports its own environment's pbclient, not this checkout's
    argv = [python, "-I", "-c", LEGACY_SNIPPET, url, api_key, str(project_id), str(n)]
    done = subprocess.run(
        argv, capture_output=True, text=True, check=True, cwd=tempfile.gettempdir()
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_modern(client: Client, project_id: int, n: int, workers: int) -> float:
    """Time one `create_many` of N tasks."""
    infos = [{"n": i, "image": f"https://example.org/{i}.jpg"} for i in range(n)]
    start = time.perf_counter()
    created = client.tasks.create_many(project_id, infos, workers=workers)
    seconds = time.perf_counter() - start
    if len(created) != n:
        raise SystemExit(f"create_many returned {len(created)} tasks, expected {n}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print both times and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="tasks per run (default 10000)")
    parser.add_argument(
        "--legacy-python",
        required=True,
        help="python of a venv with pybossa-client==3.0.0 (see the module docstring)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"create_many workers (default {DEFAULT_WORKERS}, the library's default)",
    )
    parser.add_argument(
        "--rtt",
        type=float,
        default=0.0,
        help="simulated network round trip in ms, through bench/latency_proxy.py (default 0)",
    )
    parser.add_argument(
        "--shim", action="store_true", help="also time pbsync's drop-in legacy pbclient"
    )
    args = parser.parse_args(argv)

    with local_server(args.rtt) as (url, api_key), Client(url, api_key) as client:
        print(f"server {url} (round trip +{args.rtt:g} ms); creating {args.n} tasks each way")
        legacy_id = new_project(client, "benchlegacy")
        legacy = run_legacy(args.legacy_python, url, api_key, legacy_id, args.n)
        if legacy["is_pbsync"]:
            raise SystemExit(f"--legacy-python imported pbsync's pbclient ({legacy['module']})")
        print(f"pybossa-client {legacy['pybossa_client']} ({legacy['module']})")
        print(f"(a) legacy create_task x{args.n}: {legacy['seconds']:.2f} s")

        modern_id = new_project(client, "benchmodern")
        modern = run_modern(client, modern_id, args.n, args.workers)
        print(f"(b) Client.tasks.create_many({args.n}, workers={args.workers}): {modern:.2f} s")

        if args.shim:
            shim_id = new_project(client, "benchshim")
            shim = run_legacy(sys.executable, url, api_key, shim_id, args.n)
            print(f"(c) pbsync's legacy pbclient create_task x{args.n}: {shim['seconds']:.2f} s")

        counts = {pid: count_tasks(client, pid) for pid in (legacy_id, modern_id)}
        if legacy["failed"] or set(counts.values()) != {args.n}:
            raise SystemExit(f"wrong task counts: {counts}, legacy failures {legacy['failed']}")
        ratio = float(legacy["seconds"]) / modern
        print(f"ratio legacy/modern: {ratio:.1f}x (target >= 5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
