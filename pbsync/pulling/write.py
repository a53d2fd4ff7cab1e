"""Pull's file side: safe names from server data, project.toml rendering, and confined writes.

Nothing the server sends decides where a file goes: `safe_name` reduces a material's name to a
plain file name, and `write_inside` writes atomically only below the project folder, never through
a symlink. `render_toml` writes project.toml with sections in a fixed order.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit

from pbsync.errors import PullError, UnsafePathError
from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.manifest import PROJECT_TOML, SIDECAR_SUFFIX
from pbsync.folder.paths import checked_path
from pbsync.folder.taskreaders import TASK_EXTENSIONS

__all__ = [
    "check_target",
    "read_existing",
    "read_task_files",
    "read_toml_text",
    "render_toml",
    "safe_name",
    "toml_ok",
    "write_inside",
]

log = logging.getLogger(__name__)

_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


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


def toml_ok(value: Any) -> bool:
    """Whether a JSON value can be written as TOML (no null; integers fit in 64 bits)."""
    if value is None:
        return False
    if isinstance(value, dict):
        return all(isinstance(k, str) and toml_ok(v) for k, v in value.items())
    if isinstance(value, list):
        return all(toml_ok(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**63
    return True


def check_target(folder: Path, rel: str) -> Path:
    """`folder/rel`, or PullError when writing there could leave the folder.

    The rules are `pbsync.folder.paths.checked_path`'s for a write that replaces the file: no
    symlinked folder on the way; a symlink in the file's place is replaced, not followed.
    """
    try:
        return checked_path(folder, Path(rel).as_posix(), write=True, replace=True)
    except UnsafePathError as exc:
        raise PullError(f"refusing to write {rel!r} in {folder}: {exc}") from exc


def write_inside(folder: Path, rel: str, data: bytes) -> None:
    """Write `folder/rel` atomically, refusing any path that would leave the folder."""
    target = check_target(folder, rel)
    target.parent.mkdir(parents=True, exist_ok=True)
    check_target(folder, rel)  # again, now that the parents exist
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


def render_toml(doc: Mapping[str, Any]) -> str:
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


def read_existing(folder: Path) -> dict[str, Any]:
    """The existing project.toml as parsed ({} when absent or unreadable: pull rewrites it).

    Raises:
        PullError: project.toml is a symlink leading out of the folder, a FIFO... (its `[env]`
            tables would be copied from wherever it leads).
    """
    try:
        path = checked_path(folder, PROJECT_TOML)
    except UnsafePathError as exc:
        raise PullError(f"refusing to read {PROJECT_TOML} in {folder}: {exc}") from exc
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return {}


def read_toml_text(folder: Path) -> str | None:
    """The existing project.toml as written (None when absent or not UTF-8: pull rewrites it)."""
    path = folder / PROJECT_TOML  # read_existing checked the path first
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def read_task_files(
    folder: Path, existing: Mapping[str, Any], ignore: IgnoreRules
) -> dict[str, bytes]:
    """The folder's task files as the loader finds them (name -> bytes, in reading order).

    `[tasks] files` when given, else every tasks.EXT and tasks/*.EXT not ignored; absent files
    are left out (pull writes tasks.jsonl when there are none).

    Raises:
        PullError: a task file is a symlink leading out of the folder, a FIFO...
    """
    table = existing.get("tasks")
    named = table.get("files") if isinstance(table, dict) else None
    if isinstance(named, list):
        # an entry is a name or a { path = ..., format = ... } table
        paths = [n.get("path") if isinstance(n, dict) else n for n in named]
        names = [n for n in paths if isinstance(n, str)]
    else:
        names = [p.name for p in sorted(folder.glob("tasks.*"))]
        if (folder / "tasks").is_dir() and not (folder / "tasks").is_symlink():
            names += [f"tasks/{p.name}" for p in sorted((folder / "tasks").iterdir())]
        names = [n for n in names if Path(n).suffix.lower() in TASK_EXTENSIONS]
        names = [n for n in names if not ignore.matches(n)]
    out = {}
    for name in names:
        try:
            path = checked_path(folder, Path(name).as_posix())
        except UnsafePathError as exc:
            raise PullError(f"refusing to read {name!r} in {folder}: {exc}") from exc
        if path.is_file():
            out[Path(name).as_posix()] = path.read_bytes()
    return out
