"""P1 initial push, P2 unchanged re-push, P3 presenter-only edit: pbs, pbsync, a raw loop.

One round at one round trip, on a reset server:
  P1  each tool puts N tasks (tasks.csv) into a project of its own, in an order that rotates
      every round: `pbs add-tasks` (the project made beforehand by `pbs create-project`, not
      timed), `pbsync push` (creates the project: timed), and the raw loop of
      `bench_push_workers.run_raw` (one keep-alive session, pbclient's DEFAULT_WORKERS threads,
      POSTs only, timed from the first request to the last answer: the limit);
  P2  `pbsync push` of the same folder again (nothing changed; pbs has no such command);
  P3  one presenter edit on those projects: `pbs update-project` (pbs's folder), `pbsync push`,
      and one save while `pbsync watch` runs (time from the save to the server holding the page,
      polled every 5 ms at the server's own address; the polls are not counted).
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

import requests
from bench_push_workers import run_raw

from bench.context import Setting, rotated
from bench.folders import pbs_folder, pbsync_folder, presenter
from bench.infra import total, writes
from pbclient.tasks import DEFAULT_WORKERS


def push_round(ctx: Setting, rnd: int, n: int) -> dict[str, dict[str, Any]]:
    """P1, P2 and P3 of one round with N tasks; the figures by scenario and tool."""
    ctx.server.reset()
    base = ctx.tmp / f"rtt{ctx.rtt_ms:g}-r{rnd}"
    names = {t: f"bench{t}{ctx.rtt_ms:g}r{rnd}" for t in ("pbs", "pbsync", "raw")}
    mine = pbsync_folder(base / "pbsync", names["pbsync"], n)
    theirs = pbs_folder(base / "pbs", names["pbs"], n) if ctx.peers else None
    tools = (["pbs"] if theirs else []) + ["pbsync", "raw"]
    p1: dict[str, Any] = {}
    for tool in rotated(tools, rnd):
        if tool == "pbs":
            assert theirs is not None
            with ctx.setup():
                ctx.measure(ctx.pbs("create-project"), cwd=theirs)
            p1["pbs"] = ctx.measure(ctx.pbs("add-tasks", "--tasks-file", "tasks.csv"), theirs)
        elif tool == "pbsync":
            p1["pbsync"] = ctx.measure(ctx.pbsync("push", str(mine), "--yes"))
        else:
            p1["raw"] = _raw(ctx, names["raw"], n)
    for tool in ("pbs", "pbsync"):
        if tool in p1:
            _check_tasks(ctx, names[tool], n)
    p2 = {"pbsync": ctx.measure(ctx.pbsync("push", str(mine), "--yes"))}
    p3: dict[str, Any] = {}
    for tool in rotated((["pbs"] if theirs else []) + ["pbsync", "watch"], rnd):
        tag = f"{tool} r{rnd}"
        if tool == "pbs":
            assert theirs is not None
            (theirs / "template.html").write_text(presenter(tag), encoding="utf-8")
            p3["pbs"] = ctx.measure(ctx.pbs("update-project"), cwd=theirs)
            _check_presenter(ctx, names["pbs"], presenter(tag))
        elif tool == "pbsync":
            (mine / "presenter.html").write_text(presenter(tag), encoding="utf-8")
            p3["pbsync"] = ctx.measure(ctx.pbsync("push", str(mine), "--yes"))
            _check_presenter(ctx, names["pbsync"], presenter(tag))
        else:
            p3["watch"] = watch_save(ctx, mine, names["pbsync"], presenter(tag))
    return {"P1": p1, "P2": p2, "P3": p3}


def _raw(ctx: Setting, short_name: str, n: int) -> dict[str, Any]:
    ctx.server.clear()
    got = run_raw(ctx.url, ctx.server.api_key, short_name, n, DEFAULT_WORKERS)
    counts = ctx.server.counts()
    figures = {"seconds": got["seconds"], "workers": DEFAULT_WORKERS, "counts": counts}
    return figures | {"requests": total(counts), "writes": writes(counts)}


def _check_tasks(ctx: Setting, short_name: str, n: int) -> None:
    if ctx.server.local and not ctx.server.has_tasks(ctx.server.project(short_name)["id"], n):
        raise SystemExit(f"{short_name}: the server does not hold exactly {n} tasks")


def _check_presenter(ctx: Setting, short_name: str, text: str) -> None:
    if ctx.server.project(short_name)["info"].get("task_presenter") != text:
        raise SystemExit(f"{short_name}: the server does not hold the new presenter")


def _lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def _next_sync(lines: queue.Queue[str | None], timeout: float) -> dict[str, Any]:
    """The watch's next JSON line (one a sync)."""
    deadline = time.monotonic() + timeout
    while True:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        if line is None:
            raise SystemExit("pbsync watch exited")
        if line.startswith("{"):
            return dict(json.loads(line))


def watch_save(ctx: Setting, folder: Path, short_name: str, text: str) -> dict[str, Any]:
    """Start `pbsync watch --json` on the folder, save presenter.html once, time the server.

    Returns:
        seconds from the save to the server holding the page, the requests the server got for
        it (the polls taken out), the watch's own count, and the start-up sync's figures.
    """
    project_id = ctx.server.project(short_name)["id"]
    argv = [*ctx.pbsync("watch", str(folder), "--json")]
    argv.remove("-q")
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ctx.env
    )
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    polls = 0
    try:
        first = _next_sync(lines, 3600)
        ctx.server.clear()
        url, session = f"{ctx.server.url}/api/project/{project_id}", requests.Session()
        session.headers["Authorization"] = ctx.server.api_key
        started = time.perf_counter()
        (folder / "presenter.html").write_text(text, encoding="utf-8")
        while True:
            polls += 1
            held = session.get(url, timeout=30).json()["info"].get("task_presenter")
            seconds = time.perf_counter() - started
            if held == text:
                break
            if seconds > 120:
                raise SystemExit("the watch did not sync the save within 120 s")
            time.sleep(0.005)
        sync = _next_sync(lines, 120)
        counts = ctx.server.counts()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if counts is not None:
        key = f"GET /api/project/{project_id}"
        counts[key] -= polls
        counts = {k: v for k, v in counts.items() if v}
    return {
        "seconds": seconds,
        "requests": total(counts),
        "writes": writes(counts),
        "counts": counts,
        "watch_reported": sync.get("requests"),
        "sync_error": sync.get("error"),
        "startup_sync": {k: first.get(k) for k in ("requests", "seconds", "error")},
    }
