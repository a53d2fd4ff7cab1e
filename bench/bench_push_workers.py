"""Benchmark: `pbsync push` of N new tasks versus a raw keep-alive loop, per worker count.

Issue 7 asks that, over a 50 ms round trip, `pbsync push` of 600 new tasks reach >= 80% of the
throughput of a raw keep-alive loop with the same number of workers, and that push's default
concurrency (`pbsync.sync.apply.WORKERS`) be chosen by measurement. For each worker count and
round (the contestants' order alternates every round) it times:

  (a) push: the library `pbsync.push(folder, client)` of a fresh folder (project.toml + a
      tasks.csv of N distinct rows) with `pbsync.sync.apply.WORKERS` patched to the worker count.
      The whole call is timed, so it includes the planning reads (project lookup, categories,
      helping materials, tasks) and the project's creation; `apply s` is the apply alone (from
      the reporter's `start` to its `finish`);
  (b) raw: one `requests.Session` (pool >= workers) and a ThreadPoolExecutor of the same size
      POSTing the same N task bodies to `/api/task` of a project created beforehand, timed from
      the first request to the last answer.

The server (`pbsync.server.LocalServer`, testing routes on, a rate limit no run reaches) runs in
its own process behind `bench/latency_proxy.py`; it is reset (`POST /_pbsync/reset`, which keeps
the admin key) before every run. Figures are printed, never asserted. Run:

    python bench/bench_push_workers.py --rtt 50 --n 600 --rounds 3
    python bench/bench_push_workers.py --quick        # N=60, 8 workers, 1 round
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

# run as `python bench/bench_push_workers.py`: bench/ is on sys.path
from bench_create_many import child
from requests.adapters import HTTPAdapter

import pbsync
import pbsync.sync.apply
from pbclient.client import Client
from pbsync.model import TASK_DEFAULTS
from pbsync.sync.apply import Reporter

SERVER_SNIPPET = """
import sys
from pbsync.server import LocalServer
server = LocalServer(db=":memory:", rate_limit=(1_000_000_000, 900), testing=True)
server.start()
print(server.url, server.api_key, flush=True)
sys.stdin.read()
server.stop()
"""


@contextmanager
def server_behind_proxy(rtt_ms: float) -> Iterator[tuple[str, str, str]]:
    """Start the server and the latency proxy in front of it.

    Yields:
        (the server's own URL, the proxy's URL clients use, the admin's API key).
    """
    with child([sys.executable, "-c", SERVER_SNIPPET]) as line:
        url, api_key = line.split()
        parts = urlsplit(url)
        proxy = [sys.executable, str(Path(__file__).with_name("latency_proxy.py"))]
        with child([*proxy, str(parts.hostname), str(parts.port), str(rtt_ms)]) as port:
            yield url, f"http://127.0.0.1:{port}", api_key


def reset(server_url: str, api_key: str) -> None:
    """Empty the server, then check that the admin key still authenticates.

    An empty project body is refused with 401 for an unknown key and 4xx otherwise (a GET would
    not tell: anonymous reads succeed).
    """
    requests.post(f"{server_url}/_pbsync/reset", timeout=30).raise_for_status()
    probe = requests.post(
        f"{server_url}/api/project", json={}, headers={"Authorization": api_key}, timeout=30
    )
    if probe.status_code == 401:
        raise SystemExit("the reset changed the admin key; re-fetch it before going on")


def infos(n: int) -> list[dict[str, str]]:
    """N distinct task infos, as push reads them from tasks.csv."""
    return [{"url": f"https://example.org/img/{i}.jpg"} for i in range(n)]


def run_push(url: str, api_key: str, short_name: str, n: int, workers: int) -> dict[str, Any]:
    """Time one library push of a fresh folder with N new tasks.

    Returns:
        seconds (whole push call), apply seconds, requests sent, tasks created.
    """
    with tempfile.TemporaryDirectory(prefix="bench-push-") as tmp:
        folder = Path(tmp)
        (folder / "project.toml").write_text(
            f'[project]\nname = "{short_name}"\nshort_name = "{short_name}"\n'
            'description = "benchmark"\n',
            encoding="utf-8",
        )
        rows = ["url", *(info["url"] for info in infos(n))]
        (folder / "tasks.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        pbsync.sync.apply.WORKERS = workers
        with Client(url, api_key) as client:
            clock = _ApplyClock()
            start = time.perf_counter()
            report = pbsync.push(folder, client, reporter=clock)
            seconds = time.perf_counter() - start
            sent = client.stats.total
    created = report.created["task"]
    if created != n:
        raise SystemExit(f"push created {created} tasks, expected {n}")
    return {"seconds": seconds, "apply_seconds": clock.seconds, "requests": sent}


class _ApplyClock(Reporter):
    """Times the apply alone: from the reporter's `start` to its `finish`."""

    def __init__(self) -> None:
        self.started = self.seconds = 0.0

    def start(self, plan: Any) -> None:
        self.started = time.perf_counter()

    def finish(self, report: Any) -> None:
        self.seconds = time.perf_counter() - self.started


def run_raw(url: str, api_key: str, short_name: str, n: int, workers: int) -> dict[str, Any]:
    """Time N task POSTs on one keep-alive session and a pool of `workers` threads.

    Returns:
        seconds (first request to last answer), requests sent (N).
    """
    headers = {"Authorization": api_key}
    body = {"name": short_name, "short_name": short_name, "description": "benchmark"}
    made = requests.post(f"{url}/api/project", json=body, headers=headers, timeout=30)
    made.raise_for_status()
    project_id = made.json()["id"]
    bodies = [{"project_id": project_id, "info": info, **TASK_DEFAULTS} for info in infos(n)]
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(workers, 16))
    session.mount("http://", adapter)

    def post(task: dict[str, Any]) -> int:
        return session.post(f"{url}/api/task", json=task, headers=headers, timeout=30).status_code

    with session, ThreadPoolExecutor(max_workers=workers) as pool:
        start = time.perf_counter()
        statuses = list(pool.map(post, bodies))
        seconds = time.perf_counter() - start
    if statuses.count(200) != n:
        raise SystemExit(f"raw loop: {n - statuses.count(200)} of {n} POSTs failed")
    return {"seconds": seconds, "requests": n}


