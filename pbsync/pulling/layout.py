"""Pull's layout: the folder that holds a server-side `ProjectState` (pure: no I/O).

`build_layout` turns the fetched state into the files pull writes: the project.toml document,
the presenter/longdesc/tutorial/results texts, the helping files to download (by folder-relative
path) and tasks.jsonl. What cannot be written (null info values, reserved keys, duplicate tasks)
is left out with a warning. An existing project.toml's `[env]` tables and `[tasks]` settings are
taken into account so a pull keeps what only the folder knows.

Into an existing folder, the folder's layout is kept: its project.toml is edited in place
(`pbsync.pulling.tomlmerge`: comments, order, explicit defaults, `[files]` and `[env]` stay) and
its task files are updated in their own format (`pbsync.pulling.taskedit`) instead of tasks.jsonl.
Helping materials go where the folder keeps them (`pbsync.pulling.materials`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.manifest import (
    BUNDLE,
    FILE_INFO_KEYS,
    PROJECT_TOML,
)
from pbsync.folder.taskfiles import write_jsonl
from pbsync.model import (
    TASK_DEFAULTS,
    TASK_FIELDS,
    HelpingMaterialState,
    ProjectFields,
    ProjectState,
    TaskState,
    content_key,
)
from pbsync.pulling.materials import Materials
from pbsync.pulling.pages import PAGES, Pages
from pbsync.pulling.taskedit import update_task_files
from pbsync.pulling.tomlmerge import merge_toml, same_value
from pbsync.pulling.write import render_toml, toml_ok

__all__ = ["SERVER_INFO_KEYS", "TASKS_FILE", "Layout", "build_layout"]

log = logging.getLogger(__name__)

TASKS_FILE = "tasks.jsonl"
#: project info keys the server maintains (avatar upload, project password): never pulled
SERVER_INFO_KEYS = frozenset(
    {"container", "thumbnail", "passwd_hash", "onesignal", "onesignal_app_id"}
)
#: info keys written to their own files (the [files] setting that names the file)
FILE_KEYS = {key: setting for setting, key in FILE_INFO_KEYS.items()}
#: PYBOSSA's defaults: a field equal to its default is not written (so it stays unmanaged)
PROJECT_DEFAULTS = {"allow_anonymous_contributors": True, "zip_download": True, "published": False}


@dataclass
class Layout:
    """The folder pull writes.

    `files` maps folder-relative paths to bytes (project.toml included), `downloads` maps paths to
    the helping material to fetch; `n_tasks` is the number of tasks written (None: not pulled);
    `warnings` say what was left out.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    downloads: dict[str, HelpingMaterialState] = field(default_factory=dict)
    n_tasks: int | None = None
    warnings: list[str] = field(default_factory=list)


def build_layout(
    state: ProjectState,
    existing: Mapping[str, Any],
    ignore: IgnoreRules,
    env: str | None,
    *,
    toml_text: str | None = None,
    task_files: Mapping[str, bytes] | None = None,
    pages: Pages | None = None,
    force: bool = False,
) -> Layout:
    """The files of a folder holding `state`.

    Args:
        state: the server's project (tasks None: not pulled, the folder's [tasks] stay).
        existing: the folder's current project.toml, parsed ({} when none).
        ignore: the folder's ignore rules (an ignored helping file is written as a link).
        env: the `[env.NAME]` overlay whose keys keep their base value in project.toml.
        toml_text: the folder's project.toml as written (None: none), edited in place.
        task_files: the folder's task files (name -> content, in reading order), updated in
            their own format; none: tasks.jsonl is written.
        pages: where the folder keeps its pages (None: `DEFAULT_FILES`, no bundle).
        force: a presenter that does not end with the bundle script is written whole (the
            bundle setting is then removed) instead of stopping the pull.

    Raises:
        PullError: a task file cannot hold the server's tasks in its format (which and why), or
            the server's presenter does not end with the folder's bundle script (not `force`).
    """
    builder = _Builder(existing, ignore, env, Layout(), dict(task_files or {}))
    builder.pages, builder.force = pages or Pages(), force
    builder.editing = editing = toml_text is not None
    doc = builder.document(state.project)
    files = builder.files_table()
    if files is not None:
        doc["files"] = files
    materials = Materials(existing.get("helping"), ignore, builder.pages.helping)
    doc["helping"] = materials.entries(state.helping_materials)
    builder.out.downloads.update(materials.downloads)
    builder.out.warnings += materials.warnings
    builder.tasks(state.tasks, state.task_key_fields, doc)
    # an emptied table of an existing project.toml is merged, not dropped: its folder-only
    # settings (`[tasks] files`) stay
    doc = {
        k: v for k, v in builder.apply_env_overlay(doc).items() if v or (editing and k in existing)
    }
    merged = merge_toml(toml_text, doc, builder.keep) if toml_text is not None else None
    text = merged if merged is not None else render_toml(doc)
    builder.out.files[PROJECT_TOML] = text.encode("utf-8")
    return builder.out


