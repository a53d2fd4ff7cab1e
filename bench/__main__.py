"""`python -m bench`: pbsync side by side with pbs 3.0.0 and pybossa-client 3.0.0 (issue 13).

Scenarios (see the README, "Performance"): P1 initial push, P2 unchanged re-push, P3 presenter-only
edit, P4 diff of a large project, P5 cold start, P6 watch latency, P7 a rate-limited server. Each
runs for each tool in turn over --rounds rounds, at each round trip of --rtts (added by
bench/latency_proxy.py); P4, P5 and P7 run at 0 ms only. Prints a table of medians and ratios with
the issue's targets and writes the raw figures as JSON (--out; bench/results/ is not committed).

    python -m bench                       # the issue's sizes, 3 rounds, 0 and 50 ms
    python -m bench --p1-tasks 0=10000,50=1000 --rounds 3
    python -m bench --quick               # smoke run (CI), well under a minute
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import peers as peer_setup
from bench.context import Setting
from bench.diffs import diff_rounds
from bench.infra import ROOT, Proxy, Server, any_server, local_server
from bench.limited import LIMIT, WINDOW, limited_round
from bench.pushes import push_round
from bench.startup import startup_round
from bench.table import as_json, markdown, render, summarise
from bench.watching import watch_round

SCENARIOS = ("P1", "P2", "P3", "P4", "P5", "P6", "P7")


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line; --quick replaces the sizes with tiny ones."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="smoke run: tiny sizes, 1 round, 0 ms only")
    add("--rounds", type=int, default=3, help="rounds per scenario (default 3)")
    add("--rtts", default="0,50", help="added round trips in ms (default 0,50)")
    add("--p1-tasks", default="10000", help="P1-P3 tasks: N, or per RTT as 0=10000,50=1000")
    add("--p4-tasks", type=int, default=100_000, help="P4 project size (default 100000)")
    add("--p6-saves", type=int, default=20, help="P6 saves per round (default 20)")
    add("--p7-tasks", type=int, default=2000, help="P7 tasks (default 2000)")
    add("--p7-rounds", type=int, default=1, help="P7 rounds (default 1: ~4 min each)")
    add("--only", default=",".join(SCENARIOS), help="scenarios to run (default all)")
    add("--no-peers", action="store_true", help="skip pbs and pybossa-client 3.0.0")
    add("--venv-dir", type=Path, default=peer_setup.DEFAULT_DIR, help="peers' venv cache")
    add("--out", type=Path, default=None, help="JSON file (default bench/results/bench-*.json)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.rtts, args.p1_tasks, args.p4_tasks = 1, "0", "200", 2000
        args.p6_saves, args.p7_tasks, args.p7_rounds = 5, 50, 1
    args.rtts = [float(x) for x in args.rtts.split(",")]
    args.only = [s.strip().upper() for s in args.only.split(",")]
    if args.out is None:
        args.out = ROOT / "bench" / "results" / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    return args


def p1_sizes(spec: str, rtts: list[float]) -> dict[float, int]:
    """`N` or `RTT=N,...` -> tasks by round trip."""
    if "=" not in spec:
        return dict.fromkeys(rtts, int(spec))
    given = {float(k): int(v) for k, v in (part.split("=") for part in spec.split(","))}
    missing = [f"{rtt:g}" for rtt in rtts if rtt not in given]
    if missing:
        raise SystemExit(f"--p1-tasks gives no size for {', '.join(missing)} ms")
    return {rtt: given[rtt] for rtt in rtts}


def say(text: str) -> None:
    """Progress, as it happens."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def run_at(ctx: Setting, args: argparse.Namespace, n: int, results: dict[str, Any]) -> None:
    """P1-P3 and P6 at one round trip."""
    key = f"{ctx.rtt_ms:g}"
    if {"P1", "P2", "P3"} & set(args.only):
        for part in ("P1", "P2", "P3"):
            results.setdefault(part, {})[key] = {"tasks": n, "runs": []}
        for rnd in range(args.rounds):
            got = push_round(ctx, rnd, n)
            for part, figures in got.items():
                results[part][key]["runs"].append(figures)
            p1 = {t: f"{f['seconds']:.1f} s/{f['requests']} req" for t, f in got["P1"].items()}
            say(f"+{key} ms round {rnd}: P1 {p1}; P2 {got['P2']['pbsync']['requests']} req")
    if "P6" in args.only:
        results.setdefault("P6", {})[key] = {"saves": args.p6_saves, "runs": []}
        for rnd in range(args.rounds):
            results["P6"][key]["runs"].append(watch_round(ctx, rnd, args.p6_saves))
        say(f"+{key} ms P6 done")


