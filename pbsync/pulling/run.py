"""`pull`: write a project folder from the server (the inverse of `LocalProject.load`).

The folder written loads back into the server's state as `make_plan` sees it, so a push right after
a pull plans nothing. Nothing the server sends decides where a file goes: helping material names
are sanitised into paths under the helping folder (`helping/`, or what `[files] helping` names:
the loader makes sure it holds nothing else), a material the folder keeps elsewhere goes to the
file its `[helping."NAME"] file` names, and every write is checked to stay inside the folder.

Local edits are never lost silently: a file pull would change or remove is overwritten only when it
holds what the last sync recorded in `.pbsync/state.json` (or with `force`); otherwise `PullError`
lists the files and nothing is written.

All or nothing: every file is first staged in `.pbsync/pull/` (`pbsync.pulling.staging`) and moved
into place only once all have arrived; a pull that fails (a download that keeps failing, a kill)
leaves the folder as it was, and the next pull reuses what arrived and finishes a move that was cut
short, recording it as its own. Which download failures fail the pull and which keep the material
as a link: `pbsync.pulling.download`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pbclient.client import Client
from pbsync.errors import ProjectNotFoundError, PullError, ValidationError
from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.manifest import PROJECT_TOML
from pbsync.folder.project import LocalProject
from pbsync.model import ProjectState
from pbsync.pulling.download import Link, TransientError, fetch_file
from pbsync.pulling.guard import changed_files, refuse_local_edits, stale_files
from pbsync.pulling.layout import SERVER_INFO_KEYS, Layout, build_layout
from pbsync.pulling.pages import Pages, folder_pages
from pbsync.pulling.staging import Commit, Staging
from pbsync.pulling.write import (
    check_target,
    read_existing,
    read_task_files,
    read_toml_text,
    safe_name,
)
from pbsync.sync.record import check_state_files, load_record, record_of, save_record
from pbsync.sync.remote import RemoteProject

__all__ = ["SERVER_INFO_KEYS", "PullReport", "pull", "safe_name"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PullReport:
    """What a pull did. Paths are folder-relative POSIX strings."""

    folder: Path
    short_name: str
    project_id: int | None
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    warnings: tuple[str, ...]
    n_tasks: int | None
    n_helping: int
    downloads: int
    #: requests sent to the server (downloads from other hosts are not counted)
    requests: int = 0


@dataclass
class _Staged:
    """The pull as staged: the layout, what changes, and the materials kept as links."""

    layout: Layout
    changed: list[str]
    stale: list[str]
    links: dict[int | None, str] = field(default_factory=dict)


@dataclass
class _Pull:
    """One pull: stages the files to write, checks them against local edits, moves them in."""

    client: Client
    short_name: str
    folder: Path
    tasks: bool
    force: bool
    env: str | None
    target: str
    warnings: list[str] = field(default_factory=list)
    existing: dict[str, Any] = field(default_factory=dict)
    toml_text: str | None = None
    pages: Pages = field(default_factory=Pages)
    downloaded: int = 0
    #: material id -> where this run staged its file
    fetched: dict[int | None, str] = field(default_factory=dict)

    def run(self) -> PullReport:
        staging = Staging(self.folder)
        if staging.pending():
            self._resume(staging)
        self.existing = read_existing(self.folder)
        self._check_env()  # before spending any request
        # the folder's own project.toml (edited in place) and pages: checked before any request
        self.toml_text = read_toml_text(self.folder) if self.existing else None
        self.pages = folder_pages(self.folder, self.existing, self.env, self.toml_text)
        remote = RemoteProject.fetch(self.client, self.short_name, tasks=self.tasks)
        if remote is None:
            raise ProjectNotFoundError(f"no project {self.short_name!r} on {self.client.endpoint}")
        created = not self.folder.exists()
        try:
            staged = self._stage(remote, staging)
        except BaseException:
            if created:  # the folder did not exist: leave none
                shutil.rmtree(self.folder, ignore_errors=True)
            raise
        writes = staged.changed
        meta = {"target": self.target, "short_name": self.short_name, "env": self.env,
                "tasks": self.tasks, "project_id": remote.project_id}  # fmt: skip
        done = None
        if writes or staged.stale:
            staging.open()
            done = staging.commit(writes, staged.stale, meta)
        skipped = self._settle(done, staging, remote.project_id)
        layout = staged.layout
        written = sorted(r for r in writes if r not in skipped)
        every = sorted({*layout.files, *layout.downloads})
        return PullReport(
            self.folder, self.short_name, remote.project_id, tuple(written),
            tuple(r for r in every if r not in written),
            tuple(sorted(r for r in staged.stale if r not in skipped)), tuple(self.warnings),
            layout.n_tasks, len(remote.helping_materials), self.downloaded,
        )  # fmt: skip

    # -- reading the folder ---------------------------------------------------------------------

    def _ignore(self) -> IgnoreRules:
        try:
            return IgnoreRules.load(self.folder)
        except UnicodeDecodeError:
            return IgnoreRules()

    def _check_env(self) -> None:
        if self.env is None:
            return
        if not self.existing:
            self.warnings.append(f"no {PROJECT_TOML} yet: environment {self.env!r} not applied")
            return
        envs = self.existing.get("env")
        if not isinstance(envs, dict) or not isinstance(envs.get(self.env), dict):
            known = ", ".join(sorted(envs)) if isinstance(envs, dict) and envs else "none"
            raise PullError(f"unknown environment {self.env!r} in {PROJECT_TOML} (known: {known})")

    # -- staging --------------------------------------------------------------------------------

    def _stage(self, remote: ProjectState, staging: Staging) -> _Staged:
        """Stage every file to write; materials whose file cannot be fetched at all become links.

        A link changes project.toml (and may free a file name another material then takes), so
        the layout is made again until no new link appears, and the guard asks again each time.
        """
        ignore = self._ignore()
        links: dict[int | None, str] = {}
        # an existing folder keeps its layout: its own project.toml and task files are edited
        toml_text, pages = self.toml_text, self.pages
        task_files = read_task_files(self.folder, self.existing, ignore) if self.tasks else {}
        while True:
            layout = build_layout(
                _as_links(remote, links), self.existing, ignore, self.env,
                toml_text=toml_text, task_files=task_files, pages=pages, force=self.force,
            )  # fmt: skip
            stale = stale_files(self.folder, layout, ignore, pages.candidates(), pages.helping)
            changed = changed_files(self.folder, layout.files, layout.downloads)
            if not self.force:
                touched = changed + stale
                refuse_local_edits(self.folder, self.target, self.short_name, self.env, touched)
            for rel in changed:
                check_target(self.folder, rel)  # all paths first: a refusal writes nothing
            if not changed:
                break
            staging.open()
            new = self._stage_downloads(layout, changed, staging)
            if not new:
                break
            links.update(new)
        for rel in changed:
            if rel in layout.files:
                staging.put(rel, layout.files[rel])
        self.warnings += layout.warnings
        self.warnings += [f"helping {why}: kept as a link" for why in links.values()]
        return _Staged(layout, changed, stale, links)

    def _stage_downloads(
        self, layout: Layout, changed: list[str], staging: Staging
    ) -> dict[int | None, str]:
        """Stage the changed downloads; return the materials that cannot be fetched at all."""
        links: dict[int | None, str] = {}
        for rel in changed:
            hm = layout.downloads.get(rel)
            if hm is None or staging.reuse(rel, hm.sha256):
                continue  # not a download, or staged by an earlier, failed run
            if hm.id in self.fetched:  # by this run, in an earlier round
                if self.fetched[hm.id] != rel:
                    staging.put(rel, staging.read(self.fetched[hm.id]))
                    self.fetched[hm.id] = rel
                continue
            self.downloaded += 1
            try:
                got = fetch_file(self.client, hm)
            except TransientError as exc:
                raise PullError(
                    f"pull failed, nothing in {self.folder} was changed: helping {hm.name}: "
                    f"{exc}; run pull again (the files that arrived are kept for it)"
                ) from exc
            if isinstance(got, Link):
                links[hm.id] = f"{hm.name}: download failed ({got.why})"
                continue
            if hm.sha256 and hashlib.sha256(got).hexdigest() != hm.sha256:
                self.warnings.append(
                    f"helping {hm.name}: the server serves other bytes than the sha256 it records"
                    " (written as served; a push uploads them again)"
                )
            staging.put(rel, got)
            self.fetched[hm.id] = rel
        return links

    # -- committing -----------------------------------------------------------------------------

    def _settle(self, done: Commit | None, staging: Staging, project_id: int | None) -> set[str]:
        """Record the sync once the files are in place; return the targets left alone."""
        skipped = set(done.skipped) if done is not None else set()
        for rel in sorted(skipped):
            self.warnings.append(f"{rel} changed while pulling: left as it is")
        if not skipped:
            _record(self.folder, self.target, self.short_name, self.env, self.tasks, project_id,
                    self.warnings)  # fmt: skip
        staging.close()
        return skipped

    def _resume(self, staging: Staging) -> None:
        """Finish the commit of a pull that was cut short, and record it as that pull would."""
        done = staging.resume()
        if done is None:
            return
        meta = done.meta
        self.warnings.append(f"finished an interrupted pull of {meta.get('short_name')}")
        for rel in done.skipped:
            self.warnings.append(f"{rel} changed after an interrupted pull: left as it is")
        if not done.skipped and isinstance(meta.get("short_name"), str):
            _record(self.folder, str(meta.get("target")), meta["short_name"], meta.get("env"),
                    bool(meta.get("tasks")), meta.get("project_id"), self.warnings)  # fmt: skip
        staging.close()


def _as_links(remote: ProjectState, links: Mapping[int | None, str]) -> ProjectState:
    """`remote` with the materials in `links` as link-only (their file cannot be fetched)."""
    if not links:
        return remote
    materials = tuple(
        replace(m, info={k: v for k, v in m.info.items() if k != "file_name"})
        if m.id in links
        else m
        for m in remote.helping_materials
    )
    return replace(remote, helping_materials=materials)


def _record(
    folder: Path,
    target: str,
    short_name: str,
    env: str | None,
    tasks: bool,
    project_id: int | None,
    warnings: list[str],
) -> None:
    """Record the pulled folder as synced, so the next push sees no drift."""
    try:
        local = LocalProject.load(folder, env=env)
    except ValidationError as exc:
        warnings += [f"the pulled folder does not load: {p}" for p in exc.problems]
        return
    record = record_of(local.state, project_id=project_id)
    if not tasks:
        # tasks were not fetched: what was agreed about them is still the older record
        previous = load_record(folder, target, short_name)
        record = replace(record, tasks=previous.tasks if previous else {})
    save_record(folder, target, short_name, record)


# -- helpers ------------------------------------------------------------------------------------


def pull(
    client: Client,
    short_name: str,
    folder: str | os.PathLike[str],
    *,
    tasks: bool = True,
    force: bool = False,
    env: str | None = None,
    target: str | None = None,
) -> PullReport:
    """Write `folder` from the server's project `short_name` (creating the folder if needed).

    Writes project.toml, presenter.html, longdesc.md, tutorial.html, results.html (those the server
    has), helping/ files, and tasks.jsonl (unless `tasks` is False). An existing folder keeps its
    layout: its pages go to the files its `[files]` (or, for a pbs folder, pbs) names, without the
    bundle script the loader appends to the presenter; its helping files to its `[files] helping`
    folder, or to the file a material's `file = "PATH"` names; its `[env]` tables are kept; with
    `env`, the keys that overlay sets keep their base value.

    Args:
        client: an authenticated client.
        short_name: the project on the server.
        folder: where to write.
        tasks: also pull the tasks (one request per 100).
        force: overwrite and remove local files even when they hold unsynced edits.
        env: the `[env.NAME]` overlay of the existing project.toml this pull belongs to.
        target: the server's name in `.pbsync/state.json` (default: the client's endpoint); the
            embedded server, whose port changes every run, is `"embedded"`.

    Returns:
        What was written, left alone, removed, and warnings (data that could not be pulled).

    Raises:
        ProjectNotFoundError: no such project.
        PullError: local edits would be lost, an unknown env, an unsafe path, a `[files] helping`
            that holds other files of the folder (before any request), a server presenter
            that does not end with the folder's bundle script (unless `force`), or a file that
            could not be downloaded after retries (in every case nothing in the folder changed;
            files that did arrive are kept in `.pbsync/pull/` for the next pull).
        pbsync.errors.UnsafePathError: `.pbsync` is a symlink or holds odd files (nothing is
            written then).
        pbclient.errors.PybossaError: the server refused or could not be reached (before
            anything was written).
    """
    root = Path(folder).absolute()
    if root.exists() and not root.is_dir():
        raise PullError(f"{root} exists and is not a folder")
    check_state_files(root)  # a `.pbsync` symlinked out: refused before anything is written
    where = target if target is not None else client.endpoint
    job = _Pull(client, short_name, root, tasks, force, env, where)
    before = client.stats.total
    report = replace(job.run(), requests=client.stats.total - before)
    log.info("pulled %s into %s: %d files written", short_name, root, len(report.written))
    return report
