"""`python -m bench --quick` runs every scenario end to end and writes figures for each (issue 13).

A smoke run, not a measurement: tiny sizes, one round, 0 ms. It sets up (or reuses) the peers'
venv under ~/.cache/pbsync-bench (pip from PyPI, ~15 s the first time), starts its own servers and
checks that the JSON holds numbers for every scenario and every tool, and that the server counted
the requests the tools must have sent (one POST a task at least).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


@pytest.mark.slow
def test_quick_bench_writes_figures_for_every_scenario(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PBSYNC_BENCH_", "PYBOSSA_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    results = data["results"]
    assert set(results) == {"P1", "P2", "P3", "P4", "P5", "P6", "P7"}

    tasks = results["P1"]["0"]["tasks"]
    [p1] = results["P1"]["0"]["runs"]
    assert set(p1) == {"pbs", "pbsync", "raw"}
    for tool, figures in p1.items():
        assert _number(figures["seconds"]) and figures["seconds"] > 0, tool
        posts = figures["counts"].get("POST /api/task", 0)
        assert posts >= tasks, f"{tool}: the server counted {posts} task POSTs for {tasks} tasks"
    [p2] = results["P2"]["0"]["runs"]
    assert _number(p2["pbsync"]["requests"])
    assert "POST /api/task" not in p2["pbsync"]["counts"], "an unchanged re-push created tasks"
    [p3] = results["P3"]["0"]["runs"]
    assert set(p3) == {"pbs", "pbsync", "watch"}
    for tool, figures in p3.items():
        assert _number(figures["seconds"]), tool
        assert figures["writes"] >= 1, f"{tool} sent no write for a presenter edit"
    [p4] = results["P4"]["0"]["runs"]
    assert p4["fetch"]["tasks"] == results["P4"]["0"]["tasks"]
    assert _number(p4["pbsync"]["rss_mb"]) and p4["pbsync"]["rss_mb"] > 0
    [p5] = results["P5"]["runs"]
    assert len(p5) == 4 and all(_number(s) for times in p5.values() for s in times)
    [p6] = results["P6"]["0"]["runs"]
    assert p6["latencies"] and all(_number(s) for s in p6["latencies"])
    [p7] = results["P7"]["0"]["runs"]
    assert _number(p7["push"]["answers_429"]) and p7["push"]["windows_needed"] >= 1

    scenarios = {row["scenario"].split()[0] for row in data["summary"]}
    assert scenarios == {"P1", "P2", "P3", "P4", "P5", "P6", "P7"}
    assert all(row["shown"] != "n/a" for row in data["summary"]), data["markdown"]
