"""Where exported rows come from: one project lookup, then keyset pages through the managers.

The lookup asks for the project's counts in the same request (`stats=1`), for a progress bar's
total; PYBOSSA fills them from background jobs, so they may be stale or missing (then there is no
total, never an extra request for one). Rows are read with the managers' `rows` (keyset pages of
100, one page in memory); the engine never builds an `/api/` URL itself.

Anonymous callers (no API key) read what PYBOSSA 4.0.2 shows anyone: a published project's
tasks, task runs (with `user_id` and the anonymised `user_ip`) and results, exactly the rows and
fields its owner reads. An unpublished project is invisible to them (its lookup finds nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pbsync.errors import ExportError, ProjectNotFoundError

if TYPE_CHECKING:
    from pbclient.client import Client
    from pbclient.managers import ReadManager

__all__ = ["KINDS", "ExportProject", "find_project", "parse_kinds", "project_rows"]

log = logging.getLogger(__name__)

#: what can be exported, in export order -> (the client's manager, the count in `stats`)
KINDS: Mapping[str, tuple[str, str]] = {
    "tasks": ("tasks", "n_tasks"),
    "taskruns": ("taskruns", "n_task_runs"),
    "results": ("results", "n_results"),
}

#: keys GET adds to every row: links to the row itself and its parents, not data
_LINK_KEYS = ("link", "links")


@dataclass(frozen=True)
class ExportProject:
    """The exported project: its id and what its counts said (None: not known)."""

    id: int
    short_name: str
    counts: Mapping[str, int | None]


def parse_kinds(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """`"tasks,results"` (or a sequence) -> the kinds in export order, each once.

    Raises:
        ExportError: an unknown kind.
    """
    names = text.split(",") if isinstance(text, str) else list(text)
    wanted = {name.strip().lower() for name in names if name.strip()}
    unknown = sorted(wanted - set(KINDS))
    if unknown or not wanted:
        shown = ", ".join(unknown) if unknown else "nothing"
        raise ExportError(f"cannot export {shown}: choose from {', '.join(KINDS)}")
    return tuple(kind for kind in KINDS if kind in wanted)


def find_project(client: Client, short_name: str) -> ExportProject:
    """Look the project up by short name (one GET, with its counts).

    Raises:
        ProjectNotFoundError: no such project visible to the caller (without a key, unpublished
            projects are invisible).
        ConfigError: nothing found and the server did not accept the API key (one more GET).
    """
    from pbsync.sync.keycheck import explain_missing

    found = client.projects.find(short_name=short_name, limit=1, stats=1)
    if not found:
        explain_missing(client, short_name)
        raise ProjectNotFoundError(
            f"no project {short_name!r} on {client.endpoint} that "
            f"{'this API key' if client.has_api_key else 'a request without key'} can see (an "
            "unpublished project is visible only to its owners)"
        )
    project = found[0]
    stats = project.data.get("stats")
    counts = {kind: _count(stats, key) for kind, (_, key) in KINDS.items()}
    return ExportProject(int(project.id), str(project.short_name), counts)


def _count(stats: Any, key: str) -> int | None:
    value = stats.get(key) if isinstance(stats, Mapping) else None
    # PYBOSSA without its background jobs reports 0 for everything: no total rather than a wrong one
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def project_rows(
    client: Client, project_id: int, kind: str, *, after: int | None = None
) -> Iterator[dict[str, Any]]:
    """The project's rows of `kind` with ids above `after`, ascending, without `link`/`links`.

    Keyset pages of 100 (one request each, plus one empty page after a full last page: PYBOSSA
    sends no total); the rows of one page are yielded before the next page is asked for.

    Raises:
        ExportError: an unknown kind.
        pbclient.errors.PybossaError: the server refused or could not be reached.
    """
    if kind not in KINDS:
        raise ExportError(f"cannot export {kind}: choose from {', '.join(KINDS)}")
    manager: ReadManager[Any] = getattr(client, KINDS[kind][0])
    for row in manager.rows(project_id=project_id, last_id=after):
        for key in _LINK_KEYS:
            row.pop(key, None)
        yield row
