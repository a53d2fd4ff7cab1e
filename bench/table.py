"""The summary: medians of the raw figures, ratios, and the issue's targets beside them.

Every row is `Row(scenario, measure, rtt, value, unit, target, met)`; `met` is None where the
issue sets no target. The rows go to the JSON file and are printed as a table (rich) or as
Markdown (for the README's Performance section).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Row:
    """One line of the table."""

    scenario: str
    measure: str
    rtt: str
    value: float | str | None
    unit: str
    target: str = ""
    met: bool | None = None


def median(values: Iterable[float | int | None]) -> float | None:
    """The median of the values that are not None (None when there are none)."""
    kept = [v for v in values if v is not None]
    return statistics.median(kept) if kept else None


def med(runs: list[dict[str, Any]], tool: str, key: str) -> float | None:
    """The median of `run[tool][key]` over the runs that have it."""
    return median(r[tool].get(key) for r in runs if tool in r)


def judged(
    name: str, measure: str, rtt: str, value: float | None, unit: str, target: str, limit: float
) -> Row:
    """A row whose value must stay below `limit` (`<=` when the target says so)."""
    met = None
    if value is not None:
        met = value <= limit if target.startswith("<=") else value < limit
    return Row(name, measure, rtt, value, unit, target, met)


def p1_rows(rtt: str, data: dict[str, Any]) -> list[Row]:
    """P1: times, requests, speed-up over pbs, share of the raw loop."""
    runs, n = data["runs"], data["tasks"]
    sec = {t: med(runs, t, "seconds") for t in ("pbs", "pbsync", "raw")}
    req = {t: med(runs, t, "requests") for t in ("pbs", "pbsync", "raw")}
    name = f"P1 push {n:,} new tasks"
    rows = [
        Row(name, "pbs add-tasks", rtt, sec["pbs"], "s"),
        Row(name, "pbsync push", rtt, sec["pbsync"], "s"),
        Row(name, f"raw loop ({runs[0]['raw'].get('workers')} workers)", rtt, sec["raw"], "s"),
        Row(name, "requests pbs / pbsync / raw", rtt, _slash(req.values()), ""),
    ]
    if sec["pbs"] and sec["pbsync"]:
        speed = sec["pbs"] / sec["pbsync"]
        target = ">= 10x" if rtt == "50 ms" else ""
        met = speed >= 10 if target else None
        rows.append(Row(name, "pbsync speed-up over pbs", rtt, speed, "x", target, met))
    if sec["raw"] and sec["pbsync"]:
        share = sec["raw"] / sec["pbsync"]
        goal = 0.8 if rtt == "50 ms" else 0.9
        rows.append(
            Row(name, "pbsync throughput / raw", rtt, share, "%", f">= {goal:.0%}", share >= goal)
        )
    return rows


def p2_rows(rtt: str, data: dict[str, Any], p1: dict[str, Any] | None) -> list[Row]:
    """P2: the unchanged re-push's time, requests and writes against its budget."""
    runs, n = data["runs"], data["tasks"]
    name = f"P2 re-push unchanged ({n:,} tasks)"
    sec, req, wr = (med(runs, "pbsync", k) for k in ("seconds", "requests", "writes"))
    budget = math.ceil(n / 100) + 5
    first = med(p1["runs"], "pbsync", "seconds") if p1 else None
    share = sec / first if sec is not None and first else None
    return [
        Row(name, "pbs", rtt, "no such command", "", "", None),
        judged(name, "pbsync push: time / P1's", rtt, share, "%", "< 5%", 0.05),
        Row(name, "pbsync push: seconds", rtt, sec, "s"),
        judged(name, "pbsync push: requests", rtt, req, "", f"<= {budget}", budget),
        judged(name, "pbsync push: writes", rtt, wr, "", "<= 0", 0),
    ]


def p3_rows(rtt: str, data: dict[str, Any]) -> list[Row]:
    """P3: one presenter edit by pbs, pbsync push and a watch save."""
    runs, n = data["runs"], data["tasks"]
    name = f"P3 presenter edit ({n:,} tasks)"
    rows = []
    for tool, label, limit in (
        ("pbs", "pbs update-project", None),
        ("pbsync", "pbsync push", 5),
        ("watch", "pbsync watch, one save", 2),
    ):
        if not any(tool in r for r in runs):
            continue
        sec, req, wr = (med(runs, tool, k) for k in ("seconds", "requests", "writes"))
        rows.append(Row(name, f"{label}: seconds", rtt, sec, "s"))
        target = f"<= {limit}" + (" (1 write)" if tool == "pbsync" else "") if limit else ""
        met = None
        if limit and req is not None:
            met = req <= limit and (tool != "pbsync" or wr == 1)
        value = f"{_n(req)} ({_n(wr)})"
        rows.append(Row(name, f"{label}: requests (writes)", rtt, value, "", target, met))
    return rows


def p4_rows(rtt: str, data: dict[str, Any]) -> list[Row]:
    """P4: diff against the bare fetch, time and peak RSS."""
    runs, n = data["runs"], data["tasks"]
    name = f"P4 diff of {n:,} tasks"
    sec = {t: med(runs, t, "seconds") for t in ("pbsync", "fetch")}
    rss = {t: med(runs, t, "rss_mb") for t in ("pbsync", "fetch")}
    req = {t: med(runs, t, "requests") for t in ("pbsync", "fetch")}
    ratio = sec["pbsync"] / sec["fetch"] if sec["pbsync"] and sec["fetch"] else None
    codes = sorted({r["pbsync"]["code"] for r in runs})
    return [
        Row(name, "pbsync diff: seconds", rtt, sec["pbsync"], "s"),
        Row(name, "bare paged fetch: seconds", rtt, sec["fetch"], "s"),
        judged(name, "diff / fetch time", rtt, ratio, "x", "< 1.5x", 1.5),
        judged(name, "pbsync diff: peak RSS", rtt, rss["pbsync"], "MB", "< 150 MB", 150),
        Row(name, "bare fetch: peak RSS", rtt, rss["fetch"], "MB"),
        Row(name, "requests diff / fetch", rtt, _slash(req.values()), ""),
        Row(name, "diff exit code (0: in sync)", rtt, "/".join(map(str, codes)), ""),
    ]


