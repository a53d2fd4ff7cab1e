"""A project with many tasks, task runs and results, made quickly: straight into the local store.

Volunteers' answers reach PYBOSSA one at a time (a `newtask` hand-out, then a task run POST), and
there is no bulk create: 12,000 runs over HTTP would be 24,000 requests, minutes of set-up for a
test about reading them back. So tests and benchmarks about exports insert the rows into the local
server's store in one transaction, in the shapes the server itself writes (a task reaching
`n_answers` runs is `completed` and gets a result), and read them back over HTTP. The export
tests that must also hold against PYBOSSA make their few answers the real way.
"""

from __future__ import annotations

from dataclasses import dataclass

from pbsync.server.schema import RESULT, TASK, TASKRUN
from pbsync.server.store import Store, now_iso

#: runs a task needs to be completed (and get a result)
N_ANSWERS = 3


@dataclass(frozen=True)
class Seeded:
    """How many rows of each kind were made."""

    tasks: int
    taskruns: int
    results: int


def seed(store: Store, project_id: int, tasks: int, runs: int) -> Seeded:
    """Insert `tasks` tasks and `runs` task runs (spread over the tasks in turn), then results.

    The last tenth of the tasks and of the runs carry an info key the others lack (`note`,
    `comment`), so a CSV header must take in keys that first appear late.
    """
    now = now_iso()
    runs_of: dict[int, list[int]] = {}
    with store.transaction() as conn:
        task_ids = []
        for i in range(tasks):
            info: dict[str, object] = {"url": f"https://example.org/{i}.jpg", "n": i}
            if i >= tasks * 9 // 10:
                info["note"] = f"late, é {i}"
            row = store.insert(
                TASK,
                {**TASK.defaults, "project_id": project_id, "info": info, "created": now}
                | {"n_answers": N_ANSWERS},
            )
            task_ids.append(row["id"])
        for i in range(runs):
            task_id = task_ids[i % tasks]
            info = {"answer": "yes" if i % 3 else "no"}
            if i >= runs * 9 // 10:
                info["comment"] = f"run {i}"
            values = {
                **TASKRUN.defaults,
                "project_id": project_id,
                "task_id": task_id,
                "user_ip": f"10.0.{i // 250 % 250}.{i % 250}",
                "info": info,
                "created": now,
                "finish_time": now,
            }
            runs_of.setdefault(task_id, []).append(store.insert(TASKRUN, values)["id"])
        done = [t for t in task_ids if len(runs_of.get(t, ())) >= N_ANSWERS]
        for task_id in done:
            conn.execute("UPDATE task SET state = 'completed' WHERE id = ?", (task_id,))
            values = {
                "project_id": project_id,
                "task_id": task_id,
                "task_run_ids": runs_of[task_id],
                "last_version": True,
                "info": None,
                "created": now,
            }
            store.insert(RESULT, values)
    return Seeded(tasks, runs, len(done))
