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
import re
import tempfile
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomlkit

from pbclient.client import Client
from pbsync.errors import ProjectNotFoundError, PullError, ValidationError
from pbsync.ignore import IgnoreRules
from pbsync.local import (
    DEFAULT_FILES,
    HELPING_EXTENSIONS,
    HELPING_RESERVED_INFO,
    PROJECT_TOML,
    SIDECAR_SUFFIX,
    LocalProject,
)
from pbsync.model import (
    TASK_DEFAULTS,
    TASK_FIELDS,
    HelpingMaterialState,
    ProjectFields,
    TaskState,
    content_key,
)
from pbsync.remote import RemoteProject
from pbsync.state import load_snapshot, save_snapshot, snapshot_of
from pbsync.tasks import write_jsonl

__all__ = ["SERVER_INFO_KEYS", "PullReport", "pull", "safe_name"]

log = logging.getLogger(__name__)

TASKS_FILE = "tasks.jsonl"
#: project info keys the server maintains (avatar upload, project password): never pulled
SERVER_INFO_KEYS = frozenset(
    {"container", "thumbnail", "passwd_hash", "onesignal", "onesignal_app_id"}
)
#: info keys written to their own files (the [files] setting that names the file)
FILE_KEYS = {"task_presenter": "presenter", "tutorial": "tutorial", "results": "results"}
#: PYBOSSA's defaults: a field equal to its default is not written (so it stays unmanaged)
PROJECT_DEFAULTS = {"allow_anonymous_contributors": True, "zip_download": True, "published": False}
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


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


def safe_name(name: str) -> str:
    """A plain file name for helping/ from a server-given material name, whatever it contains.

    Only the last component survives (separators of any kind, `..` and drive letters cannot lead
    anywhere); control characters (NUL included) are removed, characters Windows forbids become
    `_`, and Windows device names get a `_` prefix.
    """
    name = name.rsplit(":", 1)[-1] if re.match(r"^[A-Za-z]:", name) else name
    parts = []
    for raw in re.split(r"[\\/]+", name):
        part = "".join(ch for ch in raw if ch.isprintable())
        part = re.sub(r'[<>:"|?*]', "_", part).strip().rstrip(". ")
        if part not in ("", ".", ".."):
            parts.append(part)
    last = parts[-1] if parts else "file"
    if _WINDOWS_RESERVED.match(last):
        last = f"_{last}"
    if last.endswith(SIDECAR_SUFFIX):
        last += "_"
    return last