def run_all(args: argparse.Namespace, tmp: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every selected scenario; (results, notes)."""
    results: dict[str, Any] = {}
    notes: dict[str, Any] = {}
    peers = None if args.no_peers else peer_setup.ensure(args.venv_dir)
    notes["peers"] = peers.versions if peers else "skipped (--no-peers)"
    with any_server() as server:
        notes["server"] = "pbsync serve (local)" if server.local else "external (not counted)"
        rtts = args.rtts if server.local else [0.0]  # the proxy speaks plain TCP to a local server
        sizes = p1_sizes(args.p1_tasks, rtts)
        proxy = Proxy(server.url) if server.local and any(args.rtts) else None
        try:
            for rtt in rtts:
                via = proxy if rtt else None
                if via:
                    via.set_rtt(rtt)
                ctx = Setting(server, via, rtt, tmp / f"rtt{rtt:g}", peers)
                ctx.tmp.mkdir()
                run_at(ctx, args, sizes[rtt], results)
        finally:
            if proxy:
                proxy.close()
        ctx = Setting(server, None, 0.0, tmp / "p4", peers)
        ctx.tmp.mkdir()
        if "P4" in args.only:
            results["P4"] = {"0": diff_rounds(ctx, args.p4_tasks, args.rounds)}
            say("P4 done")
    if "P5" in args.only:
        repeats = 1 if args.quick else 3
        results["P5"] = {"runs": [startup_round(peers, r, repeats) for r in range(args.rounds)]}
        say("P5 done")
    if "P7" in args.only:
        run_limited(args, tmp, peers, results, notes, server)
    return results, notes


def run_limited(
    args: argparse.Namespace,
    tmp: Path,
    peers: peer_setup.Peers | None,
    results: dict[str, Any],
    notes: dict[str, Any],
    server: Server,
) -> None:
    """P7 on a server of its own (a rate limit, every request logged)."""
    if not server.local:
        notes["P7"] = "skipped: an external server's rate limit cannot be set"
        return
    with local_server(f"{LIMIT}/{WINDOW}", log=True) as limited:
        ctx = Setting(limited, None, 0.0, tmp / "p7", peers)
        ctx.tmp.mkdir()
        runs = [{"push": limited_round(ctx, r, args.p7_tasks)} for r in range(args.p7_rounds)]
    results["P7"] = {"0": {"tasks": args.p7_tasks, "runs": runs}}
    notes["P7"] = "pbs not run: one HEAD a task on top of each POST, ~2N/39 windows of 5 s"
    say("P7 done")


def commit() -> str:
    """This checkout's commit (with `+dirty` when it has changes)."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True)
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    """Run, print the table, write the JSON."""
    args = parse(argv)
    load_before, started, measured = os.getloadavg(), time.time(), commit()
    with tempfile.TemporaryDirectory(prefix="pbsync-bench-") as tmp:
        results, notes = run_all(args, Path(tmp))
    rows = summarise(results)
    render(rows)
    meta = {
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "commit": measured,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "minutes": round((time.time() - started) / 60, 1),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "rounds": args.rounds,
        "rtts_ms": args.rtts,
        "quick": args.quick,
    }
    out = {"meta": meta | notes, "summary": as_json(rows), "markdown": markdown(rows)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out | {"results": results}, indent=1) + "\n", "utf-8")
    print(f"raw figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
