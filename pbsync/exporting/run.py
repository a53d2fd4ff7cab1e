"""`export_files`: a project's rows into files, continuing what an earlier run wrote.

Per kind (tasks, task runs, results, in that order): open the JSON lines journal (continuing its
`.part`, or reopening a finished file to add newer rows), read the rows above the last id written
(or above `since`, whichever is higher) page by page, append each page before asking for the next,
then give the file its finished name and, for `csv` or `json`, convert it (`convert`).

Requests: one project lookup, then per kind one list request per 100 rows read, plus one for the
empty page after a full last page (PYBOSSA sends no total): `n // 100 + 1` for `n` rows. A re-run
of a finished export asks one request per kind (or more, for the rows created since).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pbsync.errors import ExportError
from pbsync.exporting.convert import to_csv, to_json
from pbsync.exporting.journal import Journal
from pbsync.exporting.source import ExportProject, find_project, parse_kinds, project_rows

if TYPE_CHECKING:
    from pbclient.client import Client

__all__ = ["FORMATS", "PAGE", "ExportReport", "KindReport", "export_files", "file_stem"]

log = logging.getLogger(__name__)

FORMATS = ("jsonl", "csv", "json")
#: rows per list request (PYBOSSA's cap); a page is written to disk before the next is asked for
PAGE = 100

#: called at the start of each kind and after each page: (kind, rows in the file, total or None);
#: after a kind's last page the total is the rows written
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class KindReport:
    """What one kind's export wrote.

    Attributes:
        kind: `tasks`, `taskruns` or `results`.
        path: the file in the asked format.
        jsonl: the JSON lines file (the one a re-run continues; `path` itself for `jsonl`).
        rows: rows in the file.
        added: rows this run added.
        last_id: the last row's id (None: no row).
    """

    kind: str
    path: Path
    jsonl: Path
    rows: int
    added: int
    last_id: int | None


@dataclass
class ExportReport:
    """What an export did: the project, each kind's files, and the requests it sent."""

    project: ExportProject
    kinds: list[KindReport] = field(default_factory=list)
    requests: int = 0

    def to_json(self) -> dict[str, Any]:
        """The report as JSON (`pbsync export --json`)."""
        return {
            "project": {"id": self.project.id, "short_name": self.project.short_name},
            "files": [
                {
                    "kind": k.kind,
                    "path": str(k.path),
                    "rows": k.rows,
                    "added": k.added,
                    "last_id": k.last_id,
                }
                for k in self.kinds
            ],
            "requests": self.requests,
        }


def file_stem(short_name: str, kind: str) -> str:
    """`birds_tasks`: the file name, without extension, of a kind's export.

    Characters other than letters, digits, `.`, `_` and `-` become `_`, so a short name can
    never name a path outside the output folder.
    """
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", short_name).lstrip(".") or "project"
    return f"{safe}_{kind}"


def export_files(
    client: Client,
    short_name: str,
    out: str | Path = ".",
    *,
    what: str | tuple[str, ...] = ("tasks", "taskruns", "results"),
    fmt: str = "jsonl",
    since: int | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Export the project's rows into `out` (see the module docstring).

    Args:
        client: a client (with a key: the owner's or an admin's view; without: a published
            project's rows, as PYBOSSA shows them to anyone).
        short_name: the project.
        out: the folder (made if missing).
        what: the kinds, e.g. `"tasks,results"`.
        fmt: `jsonl`, `csv` or `json`.
        since: export only rows with a higher id (a re-run starts after the last id written,
            if that is higher).
        progress: called at the start of each kind and after each page.

    Raises:
        ExportError: an unknown kind or format, or a file that is not this export's.
        ProjectNotFoundError, ConfigError: the project is not visible (see `find_project`).
        pbclient.errors.PybossaError: the server refused or could not be reached; what was
            written stays, and the next run continues it.
    """
    kinds = parse_kinds(what)
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
    before = client.stats.total
    project = find_project(client, short_name)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    report = ExportReport(project)
    try:
        for kind in kinds:
            report.kinds.append(_export_kind(client, project, kind, folder, fmt, since, progress))
    finally:
        report.requests = client.stats.total - before
    return report


def _export_kind(
    client: Client,
    project: ExportProject,
    kind: str,
    folder: Path,
    fmt: str,
    since: int | None,
    progress: Progress | None,
) -> KindReport:
    stem = file_stem(project.short_name, kind)
    journal = Journal.open(folder / f"{stem}.jsonl", project.id)
    try:
        start = journal.rows
        cursors = [c for c in (journal.last_id, since) if c is not None]
        after = max(cursors) if cursors else None
        # with `since`, the project's count also holds the rows below it: no total then
        total = project.counts.get(kind) if since is None else None
        report = progress or (lambda kind, done, total: None)
        report(kind, journal.rows, total)
        page: list[dict[str, Any]] = []
        for row in project_rows(client, project.id, kind, after=after):
            page.append(row)
            if len(page) == PAGE:  # a whole page: on disk before the next one is asked for
                journal.append(page)
                page = []
                report(kind, journal.rows, total)
        journal.append(page)
        report(kind, journal.rows, journal.rows)  # the end is known now: the total is what came
        jsonl = journal.finish()
    finally:
        journal.close()
    path = jsonl
    if fmt == "csv":
        path = to_csv(jsonl, folder / f"{stem}.csv")
    elif fmt == "json":
        path = to_json(jsonl, folder / f"{stem}.json")
    return KindReport(kind, path, jsonl, journal.rows, journal.rows - start, journal.last_id)
