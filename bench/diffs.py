"""P4: `pbsync diff` of a large unchanged project against the bare paged fetch.

The project is pushed once by `pbsync push` at 0 ms (its time and requests are kept as set-up
figures); each round then runs, in turn, `pbsync diff` of the folder and `bench/bare_fetch.py`
(every task page on one keep-alive session, nothing kept), each a child process whose wall time
and peak RSS (wait4) are taken.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bench.context import Setting, rotated
from bench.folders import pbsync_folder


def diff_rounds(ctx: Setting, n: int, rounds: int) -> dict[str, Any]:
    """Set the N-task project up, then time diff and the bare fetch for `rounds` rounds."""
    ctx.server.reset()
    folder = pbsync_folder(ctx.tmp / f"diff{n}", "benchdiff", n)
    with ctx.setup():
        setup = ctx.measure(ctx.pbsync("push", str(folder), "--yes"))
    project_id = ctx.server.project("benchdiff")["id"]
    bare = [sys.executable, str(Path(__file__).with_name("bare_fetch.py"))]
    bare += [ctx.url, ctx.server.api_key, str(project_id)]
    runs = []
    for rnd in range(rounds):
        run: dict[str, Any] = {}
        for tool in rotated(["pbsync", "fetch"], rnd):
            if tool == "pbsync":
                run["pbsync"] = ctx.measure(ctx.pbsync("diff", str(folder)))
            else:
                run["fetch"] = ctx.measure(bare, keep_out=True)
                run["fetch"]["tasks"] = int(run["fetch"].pop("out").strip() or 0)
        runs.append(run)
    return {"tasks": n, "setup_push": setup, "runs": runs}
