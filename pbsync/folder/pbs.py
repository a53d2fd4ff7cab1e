"""pbs project folders, accepted as they are: `project.json` instead of project.toml.

pbs (pybossa-pbs 3.0.0, the command-line tool PYBOSSA's project templates were made for) reads
`project.json` for the project's `name`, `short_name` and `description` (other keys, such as the
`question` of its examples, are ignored, as pbs ignores them), and `update_project` reads
`template.html` (the task presenter), `long_description.md`, `results.html` and `tutorial.html`;
it appends `bundle.min.js`, else `bundle.js`, to the presenter in a `<script>` element when the
folder has one. `read_pbs_manifest` turns such a folder into the document project.toml would hold,
so the rest of the loader reads it like any other folder; tasks are found as usual (`tasks.*`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.manifest import REQUIRED_FIELDS, project_field_problems
from pbsync.folder.reader import FolderReader
from pbsync.folder.storable import MAX_DEPTH, TOO_DEEP, deep_line, unstorable_reason

__all__ = [
    "PBS_BUNDLES",
    "PBS_FILES",
    "PBS_PROJECT",
    "bundle_script",
    "pbs_task_files",
    "read_pbs_manifest",
    "unread_task_files",
]

log = logging.getLogger(__name__)

PBS_PROJECT = "project.json"
#: pbs's file names, as `[files]` settings (none of them has to exist)
PBS_FILES = {
    "presenter": "template.html",
    "long_description": "long_description.md",
    "tutorial": "tutorial.html",
    "results": "results.html",
}
#: the scripts pbs appends to the presenter, the first one found
PBS_BUNDLES = ("bundle.min.js", "bundle.js")


def read_pbs_manifest(reader: FolderReader) -> dict[str, Any] | None:
    """The project.toml-shaped document of a pbs folder; None (and a problem) when unreadable.

    Problems name `project.json`, the line of the key and the key itself.
    """
    text = reader.read_text(PBS_PROJECT)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        reader.problem(PBS_PROJECT, f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno)
        return None
    except RecursionError:
        reader.problem(PBS_PROJECT, TOO_DEEP, deep_line(text, MAX_DEPTH))
        return None
    if not isinstance(data, dict):
        msg = f"must be a JSON object with name, short_name and description, got {_kind(data)}"
        reader.problem(PBS_PROJECT, msg, 1)
        return None
    project = {k: data[k] for k in REQUIRED_FIELDS if isinstance(data.get(k), str)}
    for key in REQUIRED_FIELDS:
        if key in data and key not in project:
            msg = f"must be a string, got {_kind(data[key])} {data[key]!r}"
            reader.problem(PBS_PROJECT, msg, _line(text, key), key)
        elif key in project and unstorable_reason(project[key]):
            reader.problem(
                PBS_PROJECT, unstorable_reason(project[key]) or "", _line(text, key), key
            )
    missing = "required key is missing (pbs's project.json needs name, short_name, description)"
    top = text.count("\n", 0, text.find("{")) + 1  # where the object opens
    for key, msg in project_field_problems(data, missing):
        reader.problem(PBS_PROJECT, msg, _line(text, key) or top, key)
    return {"project": project, "files": dict(PBS_FILES)}


def bundle_script(reader: FolderReader, names: tuple[str, ...] = PBS_BUNDLES) -> str | None:
    """What pbs appends to the presenter: the first of `names` found, in a `<script>` element."""
    for name in names:
        path = reader.safe(name, "pbs bundle", must_exist=False)
        if path is not None and path.is_file():
            js = reader.read_text(name)
            return None if js is None else f"<script>\n{js}\n</script>"
    return None


#: names pbs users gave task files (`flickr_tasks.csv`, `cities.csv`...): a name with "task" in
#: it, or pbs's own default `project.tasks`
_TASKY = re.compile(r"task", re.IGNORECASE)
#: the extensions `pbs add-tasks --tasks-type` knew (xltx and xltm are templates: not read)
_PBS_TYPES = (".csv", ".json", ".xlsx", ".xlsm", ".po", ".properties")


def pbs_task_files(folder: Path, ignore: IgnoreRules) -> list[str]:
    """Files at the top of a pbs folder that look like task files for `pbs add-tasks`.

    A file with a pbs task type's extension and "task" in its name (`flickr_tasks.csv`), or
    `project.tasks` (pbs's default `--tasks-file`); hidden and ignored files are left out.
    """
    found = []
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.startswith(".") or ignore.matches(name) or not path.is_file():
            continue
        if name == "project.tasks" or (
            path.suffix.lower() in _PBS_TYPES and _TASKY.search(path.stem)
        ):
            found.append(name)
    return found


def unread_task_files(folder: Path, read: Iterable[str], ignore: IgnoreRules) -> list[str]:
    """Notes about a pbs folder's task-looking files the load did not read (none: [])."""
    unread = [name for name in pbs_task_files(folder, ignore) if name not in set(read)]
    if not unread:
        return []
    several = len(unread) > 1
    what = (
        f"{', '.join(unread)} look like pbs task files"
        if several
        else (f"{unread[0]} looks like a pbs task file")
    )
    return [
        f"{what} but {'are' if several else 'is'} not read: `pbsync convert --tasks-file "
        f"{unread[0]}` writes a project.toml that reads it (with pbs's --tasks-type, "
        "--priority, --redundancy)"
    ]


def _line(text: str, key: str) -> int | None:
    """The line of `"key":` in the JSON text (its first occurrence), for messages."""
    match = re.search(rf'"{re.escape(key)}"\s*:', text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _kind(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
