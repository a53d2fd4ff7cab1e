"""P7: `pbsync push` of N tasks against `pbsync serve --rate-limit 40/5`.

The server logs every request (`-v`), so the 429 answers are counted on the server's side; its
counters give the requests by path. The limiter is PYBOSSA's fixed window per endpoint and
client: only LIMIT-1 requests of a window succeed, so a bucket of R requests needs
ceil(R / (LIMIT-1)) windows (buckets approximated here by resource: /api/task and
/api/task/<id> count together). The target: no 429, no probe (a HEAD or OPTIONS sent to read the
limit), and done within the windows needed + 1. Runs at 0 ms, once a round.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from bench.context import Setting
from bench.folders import pbsync_folder

LIMIT, WINDOW = 40, 5


def windows_needed(counts: dict[str, int]) -> int:
    """The windows the busiest bucket needs at LIMIT-1 successes a window."""
    buckets: Counter[str] = Counter()
    for key, n in counts.items():
        path = key.split(" ", 1)[1]
        buckets["/".join(path.split("/")[:3])] += n
    return max((math.ceil(n / (LIMIT - 1)) for n in buckets.values()), default=0)


def limited_round(ctx: Setting, rnd: int, n: int) -> dict[str, Any]:
    """One push of N new tasks; its time, requests, 429s, probes and the windows it needed."""
    ctx.server.reset()
    folder = pbsync_folder(ctx.tmp / f"limited-r{rnd}", f"benchlimit{rnd}", n)
    got = ctx.measure(ctx.pbsync("push", str(folder), "--yes"))
    counts = got["counts"] or {}
    if not ctx.server.logged(sum(counts.values())):
        raise SystemExit("the server's request log fell behind its counters")
    needed = windows_needed(counts)
    probes = sum(v for k, v in counts.items() if k.startswith(("HEAD ", "OPTIONS ")))
    return got | {
        "tasks": n,
        "answers_429": ctx.server.statuses.get("429", 0),
        "paths_429": dict(ctx.server.paths_429),
        "probes": probes,
        "windows_needed": needed,
        "windows_taken": got["seconds"] / WINDOW,
        "limit": f"{LIMIT}/{WINDOW}",
    }
