"""Benchmark: task POSTs per second against the local server from one keep-alive client.

Starts `LocalServer` in a subprocess (so the client does not share the server's GIL), creates a
project, then POSTs `--n` tasks through one `requests.Session` and prints the rate. The target on a
2-core machine is >= 500 tasks/s.

    python bench/bench_server.py --n 5000            # file database (WAL) in a temp dir
    python bench/bench_server.py --n 5000 --db :memory:
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

SERVER = """
import sys
from pbsync.server import LocalServer
server = LocalServer(sys.argv[1], api_key="bench-key").start()
print(server.url, flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    server.stop()
"""
TARGET = 500.0


def start_server(db: str) -> tuple[subprocess.Popen[str], str]:
    """Start the server in a subprocess; return it and its URL."""
    proc = subprocess.Popen([sys.executable, "-c", SERVER, db], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"server did not start: {url!r}")
    return proc, url


def post_tasks(url: str, n: int) -> float:
    """POST `n` tasks over one keep-alive session; return tasks per second."""
    with requests.Session() as session:
        session.headers["Authorization"] = "bench-key"
        body = {"name": "Bench", "short_name": "bench", "description": "benchmark"}
        project = session.post(f"{url}/api/project", json=body, timeout=30)
        project.raise_for_status()
        pid = project.json()["id"]
        for _ in range(20):  # warm up: connection, caches
            session.get(f"{url}/api/category", timeout=30)
        started = time.perf_counter()
        for i in range(n):
            resp = session.post(
                f"{url}/api/task",
                json={"project_id": pid, "info": {"i": i, "url": f"https://example.org/{i}.png"}},
                timeout=30,
            )
            if resp.status_code != 200:
                raise SystemExit(f"task {i}: HTTP {resp.status_code} {resp.text[:200]}")
        elapsed = time.perf_counter() - started
        count = len(session.get(f"{url}/api/task", params={"limit": 1, "offset": n - 1}).json())
        assert count == 1, "not every task was stored"
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="tasks to POST (default 2000)")
    parser.add_argument("--db", default=None, help="database (default: a file in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or str(Path(tmp) / "bench.sqlite3")
        proc, url = start_server(db)
        try:
            rate = post_tasks(url, args.n)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    kind = "in-memory" if db == ":memory:" else "file (WAL)"
    verdict = "OK" if rate >= TARGET else "BELOW TARGET"
    print(f"{args.n} task POSTs, one keep-alive client, {kind} database: {rate:.0f} tasks/s")
    print(f"target >= {TARGET:.0f} tasks/s: {verdict}")


if __name__ == "__main__":
    main()
