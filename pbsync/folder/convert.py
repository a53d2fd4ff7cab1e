"""`pbsync convert`: the project.toml equivalent to a pbs folder and its `pbs` options.

pbs (pybossa-pbs 3.0.0) keeps a project in `project.json` and the pages beside it, and adds tasks
and helping materials with options given on each run: `pbs add-tasks --tasks-file F --tasks-type
T --priority P --redundancy N` and `pbs add-helpingmaterials --helping-materials-file F`.
`convert_pbs` writes those down once, as a project.toml: the pbs files stay where they are (pbs
keeps working), `[files]` names them, the task file goes to `[tasks] files` (with its format when
the name does not tell it) and the options become `[tasks]` defaults; the helping-materials rows
become `[helping."NAME"]` entries. Nothing here prints or writes: the CLI does.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import tomlkit

from pbsync.errors import Problem, ValidationError
from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.manifest import BUNDLE, HELPING_RESERVED_INFO, REQUIRED_FIELDS
from pbsync.folder.pbs import PBS_BUNDLES, PBS_FILES, PBS_PROJECT, pbs_task_files
from pbsync.folder.taskcsv import read_csv
from pbsync.folder.taskreaders import FORMATS, format_of

__all__ = ["PBS_REDUNDANCY", "Conversion", "convert_pbs"]

log = logging.getLogger(__name__)

#: `pbs add-tasks --redundancy`'s default: what every task pbs added got without the option
PBS_REDUNDANCY = 30


@dataclass(frozen=True)
class Conversion:
    """What `convert_pbs` made: the project.toml text and what it says, for the CLI."""

    text: str
    task_files: tuple[str, ...]
    helping: tuple[str, ...]
    #: task-looking files left out (no --tasks-file named them)
    unread: tuple[str, ...]


def convert_pbs(
    folder: str | os.PathLike[str],
    *,
    tasks_file: str | None = None,
    tasks_type: str | None = None,
    priority: float | None = None,
    redundancy: int | None = None,
    helping_file: str | None = None,
) -> Conversion:
    """The project.toml for the pbs folder `folder`, with pbs's options written down.

    Args:
        folder: a pbs folder (it has project.json).
        tasks_file: `--tasks-file`, folder-relative.
        tasks_type: `--tasks-type` (csv, json, xlsx, xlsm, po, properties; also tsv, jsonl).
        priority: `--priority`, a number in [0, 1] (pbs took integers only).
        redundancy: `--redundancy`; pbs's default (30) when a tasks file is given without it.
        helping_file: `--helping-materials-file` (JSON or CSV), folder-relative.

    Raises:
        ValidationError: the folder is no pbs folder, or an option or a row cannot be converted;
            every problem is listed.
    """
    root = Path(folder).absolute()
    problems: list[Problem] = []
    project = _project(root, problems)
    doc = tomlkit.document()
    doc.add(
        tomlkit.comment(f"Written by `pbsync convert` from {PBS_PROJECT} (pbs still reads it).")
    )
    doc["project"] = project
    files = {key: name for key, name in PBS_FILES.items() if (root / name).is_file()}
    bundle = next((name for name in PBS_BUNDLES if (root / name).is_file()), None)
    if bundle is not None:
        files[BUNDLE] = bundle
    if files:
        doc["files"] = files
    tasks = _tasks(root, tasks_file, tasks_type, priority, redundancy, problems)
    if tasks:
        doc["tasks"] = tasks
    helping = _helping(root, helping_file, problems) if helping_file else {}
    if helping:
        table = tomlkit.table(is_super_table=True)
        for name, entry in helping.items():
            table[name] = entry
        doc["helping"] = table
    if problems:
        raise ValidationError(problems)
    named = [tasks_file] if tasks_file else []
    unread = [] if named else pbs_task_files(root, IgnoreRules.load(root))
    task_names = tuple(e if isinstance(e, str) else e["path"] for e in tasks.get("files", []))
    return Conversion(tomlkit.dumps(doc), task_names, tuple(helping), tuple(unread))


def _project(root: Path, problems: list[Problem]) -> dict[str, Any]:
    """`[project]` from project.json (only what pbs read of it: name, short_name, description)."""
    path = root / PBS_PROJECT
    if not path.is_file():
        problems.append(Problem(PBS_PROJECT, "missing: not a pbs folder (pbs reads project.json)"))
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        problems.append(Problem(PBS_PROJECT, f"cannot be read: {exc}", line))
        return {}
    if not isinstance(data, dict):
        problems.append(Problem(PBS_PROJECT, "must be a JSON object", 1))
        return {}
    for key in REQUIRED_FIELDS:
        if not isinstance(data.get(key), str):
            problems.append(Problem(PBS_PROJECT, "must be a string", None, key))
    return {key: data[key] for key in REQUIRED_FIELDS if isinstance(data.get(key), str)}


def _tasks(
    root: Path,
    tasks_file: str | None,
    tasks_type: str | None,
    priority: float | None,
    redundancy: int | None,
    problems: list[Problem],
) -> dict[str, Any]:
    """`[tasks]`: the file (with its format when its name does not tell it) and the defaults."""
    table: dict[str, Any] = {}
    if tasks_file is not None:
        rel = _relative(root, tasks_file, "--tasks-file", problems)
        fmt = tasks_type.lower() if tasks_type else None
        if fmt is not None and fmt not in FORMATS:
            known = ", ".join(FORMATS)
            problems.append(Problem("--tasks-type", f"{tasks_type!r}: pbsync reads {known}"))
        elif rel is not None and fmt is None and format_of(rel) is None:
            msg = f"{rel!r}: the extension does not tell the format: give --tasks-type"
            problems.append(Problem("--tasks-file", msg))
        elif rel is not None:
            entry: Any = rel
            if fmt is not None and fmt != format_of(rel):
                entry = tomlkit.inline_table()
                entry.update({"path": rel, "format": fmt})
            table["files"] = [entry]
        table["n_answers"] = PBS_REDUNDANCY if redundancy is None else redundancy
    elif redundancy is not None:
        table["n_answers"] = redundancy
    if redundancy is not None and redundancy < 1:
        problems.append(Problem("--redundancy", f"must be a positive integer, got {redundancy}"))
    if priority is not None:
        if not 0.0 <= priority <= 1.0:
            problems.append(Problem("--priority", f"must be between 0 and 1, got {priority}"))
        table["priority_0"] = float(priority)
    return table


def _relative(root: Path, name: str, option: str, problems: list[Problem]) -> str | None:
    """`name` as a folder-relative POSIX path (an absolute one inside the folder too)."""
    rel, error = _inside(root, name)
    if error is not None:
        problems.append(Problem(option, error))
    return rel


def _inside(root: Path, name: str) -> tuple[str | None, str | None]:
    """(folder-relative POSIX path, None), or (None, why not) for a file outside or absent."""
    path = Path(name) if Path(name).is_absolute() else root / name
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None, f"{name!r} is outside {root}: copy it into the folder"
    if not (root / rel).is_file():
        return None, f"{name!r}: no such file in {root}"
    return rel, None


def _helping(root: Path, helping_file: str, problems: list[Problem]) -> dict[str, Any]:
    """`[helping."NAME"]` entries for the rows of pbs's helping-materials file.

    pbs sent each row's `info` (or the row itself when it has none) and uploaded the file its
    `file_path` names: such a row becomes a file-backed material named by `info.name`, else by
    the file's name; a row without `file_path` becomes a material with info only
    (`file = false`), named by `info.name`, else `<helping file's stem>-<row number>`.
    """
    rel = _relative(root, helping_file, "--helping-materials-file", problems)
    if rel is None:
        return {}
    rows = _helping_rows(root / rel, rel, problems)
    entries: dict[str, Any] = {}
    for number, (line, row) in enumerate(rows, 1):
        wrapped = row.get("info")
        info = dict(wrapped if isinstance(wrapped, dict) else row)
        file_path = info.pop("file_path", None)
        bad = [key for key in HELPING_RESERVED_INFO if key in info and key != "name"]
        if bad:
            msg = f"{', '.join(bad)}: the server or pbsync sets this info key, remove it"
            problems.append(Problem(rel, msg, line, bad[0]))
            continue
        name = info.pop("name", None)
        entry = tomlkit.table()
        if file_path:
            target, error = _inside(root, str(file_path))
            if target is None:
                inner = ".info" if isinstance(wrapped, dict) else ""
                where = "file_path" if line is not None else f"[{number - 1}]{inner}.file_path"
                problems.append(Problem(rel, error or "", line, where))
                continue
            key = PurePosixPath(target).name
            entry["file"] = target
        else:
            key = f"{PurePosixPath(rel).stem}-{number}"
            entry["file"] = False
        if isinstance(name, str) and name:
            if name != key:
                entry["name"] = name
        elif name is not None:
            problems.append(Problem(rel, "must be a non-empty string", line, "name"))
        if _has_null(info):
            msg = "info holds null, which project.toml cannot: leave the key out"
            problems.append(Problem(rel, msg, line, "info"))
            continue
        if info:
            entry["info"] = _inline(info)
        if key in entries:
            problems.append(Problem(rel, f"a second material named {key!r}", line))
            continue
        entries[key] = entry
    return entries


def _helping_rows(
    path: Path, rel: str, problems: list[Problem]
) -> list[tuple[int | None, dict[str, Any]]]:
    """(line, row) of a JSON list or a CSV file (an `info` cell holding JSON is parsed)."""
    text = path.read_text(encoding="utf-8-sig")
    if format_of(rel) == "csv":
        rows, found = read_csv(text, rel)
        problems.extend(found)
        return [(row.line, {**row.info, **row.attrs}) for row in rows]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(Problem(rel, f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno))
        return []
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        problems.append(Problem(rel, "a helping-materials file is a JSON list of objects", 1))
        return []
    return [(None, row) for row in data]


def _has_null(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_null(v) for v in value)
    return value is None


def _inline(value: Mapping[str, Any]) -> Any:
    """An inline TOML table (nested ones inline too), as project.toml writes info."""
    table = tomlkit.inline_table()
    for key, item in value.items():
        table[key] = _inline(item) if isinstance(item, Mapping) else item
    return table
