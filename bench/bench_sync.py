"""Sync benchmark: crash-safe resume and request counts, against `pbsync serve --testing`.

    /work/venv/bin/python bench/bench_sync.py [--tasks 10000]

(a) push N tasks, SIGKILL the pushing process half-way, push again: the server must hold exactly N
    tasks (no duplicates, none missing);
(b) `pbsync diff` on the unchanged N-task project: requests spent (target <= ceil(N/100) + 5);
(c) requests for an unchanged push, one presenter change, three new task rows.

The server runs in its own process so the pushing process can be killed; its request counters
are read from `/_pbsync/stats` (the control routes are not counted).
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

KEY = "bench-admin-key"
SHORT = "benchsync"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    db = workdir / "server.sqlite3"
    cmd = [
        sys.executable,
        "-m",
        "pbsync",
        "serve",
        "--testing",
        "--port",
        str(port),
        "--db",
        str(db),
        "--api-key",
        KEY,
        "--rate-limit",
        "1000000000",  # counted honestly in the headers, never reached
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/_pbsync/stats", timeout=1).raise_for_status()
            return proc, url
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def write_project(folder: Path, rows: int, presenter: str = "<p>v1</p>\n") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Bench sync"\nshort_name = "{SHORT}"\ndescription = "bench"\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text(presenter, encoding="utf-8")
    lines = ["url,n"] + [f"https://example.org/img/{i}.jpg,{i}" for i in range(rows)]
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def pbsync_cmd(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "pbsync", "-q", "--endpoint", url, "--api-key", KEY, *args]


def stats(url: str) -> dict[str, Any]:
    return dict(requests.get(f"{url}/_pbsync/stats", timeout=10).json())


def reset_stats(url: str) -> None:
    requests.delete(f"{url}/_pbsync/stats", timeout=10).raise_for_status()


def count(url: str, method: str | None = None, path: str | None = None) -> int:
    return sum(
        row["count"]
        for row in stats(url)["requests"]
        if (method is None or row["method"] == method) and (path is None or row["path"] == path)
    )


def writes(url: str) -> int:
    return sum(row["count"] for row in stats(url)["requests"] if row["method"] != "GET")


def server_tasks(url: str) -> tuple[int, int]:
    """(tasks on the server, distinct task infos) for the bench project, paged by keyset."""
    headers = {"Authorization": KEY}
    project = requests.get(
        f"{url}/api/project", params={"short_name": SHORT}, headers=headers, timeout=10
    ).json()[0]
    seen: list[str] = []
    last_id = 0
    while True:
        params = {"project_id": project["id"], "limit": 100, "last_id": last_id}
        page = requests.get(f"{url}/api/task", params=params, headers=headers, timeout=30).json()
        seen += [row["info"]["url"] for row in page]
        if len(page) < 100:
            return len(seen), len(set(seen))
        last_id = page[-1]["id"]


def run(cmd: list[str]) -> int:
    return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode


def bench_kill_and_resume(url: str, folder: Path, n: int) -> None:
    proc = subprocess.Popen(
        pbsync_cmd(url, "push", str(folder), "--yes"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    while count(url, "POST", "/api/task") < n // 2 and proc.poll() is None:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before, _ = server_tasks(url)
    print(
        f"(a) killed the push (SIGKILL) after {time.monotonic() - started:.1f}s with "
        f"{before:,} of {n:,} tasks on the server"
    )
    started = time.monotonic()
    code = run(pbsync_cmd(url, "push", str(folder), "--yes"))
    total, distinct = server_tasks(url)
    print(
        f"(a) re-run exit {code} in {time.monotonic() - started:.1f}s: tasks on the server: "
        f"{total:,} (distinct: {distinct:,}; expected exactly {n:,})"
    )


def bench_diff(url: str, folder: Path, n: int) -> None:
    reset_stats(url)
    started = time.monotonic()
    code = run(pbsync_cmd(url, "diff", str(folder)))
    spent = count(url)
    budget = math.ceil(n / 100) + 5
    print(
        f"(b) pbsync diff (unchanged, {n:,} tasks): exit {code}, {spent} requests "
        f"(budget {budget}), {time.monotonic() - started:.1f}s"
    )


def bench_push_counts(url: str, folder: Path, n: int) -> None:
    for label, change in (
        ("unchanged push", lambda: None),
        ("one presenter change", lambda: write_project(folder, n, "<p>v2</p>\n")),
        ("3 new task rows", lambda: write_project(folder, n + 3, "<p>v2</p>\n")),
    ):
        change()
        reset_stats(url)
        code = run(pbsync_cmd(url, "push", str(folder), "--yes"))
        detail = {
            f"{r['method']} {r['path']}": r["count"]
            for r in stats(url)["requests"]
            if r["method"] != "GET"
        }
        print(
            f"(c) {label}: exit {code}, writes {writes(url)} {detail or ''}, requests {count(url)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        workdir = Path(tmp)
        proc, url = start_server(workdir)
        try:
            folder = workdir / "project"
            write_project(folder, args.tasks)
            bench_kill_and_resume(url, folder, args.tasks)
            bench_diff(url, folder, args.tasks)
            bench_push_counts(url, folder, args.tasks)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
