"""kill -9 at 20 points of a 2,000-task push, each followed by a re-push that resumes it.

Design. One project folder (`big_project`: 2,000 tasks with varied fields in CSV and JSON lines,
two helping files, one helping link, a presenter, `published = true`) is pushed by `python -m
pbsync push DIR --yes` in a subprocess, against a local server of this module's own (so no
connection left open by another test delays `wait_idle`). Each push is SIGKILLed at the next
point of `POINTS`; the next push is the re-push that resumes it, and is itself killed at the next
point, further on; a 21st push runs to the end. That costs one 2,000-task push, not twenty.

Each kill lands on an event, not after a sleep: the server counts a request when it arrives
(`stats.wait_for`), so the test kills when "the Nth task POST" has arrived. Where the kill must
land with a write in flight, a fault rule holds that request (`after=N-1`: exactly the Nth) for
LATENCY seconds, which the kill cannot miss; the rule then either lets the server finish it
(APPLIED: the write is made, the answer lost) or drops it (DROPPED: never made). The test then
waits until the server has finished every request the dead push had sent (`wait_idle`) and
checks, after every kill:

- the kill landed where meant (nothing of that kind got past the held requests);
- no duplicates: one project, each helping material once, each task once, and every create the
  server received made exactly one row (requests received minus requests dropped = rows), so no
  re-push ever re-sent what an earlier one had made, answers lost included;
- every field right of what exists (project fields and info, each material's info, priority and
  bytes, each task's info, n_answers, priority_0, quorum, calibration), and what exists is what
  the point implies (e.g. 0 materials after a dropped upload, exactly 2,000 tasks after the last);
- no `.pbsync/state.json` (no killed push recorded anything).

After the last kill the final re-push must exit 0 with exactly 2,000 tasks, every field right,
the project published and the sync recorded; `diff` must then say in sync and another push send
no write. No output of any push contains the API key.

Points: planning reads (the project lookup of the first push, the helping list and the 8th task
page of later ones), the project's creation, helping uploads (a file never applied, a file whose
answer was lost, a priority PUT between a file's two requests, a link), task creation at 1-8, ~100,
250, 500, ~750, 1,000, ~1,250, 1,500, ~1,750 and the 2,000th (plain kills, or 8 POSTs held in
flight), publishing (the CSRF read; the publish POST, i.e. every write made and state.json not).
"""

from __future__ import annotations

import json
import logging
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from big_project import (
    MATERIALS,
    N_TASKS,
    SHORT,
    ServerView,
    killed,
    pbsync_process,
    pbsync_run,
    problems_of,
    read_server,
    write_project,
)

from pbsync.server import LocalServer

pytestmark = pytest.mark.slow

log = logging.getLogger(__name__)

#: how long a held request stays in flight: far longer than waking up and killing takes
LATENCY = 1.0
#: bounds on the waits (a loaded 2-core machine; a normal run needs a fraction)
REACH_TIMEOUT = 60.0
IDLE_TIMEOUT = 30.0
APPLIED, DROPPED = "applied", "dropped"
PUBLISH = f"/project/{SHORT}/publish"
ALL = tuple(sorted(MATERIALS))
CREATES = {"/api/project": "projects", "/api/helpingmaterial": "materials", "/api/task": "tasks"}


@dataclass(frozen=True)
class KillPoint:
    """Where to kill, and what the server must hold afterwards."""

    name: str
    method: str
    path: str | None  # None: any path (the PUT of a material whose id is not known yet)
    nth: int  # kill at the nth such request of this push (cumulative: of the whole run)
    cumulative: bool = False
    fault: str = ""  # "": kill when it arrives; APPLIED / DROPPED: held in flight (see module)
    inflight: int = 1  # with a fault: how many requests from the nth on are held
    project: bool = True
    materials: tuple[str, ...] = ALL
    tasks: int | None = None  # exact; None: as the requests say (at least nth, cumulative)
    published: bool = False
    unsent: tuple[str, ...] = ()  # fields the killed push would have set in a later write


T = ("POST", "/api/task")
M = ("POST", "/api/helpingmaterial")
#: task POSTs dropped before the last task's point: it comes after 2,000 + these
DROPPED_TASKS = 16

