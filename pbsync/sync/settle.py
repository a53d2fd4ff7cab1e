"""The check a push makes once its creates are done: copies that lost answers or another push made.

PYBOSSA cannot refuse a second copy of a task (no unique key but the id, no idempotency keys, no
lock), so two pushes of copies of one folder at once both create every missing task, and a POST
whose answer was lost may create its task after `create_many` looked for it. Nothing before the
writes can rule that out; a look afterwards can undo it. After creating, a push therefore lists what
appeared above the highest ids its fetch saw (tasks with their runs, `related=1`: one GET per 100
created tasks, about 1% more requests than the POSTs themselves, read in chunks of the id range the
creates got at once, `pbsync.sync.chunked`; helping materials: one GET) and deletes every copy of an
identity but the one with the lowest id, unless it has task runs (`pbsync.sync.duplicates`). Two
pushes that check at the same time apply the same rule, so they converge on the same survivors: a
copy is deleted only when a lower one exists, and the lowest is deleted by no one. A copy that lands
after the check (a request the server was still working on) is reported by the next `diff`, and
`push --dedupe` deletes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from pbclient.client import Client
from pbclient.errors import NotFoundError, ServerError
from pbclient.resources import HelpingMaterial
from pbsync.model import HelpingMaterialState, TaskState, content_key
from pbsync.sync.actions import (
    CreateTasks,
    DeleteDuplicateHelpingMaterial,
    DeleteDuplicateTask,
    Duplicate,
    Plan,
    UpdateTask,
)
from pbsync.sync.duplicates import group_copies, helping_copies, task_copies, without_file
from pbsync.sync.remote import RemoteProject

__all__ = ["delete_material_copy", "delete_task_copy", "settle"]

log = logging.getLogger(__name__)


def settle(
    client: Client,
    plan: Plan,
    project_id: int,
    *,
    tasks: bool,
    helping: bool,
    created: tuple[int, int] | None = None,
    workers: int = 1,
) -> list[Duplicate]:
    """Delete the copies that appeared above the plan's ids; what was found, kept and deleted.

    Args:
        client: the push's client.
        plan: the plan just applied (its `last_task_id`, `last_helping_id`, `unfinished`,
            `task_key_fields`).
        project_id: the project's id.
        tasks: look at tasks (the push created some, or an unfinished push may have).
        helping: look at helping materials.
        created: the lowest and highest task ids this push's creates got (None: none).
        workers: reads at once: the tasks of the `created` range are read in that many chunks.

    Raises:
        pbclient.errors.PybossaError: a read or a deletion failed (a copy already deleted by
            another push is not an error).
    """
    found: list[Duplicate] = []
    if tasks:
        found += _settle_tasks(client, plan, project_id, created, workers)
    if helping:
        found += _settle_helping(client, plan, project_id)
    return found


def _floor(mine: int | None, unfinished: int | None) -> int:
    """The id above which copies are looked for: this push's fetch, or an unfinished push's."""
    candidates = [i for i in (mine, unfinished) if i is not None]
    return min(candidates) if candidates else 0


def _settle_tasks(
    client: Client, plan: Plan, project_id: int, created: tuple[int, int] | None, workers: int
) -> list[Duplicate]:
    unfinished = plan.unfinished.last_task_id if plan.unfinished else None
    floor = _floor(plan.last_task_id, unfinished)
    above = RemoteProject.tasks_above(client, project_id, floor, known=created, workers=workers)
    key_fields = plan.task_key_fields
    _first, groups = group_copies(above, lambda t: content_key(t.info, key_fields))
    if not groups:
        return []
    sources = _sources(plan)
    found = []
    for key, group in sorted(groups.items(), key=lambda item: item[1][0].id or 0):
        name = sources.get(key) or f"task {group[0].id}"
        actions, duplicate = task_copies(name, group, lambda _id: True)
        copies = [a for a in actions if isinstance(a, DeleteDuplicateTask)]
        gone = [a.task.id for a in copies]
        deleted = [a.task.id for a in copies if delete_task_copy(client, a)]
        log.info("%s: %d copies; kept %d", name, len(group), duplicate.keep)
        found.append(_as_done(duplicate, gone, deleted))
    return found


def _settle_helping(client: Client, plan: Plan, project_id: int) -> list[Duplicate]:
    unfinished = plan.unfinished.last_helping_id if plan.unfinished else None
    floor = _floor(plan.last_helping_id, unfinished)
    materials = RemoteProject.helping_materials(client, project_id)
    _first, groups = group_copies(materials, lambda m: m.name)
    found = []
    for group in sorted(groups.values(), key=lambda copies: copies[0].id or 0):
        actions, duplicate = helping_copies(group, lambda copy_id: copy_id > floor)
        if not actions:
            continue  # copies older than this push: the plan reported them
        copies = [a for a in actions if isinstance(a, DeleteDuplicateHelpingMaterial)]
        gone = [a.material.id for a in copies]
        deleted = [a.material.id for a in copies if delete_material_copy(client, a)]
        found.append(_as_done(duplicate, gone, deleted))
    return found


def _as_done(duplicate: Duplicate, gone: list[int | None], deleted: list[int | None]) -> Duplicate:
    """`duplicate` as it ended: `deleting` holds what this push deleted, and copies another
    push deleted first (404) are left out."""
    mine = tuple(i for i in deleted if i is not None)
    others = {i for i in gone if i not in deleted}
    extra = tuple(i for i in duplicate.extra if i not in others)
    return replace(duplicate, extra=extra, deleting=mine)


def _sources(plan: Plan) -> dict[str, str]:
    """Identity -> where the folder defines it ("tasks.csv:12"), for the tasks the plan sends."""
    out: dict[str, str] = {}
    for action in plan.actions:
        batch: tuple[TaskState, ...]
        if isinstance(action, CreateTasks):
            batch = action.tasks
        elif isinstance(action, UpdateTask):
            batch = (action.task,)
        else:
            continue
        out.update((t.key, t.source) for t in batch if t.source)
    return out


def delete_task_copy(client: Client, action: DeleteDuplicateTask) -> bool:
    """Delete a task's extra copy; False when it was gone already (another push deleted it)."""
    task_id = _id(action.task.id)
    try:
        client.tasks.delete(task_id)
    except NotFoundError:
        return False
    except ServerError:
        # two pushes deleting the same copy at once: PYBOSSA 4.0.2 answers the second DELETE
        # with a 500 (UnmappedInstanceError) where the row is simply gone
        if _gone(lambda: client.tasks.get(task_id)):
            return False
        raise
    return True


def _gone(read: Callable[[], object]) -> bool:
    """Whether a row is gone: its GET answers 404."""
    try:
        read()
    except NotFoundError:
        return True
    return False


def delete_material_copy(client: Client, action: DeleteDuplicateHelpingMaterial) -> bool:
    """Delete a material's extra copy, keeping the stored file the kept copy shares with it.

    Returns:
        False when it was gone already (another push deleted it).
    """
    material: HelpingMaterialState = action.material
    material_id = _id(material.id)
    try:
        if action.detach:
            # PYBOSSA deletes the file a material's info names (container/file_name) with it,
            # and the kept copy's info names the same file: untie this one first
            stub = HelpingMaterial.from_server({"id": material_id, "info": dict(material.info)})
            client.helping_materials.update(stub, info=without_file(material.info))
        client.helping_materials.delete(material_id)
    except NotFoundError:
        return False
    except ServerError:
        # deleted by another push at the same moment: see delete_task_copy
        if _gone(lambda: client.helping_materials.get(material_id)):
            return False
        raise
    return True


def _id(value: int | None) -> int:
    if value is None:
        raise RuntimeError("a copy without a server id")  # a bug: copies come from the server
    return value
