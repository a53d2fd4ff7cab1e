"""`pull`: write a project folder from the server (the inverse of `LocalProject.load`).

The folder written loads back into the server's state as `make_plan` sees it, so a push right after
a pull plans nothing. Nothing the server sends decides where a file goes: helping material names
are sanitised into paths under `helping/`, and every write is checked to stay inside the folder.

Local edits are never lost silently: a file pull would change or remove is overwritten only when it
holds what the last sync recorded in `.pbsync/state.json` (or with `force`); otherwise `PullError`
lists the files and nothing is written.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pbclient.client import Client
from pbclient.errors import InvalidDataError, ResponseError, TransportError
from pbsync.errors import ProjectNotFoundError, PullError, ValidationError
from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.manifest import PROJECT_TOML
from pbsync.folder.project import LocalProject
from pbsync.model import HelpingMaterialState, ProjectState
from pbsync.pulling.guard import changed_files, refuse_local_edits, stale_files
from pbsync.pulling.layout import SERVER_INFO_KEYS, build_layout
from pbsync.pulling.write import check_target, read_existing, safe_name, write_inside
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
class _Pull:
    """One pull: builds the files to write, checks them against local edits, writes them."""

    client: Client
    short_name: str
    folder: Path
    tasks: bool
    force: bool
    env: str | None
    target: str
    warnings: list[str]
    existing: dict[str, Any]
    downloaded: int = 0
    failed: set[int | None] = field(default_factory=set)

    def run(self) -> PullReport:
        self._check_env()  # before spending any request
        remote = RemoteProject.fetch(self.client, self.short_name, tasks=self.tasks)
        if remote is None:
            raise ProjectNotFoundError(f"no project {self.short_name!r} on {self.client.endpoint}")
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self._ignore()
        layout = build_layout(remote, self.existing, ignore, self.env)
        self.warnings += layout.warnings
        files, downloads = layout.files, layout.downloads
        stale = stale_files(self.folder, files, downloads, ignore)
        changed = changed_files(self.folder, files, downloads)
        if not self.force:
            touched = changed + stale
            refuse_local_edits(self.folder, self.target, self.short_name, self.env, touched)
        written = self._write_all(files, downloads, changed)
        if self.failed:
            self._relink(remote, ignore, written)
        for rel in stale:
            (self.folder / rel).unlink()
        self._record(remote.project_id)
        every = sorted({*files, *downloads})
        return PullReport(
            self.folder, self.short_name, remote.project_id, tuple(sorted(written)),
            tuple(r for r in every if r not in written), tuple(sorted(stale)),
            tuple(self.warnings), layout.n_tasks, len(remote.helping_materials), self.downloaded,
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

    # -- writing --------------------------------------------------------------------------------

    def _write_all(
        self,
        files: dict[str, bytes],
        downloads: dict[str, HelpingMaterialState],
        changed: list[str],
    ) -> list[str]:
        for rel in changed:
            check_target(self.folder, rel)  # all paths first: a refusal writes nothing
        written = []
        for rel in changed:
            data = files.get(rel)
            if data is None:
                data = self._download(downloads[rel])
                self.downloaded += 1
                if data is None:
                    self.failed.add(downloads[rel].id)
                    continue
            write_inside(self.folder, rel, data)
            written.append(rel)
        return written

    def _relink(self, remote: ProjectState, ignore: IgnoreRules, written: list[str]) -> None:
        """Write project.toml again with the materials whose download failed as links.

        Their file is missing from helping/, so an entry naming them as files would not load.
        """
        materials = tuple(
            replace(m, info={k: v for k, v in m.info.items() if k != "file_name"})
            if m.id in self.failed
            else m
            for m in remote.helping_materials
        )
        relinked = replace(remote, helping_materials=materials)
        data = build_layout(relinked, self.existing, ignore, self.env).files[PROJECT_TOML]
        write_inside(self.folder, PROJECT_TOML, data)
        if PROJECT_TOML not in written:
            written.append(PROJECT_TOML)

    def _download(self, hm: HelpingMaterialState) -> bytes | None:
        url = hm.media_url or ""
        try:
            data = self.client.helping_materials.download(url)
        except InvalidDataError:
            # server data decides this URL: never let it read a local file or abort the pull
            why = "not an http(s) URL"
        except ResponseError as exc:
            why = str(exc.status)
        except TransportError as exc:
            if self.client.is_own(url):
                raise  # our own server is unreachable: the pull fails, nothing becomes a link
            why = str(exc)  # another host (a CDN, S3) that cannot be reached
        else:
            if hm.sha256 and hashlib.sha256(data).hexdigest() != hm.sha256:
                self.warnings.append(
                    f"helping {hm.name}: the file differs from its recorded sha256"
                )
            return data
        self.warnings.append(f"helping {hm.name}: download failed ({why}): kept as a link")
        return None

    def _record(self, project_id: int | None) -> None:
        """Record the pulled folder as synced, so the next push sees no drift."""
        try:
            local = LocalProject.load(self.folder, env=self.env)
        except ValidationError as exc:
            self.warnings += [f"the pulled folder does not load: {p}" for p in exc.problems]
            return
        record = record_of(local.state, project_id=project_id)
        if not self.tasks:
            # tasks were not fetched: what was agreed about them is still the older record
            previous = load_record(self.folder, self.target, self.short_name)
            record = replace(record, tasks=previous.tasks if previous else {})
        save_record(self.folder, self.target, self.short_name, record)


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
    has), helping/ files, and tasks.jsonl (unless `tasks` is False). An existing folder's `[env]`
    tables are kept; with `env`, the keys that overlay sets keep their base value.

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
        PullError: local edits would be lost (nothing is written then), an unknown env, or an
            unsafe path.
        pbsync.errors.UnsafePathError: `.pbsync` is a symlink or holds odd files (nothing is
            written then).
        pbclient.errors.PybossaError: the server refused or could not be reached.
    """
    root = Path(folder).absolute()
    if root.exists() and not root.is_dir():
        raise PullError(f"{root} exists and is not a folder")
    check_state_files(root)  # a `.pbsync` symlinked out: refused before anything is written
    where = target if target is not None else client.endpoint
    job = _Pull(client, short_name, root, tasks, force, env, where, [], read_existing(root))
    before = client.stats.total
    report = replace(job.run(), requests=client.stats.total - before)
    log.info("pulled %s into %s: %d files written", short_name, root, len(report.written))
    return report
