"""`client.tasks`: the task manager and `create_many`, bulk creation without duplicates.

PYBOSSA has no bulk create: N tasks cost N POSTs. `create_many` runs them on a small pool of
threads sharing the client's session, and never re-sends a POST blindly: when a POST failed in a
way that leaves it unknown whether the server created the task (connection dropped after sending,
read timeout, past the deadline, a 5xx, a 2xx whose body cannot be read), the item is set aside as
*ambiguous*. Once the pool has drained (so no create of this call is still in flight), the
ambiguous items are reconciled against the server:

1. list the project's tasks with ids above `after_id`, the highest task id the project had before
   the call (keyset, one GET per 100 tasks);
2. drop the tasks this call already knows it created;
3. an ambiguous item whose canonical info matches a remaining task adopts that task (each task is
   adopted once, so two identical items need two tasks); the others are POSTed again, serially,
   and a new ambiguity goes through another round (bounded).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from pbclient.errors import BulkCreateError, InvalidDataError, PybossaError
from pbclient.managers import Manager, id_of
from pbclient.reconcile import is_ambiguous
from pbclient.resources import Project, Task
from pbclient.session import POOL_SIZE

__all__ = ["TaskManager"]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

#: concurrent POSTs by default. Concurrency changes how fast requests go, not how many (every
#: one counts against PYBOSSA's 300 per 15 minutes). Measured with bench/bench_push_workers.py
#: (`pbsync push` of 600 new tasks over a 50 ms round trip, medians of 3): 4 workers 72 tasks/s,
#: 8 workers 140/s, 16 workers 262/s, each 90-97% of a raw keep-alive loop with as many workers.
#: 16 would be faster still, but it is the session's whole pool and doubles the load pbsync puts
#: on a shared server at once, for a gain only pushes under ~300 tasks feel (larger ones wait for
#: rate-limit windows whatever the speed); 8 connections per host is also what browsers allow.
DEFAULT_WORKERS = 8


def _info_key(info: Any) -> str:
    return json.dumps(info, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class TaskManager(Manager[Task]):
    """`client.tasks`. Deleting a task also deletes its task runs (volunteers' answers)."""

    path, resource = "/api/task", Task

    def create_many(
        self,
        project: Project | int,
        infos: Iterable[Any],
        *,
        workers: int = DEFAULT_WORKERS,
        progress: Progress | None = None,
        bodies: bool = False,
        after_id: int | None = None,
        **task_fields: Any,
    ) -> list[Task]:
        """Create one task per item of `infos`, concurrently, without duplicates.

        Args:
            project: the project (or its id).
            infos: task infos; with `bodies=True`, an item holding an `"info"` key is a whole task
                body (`{"info": ..., "n_answers": ...}`).
            workers: concurrent POSTs (1 to the session's pool size, 16; more would open and
                drop connections). Every request counts against the rate limit however many
                workers send it.
            progress: called as `progress(done, total)` as soon as an item is created, from the
                worker thread that created it, one call at a time; an exception it raises stops
                the call (raised in the calling thread). Reported at once, a count is never
                behind a rate-limit wait that a worker announces next.
            bodies: see `infos`.
            after_id: the highest task id of the project before this call, if the caller knows
                it (e.g. from the listing it diffed against); otherwise one GET learns it.
            **task_fields: fields for every task (`n_answers`, `priority_0`, `quorum` ...).

        Returns:
            The created tasks, in input order.

        Raises:
            InvalidDataError: an item is not JSON (checked before the first request).
            BulkCreateError: some items failed; `.results` holds what was created, so a retry
                of the missing items creates no duplicate.
        """
        project_id = id_of(project)
        items = [self._body(project_id, item, bodies, task_fields) for item in infos]
        if not items:
            return []
        if after_id is None:
            after_id = self._max_id(project_id)
        run = _BulkRun(self, items, progress)
        run.concurrent(min(max(1, workers), POOL_SIZE))
        run.reconcile(project_id, after_id, rounds=self._client.retry.retries + 1)
        if run.errors:
            raise BulkCreateError(run.results, run.errors)
        return [task for task in run.results if task is not None]

    def _body(
        self, project_id: int, item: Any, bodies: bool, defaults: Mapping[str, Any]
    ) -> dict[str, Any]:
        if bodies and isinstance(item, Mapping) and "info" in item:
            body = {**defaults, **item}
        else:
            body = {**defaults, "info": item}
        body["project_id"] = project_id
        try:
            json.dumps(body)
        except (TypeError, ValueError) as exc:
            raise InvalidDataError(f"task {body['info']!r:.80} is not JSON: {exc}") from exc
        return {k: v for k, v in body.items() if k not in Task.read_only}

    def _max_id(self, project_id: int) -> int:
        query = {"project_id": project_id, "orderby": "id", "desc": "true", "limit": 1}
        rows = self._list(query)
        return int(rows[0]["id"]) if rows else 0

    def _create_one(self, body: dict[str, Any]) -> Task:
        return self._wrap(self._write("POST", self.path, body), f"POST {self.path}")


class _BulkRun:
    """The state of one `create_many` call."""

    def __init__(
        self, manager: TaskManager, items: list[dict[str, Any]], progress: Progress | None
    ):
        self.manager = manager
        self.items = items
        self.results: list[Task | None] = [None] * len(items)
        self.errors: dict[int, PybossaError] = {}
        self.ambiguous: dict[int, PybossaError] = {}
        self._progress = progress
        self._done = 0
        self._stop = threading.Event()
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    def concurrent(self, workers: int) -> None:
        """Phase 1: POST every item on the pool; stop submitting after a definite failure.

        An exception in the calling thread (Ctrl-C, a progress callback that cancels) stops at
        once: queued items are dropped and the pool is not waited for, so in-flight POSTs end on
        their own (a client whose `sleep` raises wakes them from a rate-limit wait).
        """
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pbclient-create")
        try:
            futures = {pool.submit(self._attempt, i): i for i in range(len(self.items))}
            for future in as_completed(futures):
                self._settle(futures[future], future.result())
        except BaseException:
            self._cancelled.set()
            self._stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def _attempt(self, index: int) -> Task | PybossaError | None:
        if self._stop.is_set():
            return None  # skipped: reported as not created
        try:
            task = self.manager._create_one(self.items[index])
        except PybossaError as exc:
            if not is_ambiguous(exc):
                self._stop.set()
            return exc
        self._created(index, task)
        return task

    def _settle(self, index: int, outcome: Task | PybossaError | None) -> None:
        if isinstance(outcome, PybossaError):
            if is_ambiguous(outcome):
                log.info("task %d: %s; will reconcile before re-creating", index, outcome)
                self.ambiguous[index] = outcome
            else:
                self.errors[index] = outcome

    def _created(self, index: int, task: Task) -> None:
        with self._lock:
            self.results[index] = task
            self._done += 1
            if self._progress is None or self._cancelled.is_set():
                return  # after a cancel, nobody listens: the call has raised already
            try:
                self._progress(self._done, len(self.items))
            except BaseException:
                # the callback cancels: no worker starts another item, none reports again
                self._cancelled.set()
                self._stop.set()
                raise

    def reconcile(self, project_id: int, after_id: int, rounds: int) -> None:
        """Phase 2 (serial): adopt tasks the server did create, re-create the others."""
        for _ in range(rounds):
            if not self.ambiguous:
                return
            unclaimed = self._unclaimed(project_id, after_id)
            pending, self.ambiguous = self.ambiguous, {}
            for index in sorted(pending):
                found = unclaimed.get(_info_key(self.items[index]["info"]))
                if found:
                    task = found.pop(0)
                    log.info("task %d was created after all: adopted %r", index, task)
                    self._created(index, task)
                    continue
                self._settle(index, self._retry_one(index))
        self.errors.update(self.ambiguous)

    def _retry_one(self, index: int) -> Task | PybossaError:
        try:
            task = self.manager._create_one(self.items[index])
        except PybossaError as exc:
            return exc
        self._created(index, task)
        return task

    def _unclaimed(self, project_id: int, after_id: int) -> dict[str, list[Task]]:
        claimed = {task.id for task in self.results if task is not None}
        found: dict[str, list[Task]] = defaultdict(list)
        rows = self.manager.iter(project_id=project_id, last_id=after_id)
        for task in rows:
            if task.id not in claimed:
                found[_info_key(task.info)].append(task)
        return found