POINTS = [
    KillPoint("plan-project-lookup", "GET", "/api/project", 1, fault=APPLIED, project=False),
    KillPoint(
        "create-project-answer-lost",
        "POST",
        "/api/project",
        1,
        fault=APPLIED,
        materials=(),
        tasks=0,
    ),
    KillPoint(
        "plan-helping-list", "GET", "/api/helpingmaterial", 1, fault=APPLIED, materials=(), tasks=0
    ),
    KillPoint("upload-a-never-applied", *M, 1, fault=DROPPED, materials=(), tasks=0),
    KillPoint("upload-a-answer-lost", *M, 1, fault=APPLIED, materials=("a.png",), tasks=0),
    KillPoint(
        "b-uploaded-priority-put-never-applied",
        "PUT",
        None,
        1,
        fault=DROPPED,
        materials=("a.png", "b.png"),
        tasks=0,
        unsent=("b.png priority",),
    ),
    KillPoint("create-link-answer-lost", *M, 1, fault=APPLIED, tasks=0),
    # 8 workers: all their first POSTs held, or the kill races the other seven
    KillPoint("tasks-1-8-answers-lost", *T, 1, True, APPLIED, 8, tasks=8),
    KillPoint("tasks-100", *T, 100, cumulative=True),
    KillPoint("tasks-250-257-never-applied", *T, 250, True, DROPPED, 8),
    KillPoint("tasks-500-507-answers-lost", *T, 500, True, APPLIED, 8),
    KillPoint("tasks-750", *T, 750, cumulative=True),
    KillPoint("plan-task-page-8", "GET", "/api/task", 8, fault=APPLIED),
    KillPoint("tasks-1000-1007-answers-lost", *T, 1000, True, APPLIED, 8),
    KillPoint("tasks-1250", *T, 1250, cumulative=True),
    KillPoint("tasks-1500-1507-never-applied", *T, 1500, True, DROPPED, 8),
    KillPoint("tasks-1750", *T, 1750, cumulative=True),
    KillPoint("task-2000-answer-lost", *T, N_TASKS + DROPPED_TASKS, True, APPLIED, tasks=N_TASKS),
    KillPoint("publish-token-read", "GET", PUBLISH, 1, fault=APPLIED, tasks=N_TASKS),
    KillPoint(
        "publish-answer-lost-state-not-written",
        "POST",
        PUBLISH,
        1,
        fault=APPLIED,
        tasks=N_TASKS,
        published=True,
    ),
]
assert len(POINTS) == 20
assert sum(p.inflight for p in POINTS if p.fault == DROPPED and p.path == T[1]) == DROPPED_TASKS


