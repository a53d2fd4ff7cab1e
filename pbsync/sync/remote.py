"""The server side of a project, in the same shape as the folder (`ProjectState`).

Requests are the scarce resource on a PYBOSSA server (300 per 15 minutes per endpoint), so a fetch
spends as few as it can: one for the project, one for the categories (ids -> short_names), keyset
pages of 100 for helping materials and tasks, and task-run counts only when a caller needs them
(`count_task_runs`, e.g. before pruning). An unchanged 10,000-task project costs 104 requests.

pbclient checks the shape of every row it hands over (`pbclient.answers`: integer ids, `info` an
object where one is due, numbers where numbers are due); what only pbsync relies on (the text of
a helping material's `info.name`, `file_name`, `sha256`) is checked here, so a wrong answer is
one `UnexpectedAnswerError` line, never a traceback.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from pbclient.answers import shown
from pbclient.client import Client
from pbclient.errors import UnexpectedAnswerError
from pbclient.pagination import read_ahead
from pbsync.errors import NotOwnerError
from pbsync.model import (
    HelpingMaterialState,
    ProjectFields,
    ProjectState,
    TaskState,
)
from pbsync.sync.chunked import read_chunked
from pbsync.sync.remote_tasks import read_against, task_of

__all__ = ["RemoteProject", "helping_name", "project_fields"]

log = logging.getLogger(__name__)

#: below this many tasks, count their runs one request each; above, page through all the runs
PER_TASK_COUNT_LIMIT = 20
#: the info keys of a helping material that pbsync reads as text
_MATERIAL_TEXT = ("name", "file_name", "sha256")


def helping_name(info: Mapping[str, Any], material_id: int | None) -> str:
    """The identity of a helping material on the server: `info.name`, else `info.file_name`."""
    name = info.get("name") or info.get("file_name")
    return str(name) if name else f"#{material_id}"


def project_fields(row: Mapping[str, Any], categories: Mapping[int, str]) -> ProjectFields:
    """The managed fields of a project row (`categories`: id -> short_name)."""
    category_id = row.get("category_id")
    return ProjectFields(
        name=row.get("name") or "",
        short_name=row.get("short_name") or "",
        description=row.get("description") or "",
        long_description=row.get("long_description"),
        category=categories.get(category_id) if category_id is not None else None,
        webhook=row.get("webhook"),
        allow_anonymous_contributors=row.get("allow_anonymous_contributors"),
        zip_download=row.get("zip_download"),
        published=row.get("published"),
        info=dict(row.get("info") or {}),
    )


def _material(row: Mapping[str, Any]) -> HelpingMaterialState:
    info = dict(row.get("info") or {})
    for key in _MATERIAL_TEXT:
        # pbsync's own keys: a file is named, and checked, by them
        if info.get(key) is not None and not isinstance(info[key], str):
            raise UnexpectedAnswerError(
                f"GET /api/helpingmaterial: material {row.get('id')} has info.{key} = "
                f"{shown(info[key])}, not a string"
            )
    return HelpingMaterialState(
        name=helping_name(info, row.get("id")),
        info=info,
        priority=float(row.get("priority") or 0.0),
        sha256=info.get("sha256"),
        media_url=row.get("media_url"),
        id=row.get("id"),
    )


class RemoteProject:
    """Reads a project from a PYBOSSA server."""

    @staticmethod
    def fetch(
        client: Client, short_name: str, *, tasks: bool = True, owner: bool = False
    ) -> ProjectState | None:
        """The server's state of project `short_name`, or None when it does not exist.

        Args:
            client: an authenticated client (an owner's or an admin's key).
            short_name: the project's short_name.
            tasks: also fetch every task (keyset, 100 per request); False leaves `tasks` None.
            owner: refuse a project the server shows as to a non-owner (no `published` key).

        Raises:
            NotOwnerError: `owner` is set and the key is not an owner's (or was not accepted).
            pbclient.errors.PybossaError: the server refused or could not be reached.
        """
        row = RemoteProject.project_row(client, short_name, owner=owner)
        if row is None:
            return None
        return RemoteProject.around(client, row, tasks=tasks)

    @staticmethod
    def around(
        client: Client,
        row: Mapping[str, Any],
        *,
        helping: bool = True,
        tasks: bool = True,
        against: ProjectState | None = None,
    ) -> ProjectState:
        """The project of `row` (as `project_row` read it) with the parts asked for.

        Args:
            client: the client that read `row`.
            row: the project's row.
            helping: read the helping materials (False: none, as if the project had none).
            tasks: read every task (False: `tasks` is None, not fetched).
            against: the folder's state: its tasks the server holds as they are go into
                `same_tasks` by id, not whole into `tasks` (`pbsync.sync.remote_tasks`).
        """
        categories = RemoteProject.categories(client)
        project_id = int(row["id"])
        materials = RemoteProject.helping_materials(client, project_id) if helping else ()
        same: dict[str, int] = {}
        task_states: tuple[TaskState, ...] | None = None
        if tasks and against is not None and against.tasks is not None:
            # the server makes the next page while this one is compared
            pages = read_ahead(client.tasks.pages(project_id=project_id))
            rows = (row for page in pages for row in page)
            read = read_against(rows, against.tasks, against.task_key_fields)
            task_states, same = tuple(read.others), read.same
        elif tasks:
            task_states = RemoteProject.tasks(client, project_id)
        fields = project_fields(row, {v: k for k, v in categories.items()})
        return ProjectState(
            project=fields,
            helping_materials=materials,
            tasks=task_states,
            project_id=project_id,
            remote_info=dict(fields.info),
            same_tasks=same,
        )

    @staticmethod
    def project_row(
        client: Client, short_name: str, *, owner: bool = False
    ) -> dict[str, Any] | None:
        """The project's row as the server sent it, or None (one request).

        Raises:
            NotOwnerError: `owner` is set and the server shows the project as to a non-owner.
        """
        found = client.projects.by_short_name(short_name)
        if found is None or found.data.get("short_name") != short_name:
            return None
        if owner and "published" not in found.data:
            raise NotOwnerError(_not_owner(client, short_name))
        return found.data

    @staticmethod
    def helping_materials(client: Client, project_id: int) -> tuple[HelpingMaterialState, ...]:
        """The project's helping materials (one request per 100)."""
        return tuple(_material(r) for r in client.helping_materials.rows(project_id=project_id))

    @staticmethod
    def tasks(client: Client, project_id: int) -> tuple[TaskState, ...]:
        """The project's tasks (keyset, one request per 100, and one more after a full page)."""
        return tuple(task_of(r) for r in client.tasks.rows(project_id=project_id))

    @staticmethod
    def tasks_above(
        client: Client,
        project_id: int,
        after_id: int,
        *,
        known: tuple[int, int] | None = None,
        workers: int = 1,
    ) -> tuple[TaskState, ...]:
        """The project's tasks with ids above `after_id`, each with its `n_task_runs`.

        One request per 100 tasks: `related=1` makes PYBOSSA send every task's runs with it,
        which for tasks this push just created is an empty list (a server that ignores it
        leaves `n_task_runs` None: unknown). With `known`, the lowest and highest ids the caller
        knows were created, that range is read in up to `workers` chunks at once (`chunked`).
        """

        def pages(last_id: int) -> Iterator[list[dict[str, Any]]]:
            return client.tasks.pages(project_id=project_id, last_id=last_id, related=1)

        return tuple(
            replace(task_of(row), n_task_runs=_runs_sent(row))
            for page in read_chunked(pages, after_id, known, workers)
            for row in page
        )

    @staticmethod
    def categories(client: Client) -> dict[str, int]:
        """Every category as short_name -> id (one request for up to 100 categories)."""
        return {str(r["short_name"]): int(r["id"]) for r in client.categories.rows()}

    @staticmethod
    def count_task_runs(
        client: Client, state: ProjectState, task_ids: set[int] | None = None
    ) -> ProjectState:
        """`state` with `n_task_runs` filled in for `task_ids` (every task when None).

        A few tasks are counted one request each; more, by paging through the project's runs.
        """
        if state.tasks is None or state.project_id is None:
            return state
        wanted = {t.id for t in state.tasks if t.id is not None}
        if task_ids is not None:
            wanted &= task_ids
        if not wanted:
            return state
        if len(wanted) <= PER_TASK_COUNT_LIMIT:
            counts = Counter({i: _runs_of_task(client, i) for i in sorted(wanted)})
        else:
            rows = client.taskruns.rows(project_id=state.project_id)
            counts = Counter(int(r["task_id"]) for r in rows)
        tasks = tuple(
            replace(t, n_task_runs=counts.get(t.id, 0)) if t.id in wanted else t
            for t in state.tasks
        )
        return replace(state, tasks=tasks)

    @staticmethod
    def caller_is_admin(client: Client) -> bool:
        """Whether the client's key is an admin's (one request).

        PYBOSSA's user list shows a user's `id` only to that user and to admins (others see
        `name`, `locale` and maybe `fullname`, `created`): an admin sees it on the first two
        users, anyone else on one at most. A server with one user is that user's, and PYBOSSA
        makes the first user an admin.
        """
        rows = client.request("GET", "/api/user", params={"limit": 2})
        if not isinstance(rows, list):
            raise UnexpectedAnswerError(f"GET /api/user answered {shown(rows)}, not a list")
        seen = sum(1 for r in rows if isinstance(r, Mapping) and r.get("id") is not None)
        return seen == len(rows) and seen > 0

    @staticmethod
    def tasks_with_results(
        client: Client, state: ProjectState, task_ids: set[int]
    ) -> frozenset[int]:
        """Which of `task_ids` (tasks of `state`) have a result.

        A few tasks are looked up one request each; more, by paging through the project's
        results (one request per 100).
        """
        if not task_ids or state.project_id is None:
            return frozenset()
        if len(task_ids) <= PER_TASK_COUNT_LIMIT:
            return frozenset(i for i in sorted(task_ids) if client.results.find(task_id=i, limit=1))
        rows = client.results.rows(project_id=state.project_id)
        return frozenset(int(r["task_id"]) for r in rows) & task_ids


def _runs_sent(row: Mapping[str, Any]) -> int | None:
    """How many runs a task row sent with `related=1` holds (None: the server sent none)."""
    runs = row.get("task_runs")
    return len(runs) if isinstance(runs, list) else None


def _runs_of_task(client: Client, task_id: int) -> int:
    """Whether a task has runs: 0 or 1 is enough to decide, and costs one request."""
    return len(client.taskruns.find(task_id=task_id, limit=1))


def _not_owner(client: Client, short_name: str) -> str:
    # PYBOSSA leaves owner-only keys (published, secret_key, webhook ...) out of what others see:
    # its tasks and helping materials would look missing and its settings changed, and every
    # write would be refused, so nothing is planned
    if not client.has_api_key:
        return (
            f"project {short_name!r} on {client.endpoint} can only be changed with an owner's "
            "API key, and none is set (--api-key, PYBOSSA_API_KEY or ~/.pybossa.cfg)"
        )
    return (
        f"project {short_name!r} on {client.endpoint} belongs to another user: this API key is "
        "not one of its owners (or was not accepted: PYBOSSA treats an unknown key as anonymous)"
    )
