"""P4: `pbsync diff` of a large project: time and peak RSS next to the bare paged fetch.

    /work/venv/bin/python bench/bench_diff_memory.py [--tasks 100000] [--rounds 3]

A `pbsync serve --testing` subprocess on a SQLite file; the project is made over HTTP and its
tasks written straight into the file in one transaction (creating them over HTTP is
bench_create_many's subject, and would take minutes). The folder holds the same tasks, so the
diff finds the project in sync (exit 0, checked). Then, alternately for `--rounds` rounds:

- `pbsync diff` in a child process;
- the bare paged fetch: a child process that walks the same task pages with `requests`
  (keep-alive session, keyset `last_id`, 100 a page), decoding each page and keeping nothing.

Each child's peak RSS comes from GNU time (`os.wait4`'s rusage without it); times are wall
clock from spawn to exit, so both include interpreter start-up. Printed: medians, and the ratio
diff / bare fetch. Also: the requests a presenter-only `pbsync push` and a `--refresh` push spend
on the same project, and a presenter save in a watch (P3's engine part).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_sync import KEY, count, pbsync_cmd, reset_stats, start_server, writes

from pbsync.server.schema import PROJECT, TASK
from pbsync.server.store import Store, now_iso

SHORT = "benchsync"
GNU_TIME = "/usr/bin/time"

#: the bare paged fetch, run as `python -c`: endpoint, key, project id in argv
BARE_FETCH = """
import sys, requests
url, key, project_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
session, last_id, seen = requests.Session(), 0, 0
session.headers["Authorization"] = key
while True:
    params = {"project_id": project_id, "limit": 100, "last_id": last_id, "all": 1}
    page = session.get(url + "/api/task", params=params, timeout=60).json()
    seen += len(page)
    if len(page) < 100:
        break
    last_id = page[-1]["id"]
print(seen)
"""


def write_folder(folder: Path, n: int, presenter: str = "<p>v1</p>\n") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Bench sync"\nshort_name = "{SHORT}"\ndescription = "bench"\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text(presenter, encoding="utf-8")
    lines = ["url", *(_url(i) for i in range(n))]
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _url(i: int) -> str:
    return f"https://example.org/img/{i}.jpg"


def fill(db: Path, url: str, folder: Path, n: int) -> int:
    """The project made by a push of the folder without tasks, then `n` tasks into the file."""
    tasks = folder / "tasks.csv"
    rows = tasks.read_text(encoding="utf-8")
    tasks.write_text("url\n", encoding="utf-8")
    subprocess.run(pbsync_cmd(url, "push", str(folder), "--yes"), check=True)
    tasks.write_text(rows, encoding="utf-8")
    store = Store(db)
    try:
        (project,) = store.select(PROJECT, "short_name = ?", (SHORT,))
        created = now_iso()
        with store.transaction():
            for i in range(n):
                values = {**TASK.defaults, "info": {"url": _url(i)}, "created": created}
                store.insert(TASK, {**values, "project_id": project["id"]})
    finally:
        store.close()
    return int(project["id"])


def measure(cmd: list[str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit status) of a child process.

    The peak comes from GNU time (`/usr/bin/time -f %M`) when installed: a child's own
    `ru_maxrss` from `os.wait4` also counts the pages it shared with this process before its
    exec (some 55 MB here), which would hide a small child's figure.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        timed = [GNU_TIME, "-f", "%M", "-o", rss.name, *cmd] if os.path.exists(GNU_TIME) else cmd
        started = time.monotonic()
        proc = subprocess.Popen(timed, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        text = rss.read().strip().splitlines()
        kilobytes = int(text[-1]) if timed is not cmd and text else usage.ru_maxrss
    return seconds, kilobytes / 1024, proc.returncode


def bench_diff(url: str, folder: Path, project_id: int, rounds: int) -> None:
    diff_cmd = pbsync_cmd(url, "diff", str(folder))
    bare_cmd = [sys.executable, "-c", BARE_FETCH, url, KEY, str(project_id)]
    diffs, bares = [], []
    for _ in range(rounds):
        diffs.append(measure(diff_cmd))
        bares.append(measure(bare_cmd))
    if any(code != 0 for _s, _m, code in diffs):
        raise SystemExit(f"pbsync diff did not find the project in sync: {diffs}")
    d_time = statistics.median(s for s, _m, _c in diffs)
    b_time = statistics.median(s for s, _m, _c in bares)
    d_rss = max(m for _s, m, _c in diffs)
    b_rss = max(m for _s, m, _c in bares)
    d_all = " ".join(f"{s:.2f}" for s, _m, _c in diffs)
    b_all = " ".join(f"{s:.2f}" for s, _m, _c in bares)
    print(f"pbsync diff:       {d_time:6.2f} s  peak RSS {d_rss:6.1f} MB  (median of {d_all})")
    print(f"bare paged fetch:  {b_time:6.2f} s  peak RSS {b_rss:6.1f} MB  (median of {b_all})")
    print(f"diff / bare fetch: {d_time / b_time:.2f}x time")


def bench_presenter_push(url: str, folder: Path, n: int) -> None:
    for label, args in (("presenter-only push", ()), ("presenter push --refresh", ("--refresh",))):
        write_folder(folder, n, presenter=f"<p>{label}</p>\n")
        reset_stats(url)
        started = time.monotonic()
        subprocess.run(pbsync_cmd(url, "push", str(folder), "--yes", *args), check=True)
        seconds = time.monotonic() - started
        print(f"{label}: {count(url)} requests, {writes(url)} write(s), {seconds:.2f} s")


def bench_watch_save(url: str, folder: Path, n: int) -> None:
    """A watch's first sync, then one presenter save (the watch's own sync, no observer)."""
    from pbclient.client import Client
    from pbsync.watching.session import WatchSession

    with Client(url, KEY) as client:
        session = WatchSession(folder, client)
        first = session.sync()
        write_folder(folder, n, presenter="<p>watch save</p>\n")
        reset_stats(url)
        save = session.sync(("presenter.html",))
    print(
        f"watch: first sync {first.requests} requests; a presenter save {save.requests} "
        f"requests ({count(url)} on the server), {writes(url)} write(s), {save.seconds:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp:
        workdir = Path(tmp)
        proc, url = start_server(workdir)
        try:
            folder = workdir / "project"
            write_folder(folder, args.tasks)
            started = time.monotonic()
            project_id = fill(workdir / "server.sqlite3", url, folder, args.tasks)
            print(f"{args.tasks:,} tasks written in {time.monotonic() - started:.1f} s")
            # the first push records the sync: the next ones are scoped
            subprocess.run(pbsync_cmd(url, "push", str(folder), "--yes"), check=True)
            bench_diff(url, folder, project_id, args.rounds)
            bench_presenter_push(url, folder, args.tasks)
            bench_watch_save(url, folder, args.tasks)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