@dataclass
class _Builder:
    existing: Mapping[str, Any]
    ignore: IgnoreRules
    env: str | None
    out: Layout
    task_files: dict[str, bytes] = field(default_factory=dict)
    #: project.info keys the server has but pull leaves as the folder has them
    kept_info: set[str] = field(default_factory=set)
    #: an existing project.toml is edited (its unset optional [project] fields stay unset)
    editing: bool = False
    pages: Pages = field(default_factory=Pages)
    force: bool = False
    #: the pages written to their files (their `[files]` settings)
    written: set[str] = field(default_factory=set)
    #: `[files]` settings removed: a named page the server no longer has, a bundle let go
    dropped: set[str] = field(default_factory=set)

    def keep(self, path: tuple[str, ...], value: Any) -> bool:
        """Whether a key of the existing project.toml that pull did not write stays.

        Only what still says what the server has: folder-only settings (`[files]`, `[env]`,
        `[tasks] files` and `key`), explicit settings equal to PYBOSSA's defaults, and info keys
        pull does not manage. Anything else the server no longer has is removed.
        """
        table = _get(self.existing, path[:-1])
        name = path[-1]
        if path[:-1] == ("files",):
            return name not in self.dropped
        if path[0] not in ("project", "helping", "tasks") or path in (
            ("tasks", "files"), ("tasks", "key"),
        ):  # fmt: skip
            return True
        if path[:-1] == ("project",) and name in PROJECT_DEFAULTS:
            return same_value(value, PROJECT_DEFAULTS[name])
        if path[:-1] == ("project", "info"):
            return name in SERVER_INFO_KEYS or name in self.kept_info
        if path[:-1] == ("tasks",) and name in TASK_DEFAULTS:
            return same_value(value, TASK_DEFAULTS[name])
        if len(path) == 3 and path[0] == "helping" and isinstance(table, Mapping):
            return (name, value) in (("priority", 0), ("priority", 0.0), ("info", {}))
        return False

    def document(self, fields: ProjectFields) -> dict[str, Any]:
        """`[project]`; long_description and file-backed info keys go to `out.files`."""
        project: dict[str, Any] = {
            "name": fields.name, "short_name": fields.short_name,
            "description": fields.description,
        }  # fmt: skip
        for name in ("category", "webhook", *PROJECT_DEFAULTS):
            if self.editing and name not in _get(self.existing, ("project",)):
                continue  # unmanaged in this folder (a push never sends it): it stays so
            value = getattr(fields, name)
            if value not in (None, "") and value != PROJECT_DEFAULTS.get(name):
                project[name] = value
        had = _get(self.existing, ("project",))
        had_info = _get(self.existing, ("project", "info"))
        if fields.long_description and isinstance(had.get("long_description"), str):
            project["long_description"] = fields.long_description  # written inline: stays so
        elif fields.long_description:
            self._page("long_description", fields.long_description)
        info: dict[str, Any] = {}
        for key, value in fields.info.items():
            inline = isinstance(had_info.get(key), str)
            if key in FILE_KEYS and isinstance(value, str) and value and not inline:
                self._page(FILE_KEYS[key], value)
            elif key in SERVER_INFO_KEYS:
                continue
            elif toml_ok(value):
                info[key] = value
            else:
                self.kept_info.add(key)
                self.out.warnings.append(
                    f"info.{key} holds null or huge numbers: not pulled (kept)"
                )
        if info:
            project["info"] = info
        # a page the folder names but the server no longer has: its file goes, and so does the
        # setting (the loader requires a named file)
        self.dropped |= self.pages.explicit - self.written
        return {"project": project}

    def _page(self, setting: str, text: str) -> None:
        """Write a page to the file the folder reads it from (the presenter without the bundle)."""
        if setting == "presenter":
            text, warning = self.pages.split_presenter(text, force=self.force)
            if warning is not None:
                self.out.warnings.append(warning)
                self.dropped.add(BUNDLE)
        self.out.files[self.pages.names[setting]] = text.encode("utf-8")
        self.written.add(setting)

    def files_table(self) -> dict[str, Any] | None:
        """`[files]`: for a pbs folder's first project.toml, pbs's names of the pages written and
        its bundle; else the folder's own table without the settings dropped (None: as it is)."""
        if not self.pages.pbs:
            had = _get(self.existing, ("files",))
            added = {p: self.pages.names[p] for p in PAGES if p in self.pages.pbs_named}
            added = {p: name for p, name in added.items() if p in self.written}
            if not (self.dropped and had) and not added:
                return None
            return {**{k: v for k, v in had.items() if k not in self.dropped}, **added}
        table = {page: self.pages.names[page] for page in PAGES if page in self.written}
        if self.pages.bundle is not None and BUNDLE not in self.dropped:
            table[BUNDLE] = self.pages.bundle
        return table

    def apply_env_overlay(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Keep the existing [env] tables; overlaid keys keep their existing base value."""
        envs = self.existing.get("env")
        if isinstance(envs, dict):
            doc["env"] = envs
        if self.env is None or not isinstance(envs, dict) or self.env not in envs:
            return doc
        _keep_base(doc, self.existing, envs[self.env], (), self.out.warnings)
        return doc

    # -- tasks ----------------------------------------------------------------------------------

    def tasks(
        self, tasks: tuple[TaskState, ...] | None, key_fields: tuple[str, ...], doc: dict[str, Any]
    ) -> None:
        """`[tasks]` and tasks.jsonl; the most common value of an attribute is the default."""
        existing = self.existing.get("tasks")
        if tasks is None:
            if isinstance(existing, dict):
                doc["tasks"] = existing  # not pulled: the folder's task settings stay
            return
        if not key_fields and isinstance(existing, dict) and isinstance(existing.get("key"), list):
            key_fields = tuple(existing["key"])
        kept = self._unique_tasks(tasks, key_fields)
        had = existing if isinstance(existing, dict) else {}
        old = {n: had.get(n, TASK_DEFAULTS[n]) for n in TASK_FIELDS}
        # ties go to the folder's own setting: an existing folder keeps its defaults if it can
        defaults = {n: _most_common([getattr(t, n) for t in kept], old[n]) for n in TASK_FIELDS}
        table: dict[str, Any] = {} if self.task_files else {"files": [TASKS_FILE]}
        if key_fields:
            table["key"] = list(key_fields)
        table.update({n: v for n, v in defaults.items() if v != TASK_DEFAULTS[n] or n in had})
        doc["tasks"] = table
        if self.task_files:
            updated = update_task_files(self.task_files, kept, key_fields, old, defaults)
            self.out.files.update(updated)
        else:
            self.out.files[TASKS_FILE] = write_jsonl(kept, defaults).encode("utf-8")
        self.out.n_tasks = len(kept)

    def _unique_tasks(
        self, tasks: tuple[TaskState, ...], key_fields: tuple[str, ...]
    ) -> list[TaskState]:
        kept, seen = [], set()
        for task in sorted(tasks, key=lambda t: t.id or 0):
            clash = [k for k in TASK_FIELDS if k in task.info]
            key = content_key(task.info, key_fields)
            if clash:
                self.out.warnings.append(
                    f"task {task.id}: info uses reserved key(s) {clash}: skipped"
                )
            elif key in seen:
                self.out.warnings.append(
                    f"task {task.id}: same identity as an earlier task: skipped"
                )
            else:
                seen.add(key)
                kept.append(task)
        return kept


def _get(doc: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any]:
    """The table at `path` of a parsed document ({} when absent or not a table)."""
    for key in path:
        doc = doc.get(key) if isinstance(doc, Mapping) else None  # type: ignore[assignment]
    return doc if isinstance(doc, Mapping) else {}


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