@dataclass
class Run:
    """The chain of pushes against one server, and what was found after each kill."""

    server: LocalServer
    folder: Path
    home: Path
    logs: Path
    #: creates the server received but never carried out (dropped by a fault), by path
    dropped: Counter[str] = field(default_factory=Counter)
    found: dict[str, list[str]] = field(default_factory=dict)
    final: list[str] = field(default_factory=list)

    def kill_at(self, index: int, point: KillPoint) -> None:
        stats = self.server.stats
        before_push = stats.snapshot()
        before = stats.count(point.method, point.path)
        nth = point.nth - before if point.cumulative else point.nth
        problems = [] if nth >= 1 else [f"the run is past {point.nth} already ({before})"]
        trigger = before + nth
        if point.fault:
            self.server.faults.add(
                point.inflight,
                latency=LATENCY,
                drop=point.fault == DROPPED,
                path=point.path,
                method=point.method,
                after=nth - 1,
            )
            trigger += point.inflight - 1
        output = self.logs / f"{index:02d}-{point.name}.log"
        process = pbsync_process(self.server, self.home, output, "push", str(self.folder), "--yes")
        reached = self._wait(process, point, trigger)
        if not killed(process):
            problems.append(f"the push ended before the kill (exit {process.returncode})")
        self.server.faults.clear()
        if not self.server.wait_idle(IDLE_TIMEOUT):
            problems.append(f"the server was still busy {IDLE_TIMEOUT} s after the kill")
        if point.fault == DROPPED and point.method == "POST" and point.path in CREATES:
            self.dropped[point.path] += point.inflight
        arrived = stats.count(point.method, point.path)
        if not reached:
            problems.append(f"{point.method} {point.path} #{trigger} never came ({arrived})")
        elif point.fault and arrived != trigger:
            problems.append(f"the kill came late: {arrived} requests, not {trigger}")
        sent = Counter(stats.snapshot()) - Counter(before_push)
        if point.method == "GET" and any(method != "GET" for method, _ in sent):
            problems.append(f"a write before the planning read it was killed in: {dict(sent)}")
        view = read_server(self.server)
        problems += self._holds(view, point)
        log.info("%s: %s", point.name, self._summary(view, arrived))
        self.found[point.name] = problems

    def _wait(self, process: subprocess.Popen[bytes], point: KillPoint, trigger: int) -> bool:
        """Wait until the trigger request arrived (True), or the push ended or time ran out."""
        stats, deadline = self.server.stats, time.monotonic() + REACH_TIMEOUT
        while time.monotonic() < deadline:
            if stats.wait_for(trigger, method=point.method, path=point.path, timeout=0.2):
                return True
            if process.poll() is not None:
                return stats.count(point.method, point.path) >= trigger
        return False

    def _holds(self, view: ServerView, point: KillPoint) -> list[str]:
        """What is wrong with the server's state after a kill at `point`."""
        problems = problems_of(view, unsent=point.unsent)
        problems += self._created_once(view)
        if (view.project is not None) != point.project:
            problems.append(f"project exists: {view.project is not None}, not {point.project}")
        if view.project is not None:
            if view.project["published"] != point.published:
                problems.append(f"published = {view.project['published']}")
            if view.material_names() != sorted(point.materials):
                problems.append(f"helping materials {view.material_names()}")
            for unsent in point.unsent:  # "NAME priority": the kill landed before it was set
                name = unsent.removesuffix(" priority")
                if _priority(view, name) != 0.0:
                    problems.append(f"{name}'s priority was set: the kill came late")
        least = point.nth - self.dropped["/api/task"] if point.cumulative else 0
        if point.tasks is not None and len(view.tasks) != point.tasks:
            problems.append(f"{len(view.tasks)} tasks, not {point.tasks}")
        elif len(view.tasks) < least:
            problems.append(f"{len(view.tasks)} tasks, fewer than {least}")
        if (self.folder / ".pbsync" / "state.json").exists():
            problems.append("a killed push wrote state.json")
        return problems

    def _created_once(self, view: ServerView) -> list[str]:
        """Each create the server carried out made a row still there: none was sent twice."""
        rows = {"projects": len(view.projects), "materials": len(view.materials)}
        rows["tasks"] = len(view.tasks)
        problems = []
        for path, kind in CREATES.items():
            made = self.server.stats.count("POST", path) - self.dropped[path]
            if made != rows[kind]:
                problems.append(f"{made} {kind} created by POST, {rows[kind]} on the server")
        return problems

    def _summary(self, view: ServerView, arrived: int) -> str:
        return (
            f"{arrived} such requests; server: {len(view.projects)} project, "
            f"{len(view.materials)} materials, {len(view.tasks)} tasks"
        )

    def finish(self) -> None:
        """The re-push after the last kill runs to the end; then diff and a no-op push."""
        final = self._run("final.log", "push", str(self.folder), "--yes")
        if final.returncode != 0:
            self.final.append(f"the final re-push exited {final.returncode}: {final.stderr!r}")
        self.server.wait_idle(IDLE_TIMEOUT)
        view = read_server(self.server)
        self.final += problems_of(view) + self._created_once(view)
        if view.project is None or not view.project["published"]:
            self.final.append("the project is not published")
        if len(view.tasks) != N_TASKS or view.material_names() != list(ALL):
            self.final.append(f"{len(view.tasks)} tasks, materials {view.material_names()}")
        state = self.folder / ".pbsync" / "state.json"
        if not state.exists() or SHORT not in state.read_text(encoding="utf-8"):
            self.final.append("the final re-push recorded no sync")
        diff = self._run("diff.log", "diff", str(self.folder))
        if diff.returncode != 0:
            self.final.append(f"diff exited {diff.returncode}: {diff.stdout + diff.stderr!r:.300}")
        again = self._run("again.log", "push", str(self.folder), "--yes", "--json")
        report = json.loads(again.stdout)["report"] if again.returncode == 0 else {}
        if report.get("writes") != 0:
            self.final.append(f"a push after convergence: exit {again.returncode}, {report}")
        for output in sorted(self.logs.iterdir()):
            if self.server.api_key in output.read_text(encoding="utf-8", errors="replace"):
                self.final.append(f"{output.name} shows the API key")

    def _run(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        return pbsync_run(self.server, self.home, self.logs / name, *args)


def _priority(view: ServerView, name: str) -> object:
    return next((m["priority"] for m in view.materials if m["info"].get("name") == name), None)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("kill")
    (base / "home").mkdir()
    (base / "logs").mkdir()
    folder = write_project(base / "project")
    with LocalServer() as server:
        chain = Run(server, folder, base / "home", base / "logs")
        for index, point in enumerate(POINTS, 1):
            chain.kill_at(index, point)
        chain.finish()
    return chain


@pytest.mark.parametrize("point", [p.name for p in POINTS])
def test_after_a_kill_the_server_holds_no_duplicate_and_nothing_wrong(run: Run, point: str) -> None:
    assert run.found[point] == []


def test_the_re_push_after_the_last_kill_converges_exactly(run: Run) -> None:
    assert run.final == []