def _toml_ok(value: Any) -> bool:
    """Whether a JSON value can be written as TOML (no null; integers fit in 64 bits)."""
    if value is None:
        return False
    if isinstance(value, dict):
        return all(isinstance(k, str) and _toml_ok(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_toml_ok(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**63
    return True


@dataclass
class _Pull:
    """One pull: builds the files to write, checks them against local edits, writes them."""

    client: Client
    short_name: str
    folder: Path
    tasks: bool
    force: bool
    env: str | None
    warnings: list[str]
    existing: dict[str, Any]
    downloaded: int = 0

    def run(self) -> PullReport:
        self._check_env()  # before spending any request
        remote = RemoteProject.fetch(self.client, self.short_name, tasks=self.tasks)
        if remote is None:
            raise ProjectNotFoundError(f"no project {self.short_name!r} on {self.client.endpoint}")
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self._ignore()
        files: dict[str, bytes] = {}
        downloads: dict[str, HelpingMaterialState] = {}
        doc = self._document(remote.project, files)
        doc["helping"] = self._helping(remote.helping_materials, downloads, ignore)
        n_tasks = self._tasks(remote.tasks, remote.task_key_fields, doc, files)
        doc = {k: v for k, v in self._apply_env_overlay(doc).items() if v}
        files[PROJECT_TOML] = _render(doc).encode("utf-8")
        stale = self._stale(files, downloads, ignore)
        changed = [r for r in files if self._differs(r, files[r])] + [
            r for r, hm in downloads.items() if self._differs_sha(r, hm.sha256)
        ]
        self._refuse_local_edits(changed + stale)
        written = self._write_all(files, downloads, changed)
        for rel in stale:
            (self.folder / rel).unlink()
        self._record(remote.project_id)
        every = sorted({*files, *downloads})
        return PullReport(
            self.folder, self.short_name, remote.project_id, tuple(sorted(written)),
            tuple(r for r in every if r not in written), tuple(sorted(stale)),
            tuple(self.warnings), n_tasks, len(remote.helping_materials), self.downloaded,
        )  # fmt: skip

    # -- project.toml and the info files ------------------------------------------------------

    def _ignore(self) -> IgnoreRules:
        try:
            return IgnoreRules.load(self.folder)
        except UnicodeDecodeError:
            return IgnoreRules()

    def _document(self, fields: ProjectFields, files: dict[str, bytes]) -> dict[str, Any]:
        project: dict[str, Any] = {
            "name": fields.name, "short_name": fields.short_name,
            "description": fields.description,
        }  # fmt: skip
        for name in ("category", "webhook", *PROJECT_DEFAULTS):
            value = getattr(fields, name)
            if value not in (None, "") and value != PROJECT_DEFAULTS.get(name):
                project[name] = value
        if fields.long_description:
            files[DEFAULT_FILES["long_description"]] = fields.long_description.encode("utf-8")
        info: dict[str, Any] = {}
        for key, value in fields.info.items():
            if key in FILE_KEYS and isinstance(value, str) and value:
                files[DEFAULT_FILES[FILE_KEYS[key]]] = value.encode("utf-8")
            elif key in SERVER_INFO_KEYS:
                continue
            elif _toml_ok(value):
                info[key] = value
            else:
                self.warnings.append(f"info.{key} holds null or huge numbers: not pulled (kept)")
        if info:
            project["info"] = info
        return {"project": project}

    def _apply_env_overlay(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Keep the existing [env] tables; overlaid keys keep their existing base value."""
        envs = self.existing.get("env")
        if isinstance(envs, dict):
            doc["env"] = envs
        if self.env is None or not isinstance(envs, dict) or self.env not in envs:
            return doc
        _keep_base(doc, self.existing, envs[self.env], (), self.warnings)
        return doc

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

    # -- helping materials ----------------------------------------------------------------------

    def _helping(
        self,
        materials: tuple[HelpingMaterialState, ...],
        downloads: dict[str, HelpingMaterialState],
        ignore: IgnoreRules,
    ) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        taken: set[str] = set()
        for hm in sorted(materials, key=lambda m: m.id or 0):
            info = {k: v for k, v in hm.info.items() if k not in HELPING_RESERVED_INFO}
            if not _toml_ok(info):
                self.warnings.append(f"helping {hm.name}: info holds null values: not pulled")
                continue
            settings: dict[str, Any] = {}
            if hm.priority:
                settings["priority"] = hm.priority
            if info:
                settings["info"] = info
            name = self._file_name(hm, taken, ignore)
            if name is not None:
                downloads[f"{DEFAULT_FILES['helping']}/{name}"] = hm
            elif hm.media_url:
                name = hm.name if hm.name not in taken else f"{hm.name}#{hm.id}"
                settings["media_url"] = hm.media_url
            else:
                self.warnings.append(f"helping {hm.name}: neither a file nor a media_url: skipped")
                continue
            taken.add(name)
            if settings:
                entries[name] = settings
        return entries

    def _file_name(
        self, hm: HelpingMaterialState, taken: set[str], ignore: IgnoreRules
    ) -> str | None:
        """Where a file-backed material goes under helping/ (None: write it as a link)."""
        if "file_name" not in hm.info or not hm.media_url:
            return None
        name = safe_name(hm.name)
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in HELPING_EXTENSIONS:
            self.warnings.append(
                f"helping {hm.name}: .{ext} files are not uploaded: kept as a link"
            )
            return None
        stem, dot, suffix = name.rpartition(".")
        counter = 1
        while name in taken:
            counter += 1
            name = f"{stem}-{counter}{dot}{suffix}"
        if ignore.matches(f"{DEFAULT_FILES['helping']}/{name}"):
            # the folder would not read it back; a link keeps the material visible instead
            self.warnings.append(f"helping/{name} is ignored (.pbsyncignore): kept as a link")
            return None
        if name != hm.name:
            self.warnings.append(f"helping {hm.name!r} written as helping/{name}")
        return name

    # -- tasks ----------------------------------------------------------------------------------

    def _tasks(
        self,
        tasks: tuple[TaskState, ...] | None,
        key_fields: tuple[str, ...],
        doc: dict[str, Any],
        files: dict[str, bytes],
    ) -> int | None:
        existing = self.existing.get("tasks")
        if tasks is None:
            if isinstance(existing, dict):
                doc["tasks"] = existing  # not pulled: the folder's task settings stay
            return None
        if not key_fields and isinstance(existing, dict) and isinstance(existing.get("key"), list):
            key_fields = tuple(existing["key"])
        kept = self._unique_tasks(tasks, key_fields)
        defaults = {
            n: _most_common([getattr(t, n) for t in kept], TASK_DEFAULTS[n]) for n in TASK_FIELDS
        }
        table: dict[str, Any] = {"files": [TASKS_FILE]}
        if key_fields:
            table["key"] = list(key_fields)
        table.update({n: v for n, v in defaults.items() if v != TASK_DEFAULTS[n]})
        doc["tasks"] = table
        files[TASKS_FILE] = write_jsonl(kept, defaults).encode("utf-8")
        return len(kept)

    def _unique_tasks(
        self, tasks: tuple[TaskState, ...], key_fields: tuple[str, ...]
    ) -> list[TaskState]:
        kept, seen = [], set()
        for task in sorted(tasks, key=lambda t: t.id or 0):
            clash = [k for k in TASK_FIELDS if k in task.info]
            key = content_key(task.info, key_fields)
            if clash:
                self.warnings.append(f"task {task.id}: info uses reserved key(s) {clash}: skipped")
            elif key in seen:
                self.warnings.append(f"task {task.id}: same identity as an earlier task: skipped")
            else:
                seen.add(key)
                kept.append(task)
        return kept

    # -- local edits ----------------------------------------------------------------------------

    def _stale(
        self, files: Mapping[str, bytes], downloads: Mapping[str, Any], ignore: IgnoreRules
    ) -> list[str]:
        """Existing files the folder would read but pull does not write: removed on pull."""
        managed = [
            DEFAULT_FILES[k] for k in ("presenter", "tutorial", "results", "long_description")
        ]
        candidates = [*managed, "longdesc.html"]
        helping = self.folder / DEFAULT_FILES["helping"]
        if helping.is_dir() and not helping.is_symlink():
            for path in sorted(helping.rglob("*")):
                rel = path.relative_to(self.folder).as_posix()
                if (path.is_file() or path.is_symlink()) and not ignore.matches(rel):
                    candidates.append(rel)
        out = []
        for rel in candidates:
            path = self.folder / rel
            if (path.is_file() or path.is_symlink()) and rel not in files and rel not in downloads:
                out.append(rel)
        return out

    def _differs(self, rel: str, data: bytes) -> bool:
        path = self.folder / rel
        return not path.is_file() or path.is_symlink() or path.read_bytes() != data

    def _differs_sha(self, rel: str, sha256: str | None) -> bool:
        path = self.folder / rel
        if not path.is_file() or path.is_symlink() or sha256 is None:
            return True
        return hashlib.sha256(path.read_bytes()).hexdigest() != sha256

    def _refuse_local_edits(self, touched: list[str]) -> None:
        existing = [
            r for r in touched if (self.folder / r).exists() or (self.folder / r).is_symlink()
        ]
        if self.force or not existing:
            return
        clean = _clean_files(self.folder, self.client.endpoint, self.short_name, self.env)
        edited = sorted(r for r in existing if r not in clean)
        if edited:
            listing = ", ".join(edited)
            raise PullError(
                f"pull would overwrite or remove local changes in: {listing} "
                "(push them first, or pull with force to discard them)"
            )

    # -- writing --------------------------------------------------------------------------------

    def _write_all(
        self,
        files: dict[str, bytes],
        downloads: dict[str, HelpingMaterialState],
        changed: list[str],
    ) -> list[str]:
        for rel in changed:
            _check_target(self.folder, rel)  # all paths first: a refusal writes nothing
        written = []
        for rel in changed:
            data = files.get(rel)
            if data is None:
                data = self._download(downloads[rel])
                self.downloaded += 1
                if data is None:
                    continue
            _write_inside(self.folder, rel, data)
            written.append(rel)
        return written

    def _download(self, hm: HelpingMaterialState) -> bytes | None:
        url = hm.media_url or ""
        ours = urlsplit(self.client.endpoint)
        theirs = urlsplit(url)
        if (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc):
            response = self.client.send("GET", url)
        else:
            # another host (a CDN, S3): never send it our API key
            with Client(f"{theirs.scheme}://{theirs.netloc}") as anonymous:
                response = anonymous.send("GET", url)
        if response.status_code != 200:
            self.warnings.append(f"helping {hm.name}: download failed ({response.status_code})")
            return None
        data = response.content
        if hm.sha256 and hashlib.sha256(data).hexdigest() != hm.sha256:
            self.warnings.append(f"helping {hm.name}: the file differs from its recorded sha256")
        return data

    def _record(self, project_id: int | None) -> None:
        """Record the pulled folder as synced, so the next push sees no drift."""
        try:
            local = LocalProject.load(self.folder, env=self.env)
        except ValidationError as exc:
            self.warnings += [f"the pulled folder does not load: {p}" for p in exc.problems]
            return
        record = snapshot_of(local.state, project_id=project_id)
        if not self.tasks:
            # tasks were not fetched: what was agreed about them is still the older record
            previous = load_snapshot(self.folder, self.client.endpoint, self.short_name)
            record = replace(record, tasks=previous.tasks if previous else {})
        save_snapshot(self.folder, self.client.endpoint, self.short_name, record)


# -- helpers ------------------------------------------------------------------------------------


def _most_common(values: list[Any], default: Any) -> Any:
    if not values:
        return default
    counts = Counter(values)
    best = max(counts.values())
    # ties go to PYBOSSA's default, then to the smallest value: stable across pulls
    tied = sorted(v for v, c in counts.items() if c == best)
    return default if default in tied else tied[0]


def _keep_base(
    doc: dict[str, Any], existing: Mapping[str, Any], overlay: Mapping[str, Any],
    path: tuple[str, ...], warnings: list[str],
) -> None:  # fmt: skip
    """For every key the env overlay sets, put back the existing base value (or drop the key)."""
    for key, value in overlay.items():
        here = doc.get(key)
        base = existing.get(key) if isinstance(existing, Mapping) else None
        if isinstance(value, Mapping) and isinstance(here, dict):
            _keep_base(
                here, base if isinstance(base, Mapping) else {}, value, (*path, key), warnings
            )
            continue
        if here is not None and here != value:
            dotted = ".".join((*path, key))
            warnings.append(f"{dotted}: the server has {here!r}, the env overlay sets {value!r}")
        if base is not None:
            doc[key] = base
        else:
            doc.pop(key, None)


def _clean_files(folder: Path, endpoint: str, short_name: str, env: str | None) -> set[str]:
    """Files holding exactly what the last sync recorded (safe to overwrite)."""
    record = load_snapshot(folder, endpoint, short_name)
    if record is None:
        return set()
    try:
        local = LocalProject.load(folder, env=env)
    except ValidationError:
        return set()
    now = snapshot_of(local.state)
    clean = set(local.files)
    names = local.config.files
    by_key = {"long_description": names["long_description"]}
    by_key.update({f"info.{k}": names[s] for k, s in FILE_KEYS.items()})
    for key in set(now.project) | set(record.project):
        if now.project.get(key) != record.project.get(key):
            clean -= {PROJECT_TOML, by_key.get(key, PROJECT_TOML)}
    for name in set(now.helping) | set(record.helping):
        if now.helping.get(name) != record.helping.get(name):
            rel = f"{names['helping']}/{name}"
            clean -= {PROJECT_TOML, rel, rel + SIDECAR_SUFFIX}
    if dict(now.tasks) != dict(record.tasks):
        clean -= set(local.config.task_files)
    return clean


def _check_target(folder: Path, rel: str) -> Path:
    """`folder/rel`, or PullError when writing there could leave the folder."""
    if Path(rel).is_absolute() or ".." in Path(rel).parts or "\x00" in rel:
        raise PullError(f"refusing to write outside {folder}: {rel!r}")
    probe = folder
    for part in Path(rel).parts[:-1]:
        probe = probe / part
        if probe.is_symlink():
            raise PullError(f"refusing to write through the symlink {probe}")
    if not (folder / rel).parent.resolve().is_relative_to(folder.resolve()):
        raise PullError(f"refusing to write outside {folder}: {rel!r}")
    return folder / rel


def _write_inside(folder: Path, rel: str, data: bytes) -> None:
    """Write `folder/rel` atomically, refusing any path that would leave the folder."""
    target = _check_target(folder, rel)
    target.parent.mkdir(parents=True, exist_ok=True)
    _check_target(folder, rel)  # again, now that the parents exist
    mode = 0o644
    if target.is_symlink():
        target.unlink()  # replace the link itself, never the file it points to
    elif target.exists():
        mode = target.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(prefix=".pbsync-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)  # mkstemp makes 0600 files; keep the usual mode (or the old one)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _render(doc: Mapping[str, Any]) -> str:
    """project.toml text: sections in a fixed order, small info tables inline."""
    out = tomlkit.document()
    out.add(tomlkit.comment("Written by pbsync pull; see docs/project-format.md"))
    for section in ("project", "files", "tasks", "helping", "env"):
        if section not in doc:
            continue
        if section == "helping":
            table = tomlkit.table(is_super_table=True)
            for name, settings in doc["helping"].items():
                table.add(name, _table(settings))
            out.add(section, table)
        else:
            out.add(section, _table(doc[section]))
    return tomlkit.dumps(out)


def _table(values: Mapping[str, Any]) -> Any:
    table = tomlkit.table()
    nested = []
    for key, value in values.items():
        if isinstance(value, Mapping) and (key == "info" or not _flat(value)):
            nested.append((key, value))
        else:
            table.add(key, _inline(value))
    for key, value in nested:
        table.add(key, _table(value) if not _flat(value) or len(value) > 3 else _inline(value))
    return table


def _flat(value: Mapping[str, Any]) -> bool:
    return not any(isinstance(v, Mapping | list) for v in value.values())


def _inline(value: Any) -> Any:
    if isinstance(value, Mapping):
        inline = tomlkit.inline_table()
        inline.update({k: _inline(v) for k, v in value.items()})
        return inline
    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(_inline(v) for v in value)
        return array
    return value


def _read_existing(folder: Path) -> dict[str, Any]:
    path = folder / PROJECT_TOML
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def pull(
    client: Client,
    short_name: str,
    folder: str | os.PathLike[str],
    *,
    tasks: bool = True,
    force: bool = False,
    env: str | None = None,
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

    Returns:
        What was written, left alone, removed, and warnings (data that could not be pulled).

    Raises:
        ProjectNotFoundError: no such project.
        PullError: local edits would be lost (nothing is written then), an unknown env, or an
            unsafe path.
        pbclient.errors.PybossaError: the server refused or could not be reached.
    """
    root = Path(folder).absolute()
    if root.exists() and not root.is_dir():
        raise PullError(f"{root} exists and is not a folder")
    job = _Pull(client, short_name, root, tasks, force, env, [], _read_existing(root))
    report = job.run()
    log.info("pulled %s into %s: %d files written", short_name, root, len(report.written))
    return report
