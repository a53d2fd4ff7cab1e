"""The local side: `LocalProject.load(folder)` reads and validates a folder into a `ProjectState`.

Everything is read and checked before anything talks to a server, and every problem found is
reported at once in one `ValidationError`. The folder format is described in
docs/project-format.md; the shapes produced here (what goes in `HelpingMaterialState.info`, path
conventions) are listed there too.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pbsync.errors import Problem, ValidationError
from pbsync.ignore import IgnoreRules
from pbsync.model import (
    TASK_DEFAULTS,
    HelpingMaterialState,
    ProjectFields,
    ProjectState,
    TaskState,
)
from pbsync.tasks import TASK_EXTENSIONS, TaskRow, build_tasks, decode_utf8, read_task_file

__all__ = [
    "HELPING_EXTENSIONS",
    "HELPING_RESERVED_INFO",
    "PROJECT_TOML",
    "SIDECAR_SUFFIX",
    "LocalConfig",
    "LocalProject",
]

log = logging.getLogger(__name__)

PROJECT_TOML = "project.toml"
SIDECAR_SUFFIX = ".info.toml"
#: what PYBOSSA stores by default; it answers 200 for anything else but drops the file
HELPING_EXTENSIONS = frozenset({"js", "css", "png", "jpg", "jpeg", "gif", "zip"})
#: helping info keys the server or the engine own (file_name/container: server; sha256/name: pbsync)
HELPING_RESERVED_INFO = ("container", "file_name", "name", "sha256")
#: info keys filled from files, with the [files] setting that names the file
FILE_INFO_KEYS = {"presenter": "task_presenter", "tutorial": "tutorial", "results": "results"}
DEFAULT_FILES = {
    "presenter": "presenter.html",
    "long_description": "longdesc.md",
    "tutorial": "tutorial.html",
    "results": "results.html",
    "helping": "helping",
}
_SHORT_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


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


@dataclass(frozen=True)
class LocalProject:
    """A validated, immutable snapshot of a project folder.

    `files` maps every file read (folder-relative POSIX path) to its sha256.
    """

    folder: Path
    state: ProjectState
    files: Mapping[str, str]
    config: LocalConfig
    ignore: IgnoreRules

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, env: str | None = None) -> LocalProject:
        """Read and validate the folder at `path`, with the `[env.NAME]` overlay when `env` is set.

        Raises:
            ValidationError: the folder is invalid; `problems` lists everything found.
        """
        return _Loader(Path(path), env).run()


@dataclass
class _Loader:
    """One load: collects problems while reading so they can be reported together."""

    folder: Path
    env: str | None
    problems: list[Problem] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)
    lines: TomlLines | None = None
    explicit_files: frozenset[str] = frozenset()

    def run(self) -> LocalProject:
        self.folder = self.folder.absolute()
        if not self.folder.is_dir():
            raise ValidationError([Problem(str(self.folder), "not a folder")])
        doc = self._read_toml()
        if doc is None:
            raise ValidationError(self.problems)
        ignore = self._read_ignore()
        table = doc.get("files", {})
        self.explicit_files = frozenset(table if isinstance(table, dict) else ())
        files = self._resolve_files(table)
        project = self._project_fields(doc.get("project", {}), files)
        helping = self._helping(doc.get("helping", {}), files["helping"], ignore)
        tasks_cfg = doc.get("tasks", {})
        key = self._task_key(tasks_cfg)
        defaults = self._task_defaults(tasks_cfg)
        task_files = self._task_files(tasks_cfg, ignore)
        tasks = self._tasks(task_files, key, defaults)
        if self.problems:
            raise ValidationError(self.problems)
        assert project is not None  # no problems means the required fields were there
        state = ProjectState(project, helping, tasks if task_files is not None else None, key)
        config = LocalConfig(
            MappingProxyType(files), tuple(task_files or ()), key,
            MappingProxyType(defaults), self.env, doc,
        )  # fmt: skip
        return LocalProject(self.folder, state, MappingProxyType(self.hashes), config, ignore)

    # -- reading ---------------------------------------------------------------------------------

    def _problem(
        self, file: str, message: str, line: int | None = None, fld: str | None = None
    ) -> None:
        self.problems.append(Problem(file, message, line, fld))

    def _read_text(self, relname: str) -> str | None:
        data = (self.folder / relname).read_bytes()
        self.hashes[relname] = hashlib.sha256(data).hexdigest()
        text, problem = decode_utf8(data, relname)
        if problem:
            self.problems.append(problem)
        return text

    def _safe(self, relname: str, file: str, fld: str | None, *, must_exist: bool) -> Path | None:
        """The path for a folder-relative name, or None (and a problem when unsafe or missing)."""
        line = self.lines.line(fld) if self.lines and fld else None
        posix = relname.replace("\\", "/")
        if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix) or os.path.isabs(relname):
            self._problem(file, f"{relname!r}: absolute paths are not allowed", line, fld)
            return None
        if ".." in posix.split("/"):
            self._problem(file, f"{relname!r}: '..' would leave the project folder", line, fld)
            return None
        path = self.folder / posix
        if path.is_symlink() or path.exists():
            if not path.resolve().is_relative_to(self.folder.resolve()):
                self._problem(file, f"{relname!r}: a symlink leading out of the folder", line, fld)
                return None
        elif must_exist:
            self._problem(file, f"{relname!r} does not exist", line, fld)
            return None
        return path

    def _read_toml(self) -> dict[str, Any] | None:
        path = self.folder / PROJECT_TOML
        if not path.is_file():
            self._problem(PROJECT_TOML, "missing: a project folder needs a project.toml")
            return None
        text = self._read_text(PROJECT_TOML)
        if text is None:
            return None
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self._problem(PROJECT_TOML, f"TOML syntax error: {exc}", error_line(exc))
            return None
        self.lines = TomlLines(text, self.env)
        self.problems += check_document(doc, PROJECT_TOML, self.lines)
        return self._apply_env(doc)

    def _apply_env(self, doc: dict[str, Any]) -> dict[str, Any]:
        envs = doc.pop("env", {})
        if self.env is None:
            return doc
        if not isinstance(envs, dict) or self.env not in envs:
            known = ", ".join(sorted(envs)) if isinstance(envs, dict) and envs else "none defined"
            msg = f"unknown environment {self.env!r} (known: {known})"
            self._problem(PROJECT_TOML, msg, None, "env")
            return doc
        overlay = envs[self.env]
        return deep_merge(doc, overlay) if isinstance(overlay, dict) else doc

    def _read_ignore(self) -> IgnoreRules:
        try:
            return IgnoreRules.load(self.folder)
        except UnicodeDecodeError:
            self._read_text(".pbsyncignore")  # records the problem with its byte offset
            return IgnoreRules()

    # -- project fields --------------------------------------------------------------------------

    def _resolve_files(self, table: Any) -> dict[str, str]:
        table = table if isinstance(table, dict) else {}
        resolved = {}
        for name, default in DEFAULT_FILES.items():
            value = table.get(name)
            resolved[name] = value if isinstance(value, str) else default
        if "long_description" not in table and not (self.folder / "longdesc.md").exists():
            resolved["long_description"] = "longdesc.html"
        return resolved

    def _file_text(self, files: dict[str, str], name: str) -> str | None:
        """The text of the file a [files] setting names; None when absent (not managed)."""
        explicit = name in self.explicit_files
        path = self._safe(files[name], PROJECT_TOML, f"files.{name}", must_exist=explicit)
        if path is None or not path.is_file():
            if path is not None and path.exists():
                self._problem(PROJECT_TOML, f"{files[name]!r} is not a file", None, f"files.{name}")
            return None
        return self._read_text(path.relative_to(self.folder).as_posix())

    def _project_fields(self, table: Any, files: dict[str, str]) -> ProjectFields | None:
        table = table if isinstance(table, dict) else {}
        for name in ("name", "short_name", "description"):
            if name not in table:
                self._problem(PROJECT_TOML, "required field is missing", None, f"project.{name}")
        short = table.get("short_name")
        if isinstance(short, str) and not _SHORT_NAME.match(short):
            msg = f"{short!r}: only letters, digits, '-' and '_' are allowed"
            self._problem(PROJECT_TOML, msg, self._line("project.short_name"), "project.short_name")
        desc = table.get("description")
        if isinstance(desc, str) and len(desc) > 255:
            msg = f"at most 255 characters (PYBOSSA refuses longer), got {len(desc)}"
            self._problem(
                PROJECT_TOML, msg, self._line("project.description"), "project.description"
            )
        info = dict(table.get("info", {})) if isinstance(table.get("info"), dict) else {}
        for setting, key in FILE_INFO_KEYS.items():
            text = self._file_text(files, setting)
            if text is not None and key in info:
                msg = f"info.{key} is also given by {files[setting]}: keep one"
                self._problem(
                    PROJECT_TOML, msg, self._line(f"project.info.{key}"), f"project.info.{key}"
                )
            elif text is not None:
                info[key] = text
        longdesc = self._file_text(files, "long_description")
        if longdesc is not None and "long_description" in table:
            msg = f"also given by {files['long_description']}: keep one"
            self._problem(PROJECT_TOML, msg, None, "project.long_description")
        if longdesc is None:
            longdesc = table.get("long_description")
        if any(not isinstance(table.get(k), str) for k in ("name", "short_name", "description")):
            return None
        optional = {k: table.get(k) for k in ("category", "webhook", "allow_anonymous_contributors",
                                               "zip_download", "published")}  # fmt: skip
        return ProjectFields(
            name=table["name"], short_name=table["short_name"], description=table["description"],
            long_description=longdesc, info=info, **optional,
        )  # fmt: skip

    def _line(self, dotted: str) -> int | None:
        return self.lines.line(dotted) if self.lines else None

    # -- helping materials -----------------------------------------------------------------------

    def _helping(
        self, table: Any, helping_dir: str, ignore: IgnoreRules
    ) -> tuple[HelpingMaterialState, ...]:
        entries = table if isinstance(table, dict) else {}
        explicit = "helping" in self.explicit_files
        root = self._safe(helping_dir, PROJECT_TOML, "files.helping", must_exist=explicit)
        found: dict[str, Path] = {}
        sidecars: dict[str, Path] = {}
        if root is not None and root.is_dir():
            for rel, path in self._walk(root, ignore):
                if rel.endswith(SIDECAR_SUFFIX):
                    sidecars[rel[: -len(SIDECAR_SUFFIX)]] = path
                else:
                    found[rel] = path
        prefix = root.relative_to(self.folder).as_posix() + "/" if root is not None else ""
        materials = []
        for name in sorted(set(found) | set(entries)):
            entry = entries.get(name)
            settings: dict[str, Any] = entry if isinstance(entry, dict) else {}
            sidecar = sidecars.get(name)
            if name in found and "/" in name:
                # the server keeps only the base name (file_name), so a nested file would lose
                # its identity and be uploaded again on every push
                base = name.rsplit("/", 1)[-1]
                msg = (
                    f"helping files must sit directly in {prefix} (the server keeps only {base!r})"
                )
                self._problem(f"{prefix}{name}", msg)
                continue
            if name in found:
                hm = self._file_material(name, prefix, found[name], settings, sidecar)
            else:
                hm = self._link_material(name, settings, prefix)
            if hm is not None:
                materials.append(hm)
        for name in sorted(set(sidecars) - set(found)):
            self._problem(
                f"{prefix}{name}{SIDECAR_SUFFIX}", f"sidecar without a file: no {prefix}{name}"
            )
        return tuple(materials)

    def _walk(self, root: Path, ignore: IgnoreRules) -> list[tuple[str, Path]]:
        out = []
        for dirpath, dirnames, filenames in os.walk(root):
            base = Path(dirpath)
            dirnames[:] = sorted(
                d for d in dirnames
                if not ignore.matches((base / d).relative_to(self.folder).as_posix(), is_dir=True)
            )  # fmt: skip
            for fname in sorted(filenames):
                path = base / fname
                relf = path.relative_to(self.folder).as_posix()
                if ignore.matches(relf):
                    continue
                if path.is_symlink() and not path.resolve().is_relative_to(self.folder.resolve()):
                    self._problem(relf, "a symlink leading out of the project folder")
                    continue
                out.append((path.relative_to(root).as_posix(), path))
        return out

    def _file_material(
        self, name: str, prefix: str, path: Path, settings: dict[str, Any], sidecar: Path | None
    ) -> HelpingMaterialState | None:
        source = f"{prefix}{name}"
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in HELPING_EXTENSIONS:
            allowed = " ".join(sorted(HELPING_EXTENSIONS))
            msg = (
                f"unsupported helping file type {ext or '(none)'!r}: PYBOSSA only stores {allowed}"
            )
            self._problem(source, msg)
            return None
        if "media_url" in settings:
            msg = f"media_url is for link-only materials, but {source} exists"
            where = f'helping."{name}"'
            self._problem(PROJECT_TOML, msg, self._line(where), where)
        if sidecar is not None:
            if settings:
                msg = f"settings given both here and in [helping.{name!r}] of project.toml"
                self._problem(f"{source}{SIDECAR_SUFFIX}", msg)
            settings = self._read_sidecar(f"{source}{SIDECAR_SUFFIX}")
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        self.hashes[source] = sha
        if sidecar is not None:
            info = self._helping_info(settings, f"{source}{SIDECAR_SUFFIX}", "info")
        else:
            info = self._helping_info(settings, PROJECT_TOML, f'helping."{name}".info')
        priority = _priority(settings)
        return HelpingMaterialState(name, info, priority, sha, None, str(path), None, source)

    def _link_material(
        self, name: str, settings: dict[str, Any], prefix: str
    ) -> HelpingMaterialState | None:
        where = f'helping."{name}"'
        url = settings.get("media_url")
        if not isinstance(url, str) or not url:
            msg = f"no file {prefix}{name} and no media_url: give one or the other"
            self._problem(PROJECT_TOML, msg, self._line(where), where)
            return None
        info = self._helping_info(settings, PROJECT_TOML, f"{where}.info")
        priority = _priority(settings)
        return HelpingMaterialState(
            name, info, priority, None, url, None, None, f"{PROJECT_TOML} [{where}]"
        )

    def _helping_info(self, settings: dict[str, Any], file: str, fld: str) -> dict[str, Any]:
        info = settings.get("info", {})
        info = dict(info) if isinstance(info, dict) else {}
        for key in HELPING_RESERVED_INFO:
            if key in info:
                msg = f"info.{key} is set by pbsync or the server, not by you"
                self._problem(
                    file, msg, self._line(f"{fld}.{key}") if file == PROJECT_TOML else None, fld
                )
        return info

    def _read_sidecar(self, relname: str) -> dict[str, Any]:
        text = self._read_text(relname)
        if text is None:
            return {}
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self._problem(relname, f"TOML syntax error: {exc}", error_line(exc))
            return {}
        found = check_sidecar(doc, relname, TomlLines(text, None))
        self.problems += found
        return {} if found else doc

    # -- tasks -----------------------------------------------------------------------------------

    def _task_key(self, table: Any) -> tuple[str, ...]:
        key = table.get("key", ()) if isinstance(table, dict) else ()
        if isinstance(key, str):
            key = [key]
        if not isinstance(key, list) or not all(isinstance(k, str) and k for k in key):
            return ()  # the type problem is reported by check_document
        return tuple(key)

    def _task_defaults(self, table: Any) -> dict[str, Any]:
        from pbsync.tasks import check_attribute

        defaults = dict(TASK_DEFAULTS)
        for name in TASK_DEFAULTS:
            if isinstance(table, dict) and name in table:
                value, error = check_attribute(name, table[name])
                if error:
                    self._problem(PROJECT_TOML, error, self._line(f"tasks.{name}"), f"tasks.{name}")
                else:
                    defaults[name] = value
        return defaults

    def _task_files(self, table: Any, ignore: IgnoreRules) -> list[str] | None:
        """Folder-relative task files to read; None when tasks are not managed at all."""
        table = table if isinstance(table, dict) else {}
        if "files" not in table:
            found = [p.name for p in sorted(self.folder.glob("tasks.*"))]
            if (self.folder / "tasks").is_dir():
                found += [f"tasks/{p.name}" for p in sorted((self.folder / "tasks").iterdir())]
            found = [f for f in found if Path(f).suffix.lower() in TASK_EXTENSIONS]
            found = [f for f in found if (self.folder / f).is_file() and not ignore.matches(f)]
            return found or None
        names = table["files"] if isinstance(table["files"], list) else []
        out = []
        for name in names:
            if not isinstance(name, str):
                continue
            path = self._safe(name, PROJECT_TOML, "tasks.files", must_exist=True)
            if path is None:
                continue
            if Path(name).suffix.lower() not in TASK_EXTENSIONS:
                msg = f"{name!r}: unsupported task file type (use {', '.join(TASK_EXTENSIONS)})"
                self._problem(PROJECT_TOML, msg, self._line("tasks.files"), "tasks.files")
                continue
            out.append(path.relative_to(self.folder).as_posix())
        return out

    def _tasks(
        self, task_files: list[str] | None, key: tuple[str, ...], defaults: dict[str, Any]
    ) -> tuple[TaskState, ...]:
        rows: list[TaskRow] = []
        for relname in task_files or ():
            path = self.folder / relname
            self.hashes[relname] = hashlib.sha256(path.read_bytes()).hexdigest()
            found, problems = read_task_file(path, relname)
            rows += found
            self.problems += problems
        tasks, problems = build_tasks(rows, key, defaults)
        self.problems += problems
        return tasks


def _priority(settings: Mapping[str, Any]) -> float:
    value = settings.get("priority", 0.0)
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else 0.0  # a wrong type is reported by the schema check


# -- project.toml schema -------------------------------------------------------------------------

_STR, _BOOL, _NUM, _INT, _TABLE = "a string", "true or false", "a number", "an integer", "a table"
_STRS, _KEY = "a list of strings", "a string or a list of strings"
_PROJECT_KEYS = {
    "name": _STR, "short_name": _STR, "description": _STR, "long_description": _STR,
    "category": _STR, "webhook": _STR, "allow_anonymous_contributors": _BOOL,
    "zip_download": _BOOL, "published": _BOOL, "info": _TABLE,
}  # fmt: skip
_FILES_KEYS = dict.fromkeys(DEFAULT_FILES, _STR)
_TASKS_KEYS = {
    "files": _STRS, "key": _KEY, "n_answers": _INT, "priority_0": _NUM, "quorum": _INT,
    "calibration": _INT,
}  # fmt: skip
_HELPING_KEYS = {"priority": _NUM, "info": _TABLE, "media_url": _STR}
_SIDECAR_KEYS = {"priority": _NUM, "info": _TABLE}
_SECTIONS: dict[str, dict[str, str]] = {
    "project": _PROJECT_KEYS, "files": _FILES_KEYS, "tasks": _TASKS_KEYS,
}  # fmt: skip
_HINTS = {"category": 'a category short_name such as "thinking"'}

_TOML_PART = r"(?:[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
_TOML_HEADER = re.compile(rf"^\s*\[\[?\s*({_TOML_PART}(?:\s*\.\s*{_TOML_PART})*)\s*\]\]?")
_TOML_KEY = re.compile(rf"^\s*({_TOML_PART}(?:\s*\.\s*{_TOML_PART})*)\s*=")


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = re.findall(_TOML_PART, dotted)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class TomlLines:
    """Line numbers of the tables and keys of a TOML text (tomllib keeps none), for messages."""

    def __init__(self, text: str, env: str | None) -> None:
        self.env = env
        self.index: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, raw in enumerate(text.splitlines(), 1):
            header = _TOML_HEADER.match(raw)
            if header:
                table = _split_key(header[1])
                self.index.setdefault(table, number)
                continue
            key = _TOML_KEY.match(raw)
            if key:
                self.index.setdefault(table + _split_key(key[1]), number)

    def line(self, dotted: str | tuple[str, ...] | None) -> int | None:
        """The line of `dotted` (or of its nearest enclosing table); the env overlay's first."""
        if dotted is None:
            return None
        path = _split_key(dotted) if isinstance(dotted, str) else dotted
        candidates = [("env", self.env, *path), path] if self.env else [path]
        for cand in candidates:
            for depth in range(len(cand), 0, -1):
                if cand[:depth] in self.index:
                    return self.index[cand[:depth]]
        return None