def summarise(n: int, runs: list[dict[str, Any]], workers: int) -> dict[str, Any]:
    """Medians of one worker count's runs, throughputs and their ratio."""
    push = statistics.median(r["push"]["seconds"] for r in runs)
    raw = statistics.median(r["raw"]["seconds"] for r in runs)
    return {
        "workers": workers,
        "push_s": push,
        "push_tps": n / push,
        "apply_s": statistics.median(r["push"]["apply_seconds"] for r in runs),
        "raw_s": raw,
        "raw_tps": n / raw,
        "ratio": raw / push,
        "push_requests": max(r["push"]["requests"] for r in runs),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and write the raw figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=600, help="tasks per run (default 600)")
    parser.add_argument("--workers", default="4,8,12,16", help="comma-separated worker counts")
    parser.add_argument("--rounds", type=int, default=3, help="runs per contestant (default 3)")
    parser.add_argument("--rtt", type=float, default=50.0, help="added round trip, ms (50)")
    parser.add_argument("--json", default="bench/results/push_workers.json", help="output file")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=60, 8 workers, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.workers, args.rounds, args.rtt = 60, "8", 1, 50.0
    counts = [int(w) for w in args.workers.split(",")]
    default = pbsync.sync.apply.WORKERS
    load_before = os.getloadavg()
    results: list[dict[str, Any]] = []
    with server_behind_proxy(args.rtt) as (server_url, url, api_key):
        print(f"server {server_url} via proxy {url} (+{args.rtt:g} ms); {args.n} tasks per run")
        print(f"push default WORKERS = {default}; load average {load_before[0]:.2f}")
        for workers in counts:
            runs: list[dict[str, Any]] = []
            for rnd in range(args.rounds):
                run: dict[str, Any] = {"round": rnd}
                order = ("push", "raw") if rnd % 2 == 0 else ("raw", "push")
                for name in order:
                    reset(server_url, api_key)
                    fn = run_push if name == "push" else run_raw
                    run[name] = fn(url, api_key, f"bench{name}w{workers}r{rnd}", args.n, workers)
                print(
                    f"  workers {workers} round {rnd}: push {run['push']['seconds']:.2f} s, "
                    f"raw {run['raw']['seconds']:.2f} s"
                )
                runs.append(run)
            results.append({**summarise(args.n, runs, workers), "runs": runs})
        pbsync.sync.apply.WORKERS = default
    load_after = os.getloadavg()
    print(f"\nmedians of {args.rounds} round(s), N={args.n}, rtt {args.rtt:g} ms")
    print("push s includes the planning reads and the project's creation; apply s excludes them")
    print(
        f"{'workers':>7} {'push s':>7} {'push t/s':>9} {'apply s':>8} {'raw s':>7} "
        f"{'raw t/s':>8} {'push/raw':>9} {'push reqs':>10}"
    )
    for r in results:
        print(
            f"{r['workers']:>7} {r['push_s']:>7.2f} {r['push_tps']:>9.1f} {r['apply_s']:>8.2f} "
            f"{r['raw_s']:>7.2f} {r['raw_tps']:>8.1f} {r['ratio']:>8.0%} {r['push_requests']:>10}"
        )
    cpus = os.cpu_count()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} ({cpus} cpus)")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"n": args.n, "rtt_ms": args.rtt, "rounds": args.rounds, "default_workers": default}
    meta |= {"loadavg_before": load_before, "loadavg_after": load_after, "cpus": cpus}
    out.write_text(json.dumps({**meta, "results": results}, indent=2) + "\n", encoding="utf-8")
    print(f"raw figures: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