def p5_rows(data: dict[str, Any]) -> list[Row]:
    """P5: median cold start of each command."""
    labels = data["runs"][0].keys()
    return [
        Row("P5 cold start", label, "-", median(s for r in data["runs"] for s in r[label]), "s")
        for label in labels
    ]


def p6_rows(rtt: str, data: dict[str, Any]) -> list[Row]:
    """P6: save-to-server latency of the watch."""
    lat = sorted(s * 1000 for r in data["runs"] for s in r["latencies"])
    p50 = statistics.median(lat)
    p99 = lat[max(0, math.ceil(0.99 * len(lat)) - 1)]
    per_save = median(r["requests"] / max(1, len(r["latencies"])) for r in data["runs"])
    name = f"P6 watch latency ({len(lat)} saves)"
    return [
        Row(name, "save -> server, p50", rtt, p50, "ms", "< 300 ms (issue 8)", p50 < 300),
        Row(name, "save -> server, p99", rtt, p99, "ms", "< 1000 ms (issue 8)", p99 < 1000),
        Row(name, "requests per save", rtt, per_save, ""),
    ]


def p7_rows(rtt: str, data: dict[str, Any]) -> list[Row]:
    """P7: the rate-limited push."""
    runs, n = data["runs"], data["tasks"]
    name = f"P7 push {n:,} tasks, limit 40/5 s"
    sec, req = med(runs, "push", "seconds"), med(runs, "push", "requests")
    seen = max(r["push"]["answers_429"] for r in runs)
    probes = max(r["push"]["probes"] for r in runs)
    needed = max(r["push"]["windows_needed"] for r in runs)
    taken = (sec or 0) / 5
    return [
        Row(name, "seconds", rtt, sec, "s"),
        Row(name, "requests", rtt, req, ""),
        Row(name, "429 answers (most in a run)", rtt, seen, "", "0", seen == 0),
        Row(name, "probe requests (HEAD/OPTIONS)", rtt, probes, "", "0", probes == 0),
        Row(
            name,
            "windows taken / needed",
            rtt,
            f"{taken:.1f} / {needed}",
            "",
            f"taken <= {needed + 1}",
            taken <= needed + 1,
        ),
    ]


def summarise(results: dict[str, Any]) -> list[Row]:
    """Every row, scenario by scenario, round trip by round trip."""
    rows: list[Row] = []
    for rtt, data in results.get("P1", {}).items():
        rows += p1_rows(f"{rtt} ms", data)
    for rtt, data in results.get("P2", {}).items():
        rows += p2_rows(f"{rtt} ms", data, results.get("P1", {}).get(rtt))
    for rtt, data in results.get("P3", {}).items():
        rows += p3_rows(f"{rtt} ms", data)
    for rtt, data in results.get("P4", {}).items():
        rows += p4_rows(f"{rtt} ms", data)
    if "P5" in results:
        rows += p5_rows(results["P5"])
    for rtt, data in results.get("P6", {}).items():
        rows += p6_rows(f"{rtt} ms", data)
    for rtt, data in results.get("P7", {}).items():
        rows += p7_rows(f"{rtt} ms", data)
    return rows


def _n(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _slash(values: Iterable[float | None]) -> str:
    return " / ".join(_n(v) for v in values)


def shown(row: Row) -> str:
    """The value as printed."""
    v = row.value
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if row.unit == "%":
        return f"{v:.0%}"
    if row.unit == "x":
        return f"{v:.1f}x"
    if row.unit in ("s",):
        return f"{v:.2f} s" if v < 10 else f"{v:.1f} s"
    if row.unit in ("ms", "MB"):
        return f"{v:.0f} {row.unit}"
    return f"{v:g}"


def verdict(row: Row) -> str:
    """met / short / blank."""
    return "" if row.met is None else ("met" if row.met else "short")


def markdown(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    out = ["| scenario | measure | RTT | median | target | |", "|---|---|---|---|---|---|"]
    last = ""
    for r in rows:
        scenario = r.scenario if r.scenario != last else ""
        cells = (scenario, r.measure, r.rtt, shown(r), r.target, verdict(r))
        out.append("| " + " | ".join(cells) + " |")
        last = r.scenario
    return "\n".join(out) + "\n"


def render(rows: list[Row]) -> None:
    """Print the rows as a table (rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="pbsync vs pbs 3.0.0 + pybossa-client 3.0.0 (medians)")
    for col in ("scenario", "measure", "RTT", "median", "target", ""):
        table.add_column(col, justify="right" if col in ("median", "RTT") else "left")
    last = ""
    for r in rows:
        mark = {True: "[green]met[/]", False: "[red]short[/]", None: ""}[r.met]
        scenario = r.scenario if r.scenario != last else ""
        table.add_row(scenario, r.measure, r.rtt, shown(r), r.target, mark)
        last = r.scenario
    Console(width=160).print(table)


def as_json(rows: list[Row]) -> list[dict[str, Any]]:
    """The rows as plain dicts."""
    return [asdict(r) | {"shown": shown(r)} for r in rows]
