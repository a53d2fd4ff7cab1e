"""The local side: `LocalProject.load(folder)` reads and validates a folder into a `ProjectState`.

Everything is read and checked before anything talks to a server, and every problem found is
reported at once in one `ValidationError`. The folder format is described in
docs/project-format.md; the shapes produced here (what goes in `HelpingMaterialState.info`, path
conventions) are listed there too. The project.toml schema lives in manifest.py, helping materials
in helping.py, task files in taskfiles.py.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pbsync.errors import Problem, ValidationError
from pbsync.folder.helping import helping_dir_problem_of, read_helping
from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.manifest import (
    BUNDLE,
    FILE_INFO_KEYS,
    HELPING_EXTENSIONS,
    HELPING_RESERVED_INFO,
    PROJECT_TOML,
    REQUIRED_FIELDS,
    SIDECAR_SUFFIX,
    check_document,
    close_match,
    deep_merge,
    project_field_problems,
    resolve_files,
)
from pbsync.folder.pbs import PBS_PROJECT, bundle_script, read_pbs_manifest, unread_task_files
from pbsync.folder.reader import FolderReader
from pbsync.folder.storable import body_problem
from pbsync.folder.taskfiles import TaskRow, build_tasks, check_attribute
from pbsync.folder.taskreaders import FORMATS, TASK_EXTENSIONS, format_of, read_task_file
from pbsync.model import (
    TASK_DEFAULTS,
    HelpingMaterialState,
    ProjectFields,
    ProjectState,
    TaskState,
)

__all__ = [
    "HELPING_EXTENSIONS",
    "HELPING_RESERVED_INFO",
    "PROJECT_TOML",
    "SIDECAR_SUFFIX",
    "LocalConfig",
    "LocalProject",
]

log = logging.getLogger(__name__)

#: why a task file found by the default search was read: said in problems about it
_FOUND = " (found by the default search for task files)"

_OPTIONAL = ("category", "webhook", "allow_anonymous_contributors", "zip_download", "published")


@dataclass(frozen=True)
class LocalConfig:
    """The parsed `[files]` and `[tasks]` settings (after the environment overlay).

    `files` maps each [files] setting to the folder-relative path used (defaults filled in);
    `task_files` are the folder-relative task files actually read; `document` is the merged
    project.toml (after the environment overlay, without the `env` table).
    """

    files: Mapping[str, str]
    task_files: tuple[str, ...]
    task_key: tuple[str, ...]
    task_defaults: Mapping[str, Any]
    env: str | None
    document: Mapping[str, Any]
    #: task file -> its format, for the files whose `[tasks] files` entry names one
    task_formats: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class LocalProject:
    """A validated, immutable reading of a project folder.

    `files` maps every file read (folder-relative POSIX path) to its sha256. `notes` are
    one-line remarks for the user that are no problem (a pbs folder's task files that are not
    read); the CLI shows them, the library never prints.
    """

    folder: Path
    state: ProjectState
    files: Mapping[str, str]
    config: LocalConfig
    ignore: IgnoreRules
    notes: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, env: str | None = None) -> LocalProject:
        """Read and validate the folder at `path`, with the `[env.NAME]` overlay when `env` is set.

        Raises:
            ValidationError: the folder is invalid; `problems` lists everything found.
        """
        return _Loader(FolderReader(Path(path).absolute()), env).run()


@dataclass
class _Loader:
    """One load: reads the manifest, then the files it names; problems collect in `reader`."""

    reader: FolderReader
    env: str | None
    pbs: bool = False
    #: the task files whose `[tasks] files` entry names a format
    formats: dict[str, str] = field(default_factory=dict)
    #: `[files] bundle`, as given
    bundle: Any = None

    def run(self) -> LocalProject:
        folder = self.reader.folder
        if not folder.is_dir():
            what = "not a folder" if folder.exists() else "no such folder"
            raise ValidationError([Problem(str(folder), what)])
        doc = self._read_manifest()
        if doc is None:
            raise ValidationError(self.reader.problems)
        ignore = self.reader.read_ignore()
        files = self._resolve_files(doc.get("files", {}))
        project = self._project_fields(doc, files)
        if project is not None:
            self._check_body(project, files)
        helping = self._helping(doc, files, ignore)
        tasks_cfg = doc.get("tasks", {})
        key = _task_key(tasks_cfg)
        defaults = self._task_defaults(tasks_cfg)
        task_files = self._task_files(tasks_cfg, ignore)
        tasks = self._tasks(task_files, key, defaults)
        notes = unread_task_files(folder, task_files or [], ignore) if self.pbs else ()
        if self.reader.problems:
            raise ValidationError(self.reader.problems)
        assert project is not None  # no problems means the required fields were there
        state = ProjectState(project, helping, tasks if task_files is not None else None, key)
        config = LocalConfig(
            MappingProxyType(files), tuple(task_files or ()), key,
            MappingProxyType(defaults), self.env, doc, MappingProxyType(self.formats),
        )  # fmt: skip
        hashes = MappingProxyType(self.reader.hashes)
        return LocalProject(folder, state, hashes, config, ignore, tuple(notes))

    def _helping(
        self, doc: dict[str, Any], files: dict[str, str], ignore: IgnoreRules
    ) -> tuple[HelpingMaterialState, ...]:
        """The helping materials, once the helping folder is known to hold nothing else (pull
        removes the files there the server does not have)."""
        with_bundle = {**files, BUNDLE: self.bundle} if isinstance(self.bundle, str) else files
        problem = helping_dir_problem_of(with_bundle, doc)
        if problem is not None:
            self.reader.manifest_problem(problem, "files.helping")
            return ()
        return read_helping(self.reader, doc.get("helping", {}), files["helping"], ignore)

    # -- the manifest ----------------------------------------------------------------------------

    def _read_manifest(self) -> dict[str, Any] | None:
        """project.toml, checked and with the environment overlay applied; None when unreadable.

        A folder without project.toml but with pbs's project.json is read as a pbs folder.
        """
        toml = self.reader.check(PROJECT_TOML)
        pbs = self.reader.check(PBS_PROJECT) if toml is not None and not toml.exists() else None
        if toml is None or (pbs is None and not toml.exists()):
            return None  # a problem says why (a symlink leading out, a FIFO...)
        if not toml.exists() and pbs is not None and pbs.exists():
            self.pbs = True
            self.reader.manifest = PBS_PROJECT
            doc = read_pbs_manifest(self.reader)
            return None if doc is None else self._apply_env(doc)
        if not toml.exists():
            msg = (
                f"missing: a project folder needs a {PROJECT_TOML} (or pbs's {PBS_PROJECT}); "
                "`pbsync init` starts one"
            )
            self.reader.problem(PROJECT_TOML, msg)
            return None
        parsed = self.reader.read_toml(PROJECT_TOML, self.env)
        if parsed is None:
            return None
        doc, self.reader.lines = parsed
        self.reader.problems += check_document(doc, PROJECT_TOML, self.reader.lines)
        table = doc.get("files", {})
        self.reader.explicit_files = frozenset(table if isinstance(table, dict) else ())
        return self._apply_env(doc)

    def _apply_env(self, doc: dict[str, Any]) -> dict[str, Any]:
        envs = doc.pop("env", {})
        if self.env is None:
            return doc
        if not isinstance(envs, dict) or self.env not in envs:
            # the name comes from the command line, so there is no line to point at
            known = sorted(envs) if isinstance(envs, dict) else []
            close = close_match(self.env, known)
            hint = f"did you mean {close!r}? " if close else ""
            listing = f"known: {', '.join(known)}" if known else "no [env.NAME] table is defined"
            msg = f"unknown environment {self.env!r} ({hint}{listing})"
            self.reader.problem(self.reader.manifest, msg, None, "env")
            return doc
        overlay = envs[self.env]
        return deep_merge(doc, overlay) if isinstance(overlay, dict) else doc

    # -- project fields --------------------------------------------------------------------------

    def _resolve_files(self, table: Any) -> dict[str, str]:
        self.bundle = table.get(BUNDLE) if isinstance(table, dict) else None
        return resolve_files(table, lambda name: (self.reader.folder / name).exists())

    def _file_text(self, files: dict[str, str], name: str) -> str | None:
        """The text of the file a [files] setting names; None when absent (not managed)."""
        explicit = name in self.reader.explicit_files
        fld = f"files.{name}"
        path = self.reader.safe(files[name], fld, must_exist=explicit)
        if path is None or not path.is_file():
            return None  # unsafe (a problem says why) or absent (not managed)
        return self.reader.read_text(self.reader.relative(path))

    def _project_fields(self, doc: dict[str, Any], files: dict[str, str]) -> ProjectFields | None:
        table = doc.get("project")
        if table is None:
            msg = "the [project] table is missing (it needs name, short_name and description)"
            self.reader.problem(self.reader.manifest, msg, None, "project")
        elif isinstance(table, dict) and not self.pbs:  # pbs.py checks project.json itself
            self._check_required(table)  # a non-table is reported by the schema check
        table = table if isinstance(table, dict) else {}
        info = dict(table.get("info", {})) if isinstance(table.get("info"), dict) else {}
        bundle = self._bundle()  # read (and checked) even when there is no presenter
        for setting, key in FILE_INFO_KEYS.items():
            text = self._file_text(files, setting)
            if text is not None and key in info:
                msg = f"also given by the file {files[setting]}: keep one"
                self.reader.manifest_problem(msg, f"project.info.{key}")
            elif text is not None:
                info[key] = text + (bundle if key == "task_presenter" else "")
        longdesc = self._file_text(files, "long_description")
        if longdesc is not None and "long_description" in table:
            msg = f"also given by the file {files['long_description']}: keep one"
            self.reader.manifest_problem(msg, "project.long_description")
        if longdesc is None:
            longdesc = table.get("long_description")
        if any(not isinstance(table.get(k), str) for k in REQUIRED_FIELDS):
            return None
        optional: dict[str, Any] = {k: table.get(k) for k in _OPTIONAL}
        return ProjectFields(
            name=table["name"], short_name=table["short_name"], description=table["description"],
            long_description=longdesc, info=info, **optional,
        )  # fmt: skip

    def _check_body(self, project: ProjectFields, files: dict[str, str]) -> None:
        """The project's body, as a push creates it, must fit in what a server accepts."""
        body: dict[str, Any] = {
            "name": project.name, "short_name": project.short_name,
            "description": project.description, "info": dict(project.info),
            "long_description": project.long_description, "category_id": 2**31 - 1,
        }  # fmt: skip
        body.update({k: getattr(project, k) for k in _OPTIONAL if k != "category"})
        too_big = body_problem(body, "the project's body")
        if too_big is None:
            return
        fld, message = too_big
        from_files = {f"info.{key}": files[setting] for setting, key in FILE_INFO_KEYS.items()}
        from_files["long_description"] = files["long_description"]
        source = from_files.get(fld)
        if source is not None and source in self.reader.hashes:
            self.reader.problem(source, message)  # the file gave the largest part
        else:
            self.reader.manifest_problem(message, f"project.{fld}")

    def _bundle(self) -> str:
        """pbs appends bundle.min.js (or bundle.js) to a pbs folder's presenter; a project.toml
        names its script in `[files] bundle` (`pbsync convert` writes it)."""
        if self.pbs:
            return bundle_script(self.reader) or ""
        name = self.bundle
        if not isinstance(name, str):
            return ""  # absent, or a wrong type the schema check reports
        path = self.reader.safe(name, f"files.{BUNDLE}", must_exist=True)
        if path is None:
            return ""
        return bundle_script(self.reader, (self.reader.relative(path),)) or ""

    def _check_required(self, table: Mapping[str, Any]) -> None:
        for key, msg in project_field_problems(table, "required field is missing from [project]"):
            self.reader.manifest_problem(msg, f"project.{key}")

    # -- tasks -----------------------------------------------------------------------------------

    def _task_defaults(self, table: Any) -> dict[str, Any]:
        defaults = dict(TASK_DEFAULTS)
        for name in TASK_DEFAULTS:
            value = table.get(name) if isinstance(table, dict) else None
            if (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
            ):
                # other types (and nan, inf) are reported once, by the schema check
                value, error = check_attribute(name, value)
                if error:
                    self.reader.manifest_problem(error, f"tasks.{name}")
                else:
                    defaults[name] = value
        return defaults

    def _task_files(self, table: Any, ignore: IgnoreRules) -> list[str] | None:
        """Folder-relative task files to read; None when tasks are not managed at all.

        An entry is a name (its extension tells the format) or `{ path = ..., format = ... }`;
        the formats named are kept in `self.formats`.
        """
        table = table if isinstance(table, dict) else {}
        if "files" not in table:
            return self._found_task_files(ignore) or None
        entries = table["files"] if isinstance(table["files"], list) else []
        out = []
        for i, entry in enumerate(entries):
            name, fmt = entry, None
            if isinstance(entry, dict):
                name, fmt = entry.get("path"), entry.get("format")
                if fmt is not None and fmt not in FORMATS:
                    continue  # a bad format is reported by the schema check
            if not isinstance(name, str) or not name:
                continue  # reported by the schema check
            fld = "tasks.files" if isinstance(entry, str) else f"tasks.files[{i}].path"
            path = self.reader.safe(name, fld, must_exist=True)
            if path is None:
                continue
            if fmt is None and format_of(name) is None:
                msg = (
                    f"{name!r}: unsupported task file type (use {', '.join(TASK_EXTENSIONS)}, "
                    f'or name the format: {{ path = "{name}", format = "csv" }})'
                )
                self.reader.manifest_problem(msg, fld)
                continue
            relname = self.reader.relative(path)
            if fmt is not None:
                self.formats[relname] = fmt
            out.append(relname)
        return out

    def _found_task_files(self, ignore: IgnoreRules) -> list[str]:
        """Every tasks.EXT and tasks/*.EXT not ignored (when `[tasks] files` is not given).

        Each goes through the same path check as a named file: one that is a symlink leading out
        of the folder, a FIFO or a folder is a problem, not skipped (nor read).
        """
        folder = self.reader.folder
        found = [p.name for p in sorted(folder.glob("tasks.*"))]
        tasks_dir = folder / "tasks"
        if tasks_dir.is_symlink() or tasks_dir.is_dir():  # a plain file "tasks" is no task file
            checked = self.reader.check("tasks", None, note=_FOUND)
            if checked is not None and checked.is_dir() and not ignore.matches("tasks/"):
                found += [f"tasks/{p.name}" for p in sorted(checked.iterdir())]
        found = [f for f in found if Path(f).suffix.lower() in TASK_EXTENSIONS]
        found = [f for f in found if not ignore.matches(f)]
        return [f for f in found if self.reader.check(f, note=_FOUND) is not None]

    def _tasks(
        self, task_files: list[str] | None, key: tuple[str, ...], defaults: dict[str, Any]
    ) -> tuple[TaskState, ...]:
        rows: list[TaskRow] = []
        for relname in task_files or ():
            data = self.reader.read_bytes(relname)  # read once: what is hashed is what is parsed
            if data is None:
                continue
            path = self.reader.folder / relname
            found, problems = read_task_file(path, relname, data, self.formats.get(relname))
            rows += found
            self.reader.problems += problems
        tasks, problems = build_tasks(rows, key, defaults)
        self.reader.problems += problems
        return tasks


def _task_key(table: Any) -> tuple[str, ...]:
    key = table.get("key", ()) if isinstance(table, dict) else ()
    if isinstance(key, str):
        key = [key]
    if not isinstance(key, list) or not all(isinstance(k, str) and k for k in key):
        return ()  # the type problem is reported by check_document
    return tuple(key)
