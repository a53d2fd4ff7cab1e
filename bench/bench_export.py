"""Benchmark: `pbsync export` (issue 12): requests, resume after SIGKILL, peak memory, pacing.

Each export runs as a `python -m pbsync export` subprocess, as a user runs it; projects are seeded
straight into a local server's store (tests/export_kit.py: a task run over HTTP is two requests,
and the subject here is reading them back). Parts:

1. `requests`: 5,000 tasks and 12,000 task runs (2,000 results): one uninterrupted export; the
   list requests the server counted against n // 100 + 1 per kind, plus the project lookup.
2. `resume`: the same export SIGKILLed when its files hold a random number of bytes (--kills
   times), run again; the files against the uninterrupted export's, byte for byte.
3. `memory`: the export's peak RSS (its VmHWM) at 5,000 and at 50,000 tasks (12,000 and
   120,000 task runs), next to `pbsync export --help`'s.
4. `ratelimit`: `pbsync serve --rate-limit 40/5` (a separate process, on a database seeded
   first); an export of 2,000 tasks: its 429s (counted from the server's request log) and its
   time against the windows its requests need, plus one. `--limit 10/5` makes it wait.

Run: python bench/bench_export.py [--parts requests,resume,memory,ratelimit] [--limit 40/5]
Figures are printed with the rule each one is held to (ok / FAILED); exit code 1 if any failed.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from export_kit import Seeded, seed  # noqa: E402

from pbclient.client import Client  # noqa: E402
from pbsync.server import LocalServer  # noqa: E402

SHORT = "benchexport"
KINDS = {"tasks": "/api/task", "taskruns": "/api/taskrun", "results": "/api/result"}
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
FAILED: list[str] = []


def check(ok: bool, line: str) -> None:
    print(f"  {'ok     ' if ok else 'FAILED '} {line}")
    if not ok:
        FAILED.append(line)


#: `pbsync ARGS`, writing the process's peak RSS (VmHWM) to the file named first when it exits.
#: Not `ru_maxrss`: Linux carries the parent's high-water mark over a fork and exec into the
#: child's, so a child of this (large) process would report this process's peak.
PEAK = (
    "import atexit, sys\n"
    "from pbsync.cli import main\n"
    "path = sys.argv.pop(1)\n"
    "def peak():\n"
    "    hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
    "    open(path, 'w').write(hwm.split()[1])\n"
    "atexit.register(peak)\n"
    "main(args=sys.argv[1:], prog_name='pbsync')\n"
)


def export_command(url: str, key: str | None, out: Path, *extra: str) -> list[str]:
    command = ["export", SHORT, "--endpoint", url, "--out", str(out)]
    return command + (["--api-key", key] if key else []) + list(extra)


def run_measured(args: list[str]) -> tuple[int, int, float]:
    """Run `pbsync ARGS`; return (exit status, its peak RSS in KiB, seconds)."""
    with tempfile.NamedTemporaryFile("r") as peak:
        started = time.perf_counter()
        command = [sys.executable, "-c", PEAK, peak.name, *args]
        done = subprocess.run(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seconds = time.perf_counter() - started
        if done.returncode:
            print(done.stderr.decode()[-2000:])
        return done.returncode, int(peak.read() or 0), seconds


def seeded_server(tasks: int, runs: int) -> tuple[LocalServer, Seeded]:
    server = LocalServer(testing=True).start()
    with Client(server.url, server.api_key) as client:
        made = client.projects.create(name="Bench export", short_name=SHORT, description="d")
    return server, seed(server.store, made.id, tasks, runs)


def files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def part_requests(work: Path, kills: int) -> None:
    print("1-2. 5,000 tasks, 12,000 task runs: requests, then SIGKILL and resume")
    server, seeded = seeded_server(5000, 12000)
    try:
        server.stats.reset()
        status, rss, seconds = run_measured(export_command(server.url, server.api_key, work / "a"))
        counts = server.stats.snapshot()
        print(f"  export: {seconds:.1f} s, exit {status}, peak RSS {rss / 1024:.1f} MiB")
        check(counts.get(("GET", "/api/project")) == 1, "one project lookup (GET /api/project)")
        for kind, path in KINDS.items():
            n = getattr(seeded, kind)
            got = counts.get(("GET", path), 0)
            check(got == n // 100 + 1, f"{kind}: {n} rows, {got} list requests (n // 100 + 1)")
        check(
            sum(counts.values()) == 1 + sum(n // 100 + 1 for n in seeded.__dict__.values()),
            f"{sum(counts.values())} requests in all, nothing else",
        )
        whole = files(work / "a")
        size = sum(map(len, whole.values()))
        for k in range(kills):
            # before the last page: a point past it could find the export already done
            last_page = whole[f"{SHORT}_results.jsonl"].splitlines(keepends=True)[-100:]
            point = random.randrange(1, size - sum(map(len, last_page)))
            out = work / f"cut{k}"
            proc = subprocess.Popen(
                [sys.executable, "-m", "pbsync", *export_command(server.url, server.api_key, out)],
                env=ENV,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            while proc.poll() is None and _bytes(out) < point:
                time.sleep(0.0005)  # polling the files' size: no event to wait on
            proc.send_signal(signal.SIGKILL)
            proc.wait()  # its GETs still in flight change nothing: no need to wait for them
            left = sorted(p.name for p in out.iterdir())
            status, _, seconds = run_measured(export_command(server.url, server.api_key, out))
            same = status == 0 and files(out) == whole
            killed = proc.returncode == -signal.SIGKILL
            check(
                killed and same,
                f"killed at {point:,} of {size:,} bytes (left {left}); "
                f"resumed in {seconds:.1f} s: byte-identical",
            )
    finally:
        server.stop()


def _bytes(out: Path) -> int:
    try:
        return sum(p.stat().st_size for p in out.iterdir())
    except FileNotFoundError:
        return 0


def part_memory(work: Path) -> None:
    print("3. peak RSS of the export process")
    _, base, _ = run_measured(["export", "--help"])
    print(f"  pbsync export --help (the command imported, nothing exported): {base / 1024:.1f} MiB")
    peaks = []
    for tasks in (5000, 50000):
        server, seeded = seeded_server(tasks, tasks * 12 // 5)
        try:
            out = work / f"mem{tasks}"
            status, rss, seconds = run_measured(
                export_command(server.url, server.api_key, out, "--format", "csv")
            )
        finally:
            server.stop()
        size = sum(p.stat().st_size for p in out.iterdir() if p.suffix == ".jsonl")
        rows = seeded.tasks + seeded.taskruns + seeded.results
        print(
            f"  {tasks:>6,} tasks ({rows:,} rows, {size / 2**20:.1f} MiB of JSON lines, csv too):"
            f" peak RSS {rss / 1024:.1f} MiB, {seconds:.1f} s, exit {status}"
        )
        peaks.append(rss)
    check(
        peaks[1] - peaks[0] < 5 * 1024,
        f"10x the rows, peak RSS grew {(peaks[1] - peaks[0]) / 1024:.1f} MiB (< 5)",
    )


def part_ratelimit(work: Path, limit: str, tasks: int) -> None:
    n, window = (int(x) for x in limit.split("/"))
    print(f"4. pbsync serve --rate-limit {limit}: export of {tasks:,} tasks")
    db = work / "limited.sqlite3"
    with LocalServer(db) as server, Client(server.url, server.api_key) as client:
        made = client.projects.create(name="Bench export", short_name=SHORT, description="d")
        seed(server.store, made.id, tasks, 0)
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pbsync",
            "-v",
            "serve",
            "--port",
            "0",
            "--db",
            str(db),
            "--rate-limit",
            limit,
            "--testing",
        ],
        env={**ENV, "COLUMNS": "300"},  # one log line per request, unwrapped
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert serve.stdout is not None
    banner = ""
    while "Ctrl-C" not in banner:
        banner += serve.stdout.readline()
    url = re.search(r"http://127\.0\.0\.1:\d+", banner)
    key = re.search(r"admin API key: (\S+)", banner)
    assert url and key, banner
    try:
        command = export_command(url.group(0), key.group(1), work / "limited", "--what", "tasks")
        status, _, seconds = run_measured(command)
    finally:
        serve.send_signal(signal.SIGINT)
        log, _ = serve.communicate(timeout=30)
    lines = [line for line in log.splitlines() if " /api/" in line]
    statuses = [line.split()[-3] for line in lines]
    task_lists = sum(1 for line in lines if "GET /api/task?" in line)
    needed = math.ceil(task_lists / (n - 1))
    print(
        f"  {len(lines)} API requests ({task_lists} GET /api/task), {seconds:.1f} s, exit {status}"
    )
    check(status == 0 and "429" not in statuses, f"no 429 ({statuses.count('429')})")
    check(task_lists == tasks // 100 + 1, f"{task_lists} task list requests (n // 100 + 1)")
    check(
        seconds <= (needed + 1) * window,
        f"{seconds:.1f} s within {needed} window(s) of {window} s needed, plus one",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="requests,memory,ratelimit")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--limit", default="40/5")
    parser.add_argument("--limit-tasks", type=int, default=2000)
    args = parser.parse_args()
    parts = args.parts.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "requests" in parts or "resume" in parts:
            part_requests(work, args.kills)
        if "memory" in parts:
            part_memory(work)
        if "ratelimit" in parts:
            part_ratelimit(work, args.limit, args.limit_tasks)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