def error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    """The line number tomllib puts in its message ("... (at line 3, column 7)")."""
    match = re.search(r"at line (\d+)", str(exc))
    return int(match[1]) if match else None


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `overlay` merged in: tables merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in overlay.items():
        old = out.get(key)
        both = isinstance(old, Mapping) and isinstance(value, Mapping)
        out[key] = deep_merge(old, value) if both else value  # type: ignore[arg-type]
    return out


def _unknown(key: str, known: list[str], file: str, line: int | None, where: str) -> Problem:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"
    return Problem(file, f"unknown key {key!r}{hint}", line, where)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _NUM:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == _TABLE:
        return isinstance(value, dict)
    strs = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
    return strs or (kind == _KEY and isinstance(value, str) and bool(value))


def _json_problems(value: Any, file: str, lines: TomlLines, where: str) -> list[Problem]:
    """Info values must be JSON: TOML dates/times are not (quote them)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _json_problems(v, file, lines, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for v in value for p in _json_problems(v, file, lines, where)]
    if isinstance(value, str | int | float | bool):
        return []
    msg = f"{type(value).__name__} values are not JSON: quote it as a string"
    return [Problem(file, msg, lines.line(where), where)]


def _check_table(
    table: Mapping[str, Any], schema: Mapping[str, str], file: str, lines: TomlLines, prefix: str
) -> list[Problem]:
    problems = []
    for key, value in table.items():
        where = f"{prefix}{key}"
        line = lines.line(where)
        if key not in schema:
            problems.append(_unknown(key, list(schema), file, line, where))
        elif not _type_ok(schema[key], value):
            hint = _HINTS.get(key, schema[key])
            got = type(value).__name__
            problems.append(Problem(file, f"must be {hint}, got {got} {value!r}", line, where))
        elif schema[key] == _TABLE:
            problems += _json_problems(value, file, lines, where)
    return problems


def _check_top(doc: Mapping[str, Any], file: str, lines: TomlLines, prefix: str) -> list[Problem]:
    problems: list[Problem] = []
    known = [*_SECTIONS, "helping"] + ([] if prefix else ["env"])
    for key, value in doc.items():
        where = f"{prefix}{key}"
        if key not in known:
            problems.append(_unknown(key, known, file, lines.line(where), where))
        elif not isinstance(value, dict):
            problems.append(Problem(file, "must be a table", lines.line(where), where))
        elif key in _SECTIONS:
            problems += _check_table(value, _SECTIONS[key], file, lines, f"{where}.")
        elif key == "helping":
            for name, entry in value.items():
                sub = f'{where}."{name}"'
                if not isinstance(entry, dict):
                    problems.append(Problem(file, "must be a table", lines.line(sub), sub))
                else:
                    problems += _check_table(entry, _HELPING_KEYS, file, lines, f"{sub}.")
        else:
            for name, overlay in value.items():
                sub = f"{where}.{name}"
                if not isinstance(overlay, dict):
                    problems.append(Problem(file, "must be a table", lines.line(sub), sub))
                else:
                    problems += _check_top(overlay, file, lines, f"{sub}.")
    return problems


def check_document(doc: Mapping[str, Any], file: str, lines: TomlLines) -> list[Problem]:
    """Unknown keys (with a "did you mean" hint) and wrong types anywhere in project.toml."""
    return _check_top(doc, file, lines, "")


def check_sidecar(doc: Mapping[str, Any], file: str, lines: TomlLines) -> list[Problem]:
    """The same checks for a helping sidecar (`priority` and `[info]` only)."""
    return _check_table(doc, _SIDECAR_KEYS, file, lines, "")
