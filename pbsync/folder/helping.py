"""Helping materials of a project folder: the files in `helping/` and `[helping."NAME"]` entries.

Every file directly in the helping folder is one material named by its file name (or by the
`name` its settings give: pull writes one when the server's name cannot be a file name, such as
` lead.png` or `a:b.png`); its settings come from `[helping."FILE"]` in project.toml or from a
sidecar `FILE.info.toml`, never both. An entry without a file is a link-only material and needs a
`media_url`, or `file = false` (a material with info only, as pbs made from a helping-materials
row without `file_path`); `file = "PATH"` names a file elsewhere in the folder. The helping folder
(`[files] helping`) holds helping files only (`helping_dir_problem_of`): pull removes the files
there that the server does not have. See docs/project-format.md.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.manifest import (
    HELPING_EXTENSIONS,
    HELPING_RESERVED_INFO,
    PROJECT_TOML,
    SIDECAR_SUFFIX,
    check_sidecar,
)
from pbsync.folder.paths import helping_dir_problem
from pbsync.folder.reader import FolderReader
from pbsync.model import HelpingMaterialState

__all__ = ["helping_dir_problem_of", "read_helping"]

log = logging.getLogger(__name__)


def read_helping(
    reader: FolderReader, table: Any, helping_dir: str, ignore: IgnoreRules
) -> tuple[HelpingMaterialState, ...]:
    """The helping materials, sorted by name; problems go to `reader`.

    Args:
        reader: the load's reader (folder, problems, hashes).
        table: the `[helping]` table of project.toml (anything else counts as empty).
        helping_dir: the folder-relative helping folder (`[files] helping`).
        ignore: files these rules match are not materials.
    """
    explicit = "helping" in reader.explicit_files
    root = reader.safe(helping_dir, "files.helping", must_exist=explicit, kind="dir")
    listing = _Listing(reader, root, ignore)
    entries = table if isinstance(table, dict) else {}
    materials: dict[str, tuple[str, HelpingMaterialState]] = {}
    for name in sorted(set(listing.files) | set(entries)):
        entry = entries.get(name)
        hm = listing.material(name, entry if isinstance(entry, dict) else {})
        if hm is None:
            continue
        if hm.name in materials:
            _same_name(reader, entries, (name, hm), materials[hm.name])
            continue
        materials[hm.name] = (name, hm)
    listing.orphan_sidecars()
    return tuple(materials[n][1] for n in sorted(materials))


def helping_dir_problem_of(files: Mapping[str, str], doc: Mapping[str, Any]) -> str | None:
    """Why the folder's `[files] helping` cannot be its helping folder (None: it can).

    Args:
        files: the `[files]` settings resolved (every page, `helping`; `bundle` when given).
        doc: the manifest as read (after the env overlay): its `[tasks] files` are checked too,
            or, when not given, the default search's `tasks/` folder.
    """
    others = {f"files.{k}": v for k, v in files.items() if k != "helping" and isinstance(v, str)}
    tasks = doc.get("tasks")
    entries = tasks.get("files") if isinstance(tasks, Mapping) else None
    if isinstance(entries, list):
        for i, entry in enumerate(entries):
            path = entry.get("path") if isinstance(entry, Mapping) else entry
            if isinstance(path, str):
                others[f"tasks.files[{i}]"] = path
    else:
        others["the default search for task files"] = "tasks/*"
    return helping_dir_problem(files["helping"], others)


def _same_name(
    reader: FolderReader,
    entries: Mapping[str, Any],
    *both: tuple[str, HelpingMaterialState],
) -> None:
    """Report two materials named alike, on the `name` setting that made them so if any."""
    for (key, hm), (_, other) in (both, both[::-1]):
        entry = entries.get(key)
        if isinstance(entry, dict) and "name" in entry:
            msg = f"{hm.name!r} is already the name of {other.source}"
            reader.manifest_problem(msg, f'helping."{key}".name')
            return
    (_, hm), (_, other) = both
    reader.problem(hm.source or hm.name, f"{hm.name!r} is already the name of {other.source}")


@dataclass
class _Listing:
    """The files found in the helping folder, and how each becomes a material."""

    reader: FolderReader
    root: Path | None
    ignore: IgnoreRules

    def __post_init__(self) -> None:
        self.files: dict[str, Path] = {}
        self.sidecars: dict[str, Path] = {}
        self.prefix = self.reader.relative(self.root) + "/" if self.root is not None else ""
        if self.root is None or not self.root.is_dir():
            return
        for rel, path in self._walk(self.root):
            if rel.endswith(SIDECAR_SUFFIX):
                self.sidecars[rel[: -len(SIDECAR_SUFFIX)]] = path
            else:
                self.files[rel] = path

    def _walk(self, root: Path) -> list[tuple[str, Path]]:
        """(path relative to `root`, path) of every file not ignored, subfolders included."""
        out = []
        for dirpath, dirnames, filenames in os.walk(root):
            base = Path(dirpath)
            dirnames[:] = sorted(
                d for d in dirnames
                if not self.ignore.matches(self.reader.relative(base / d), is_dir=True)
            )  # fmt: skip
            # os.walk lists a symlinked folder among the folders and does not enter it: one
            # leading out is reported, like a file would be
            for dname in dirnames:
                if (base / dname).is_symlink():
                    self.reader.check(self.reader.relative(base / dname), "dir")
            for fname in sorted(filenames):
                path = base / fname
                relf = self.reader.relative(path)
                # a FIFO, a socket or a symlink leading out is a problem, never opened
                if not self.ignore.matches(relf) and self.reader.check(relf) is not None:
                    out.append((path.relative_to(root).as_posix(), path))
        return out

    def material(self, name: str, settings: dict[str, Any]) -> HelpingMaterialState | None:
        """The material `name` (a file found, or a project.toml entry), or None when invalid."""
        elsewhere = settings.get("file")
        if isinstance(elsewhere, str) and elsewhere:
            return self._named_file(name, elsewhere, settings)
        if name not in self.files:
            return self._link(name, settings)
        if elsewhere is False:
            msg = f"file = false, but {self.prefix}{name} exists: remove one"
            self.reader.manifest_problem(msg, f'helping."{name}".file')
            return None
        if "/" in name:
            # the server keeps only the base name (file_name), so a nested file would lose
            # its identity and be uploaded again on every push
            base = name.rsplit("/", 1)[-1]
            msg = (
                f"helping files must sit directly in {self.prefix} (the server keeps only {base!r})"
            )
            self.reader.problem(f"{self.prefix}{name}", msg)
            return None
        return self._file(name, settings)

    def orphan_sidecars(self) -> None:
        """Report sidecars whose file is missing."""
        for name in sorted(set(self.sidecars) - set(self.files)):
            file = f"{self.prefix}{name}{SIDECAR_SUFFIX}"
            self.reader.problem(file, f"sidecar without a file: no {self.prefix}{name}")

    def _named_file(
        self, name: str, relname: str, settings: dict[str, Any]
    ) -> HelpingMaterialState | None:
        """`[helping."NAME"] file = "PATH"`: a material whose file lies elsewhere in the folder
        (a pbs helping-materials file's `file_path`; `pbsync convert` writes it)."""
        where = f'helping."{name}"'
        if name in self.files:
            msg = f"{self.prefix}{name} exists too: remove it or the file setting"
            self.reader.manifest_problem(msg, f"{where}.file")
            return None
        path = self.reader.safe(relname, f"{where}.file", must_exist=True)
        if path is None:
            return None
        source = self.reader.relative(path)
        if self.ignore.matches(source) or self.reader.check(source) is None:
            msg = f"{relname!r} is ignored (.pbsyncignore): it cannot be a helping file"
            self.reader.manifest_problem(msg, f"{where}.file")
            return None
        return self._file(name, settings, source, path)

    def _file(
        self,
        name: str,
        settings: dict[str, Any],
        source: str | None = None,
        path: Path | None = None,
    ) -> HelpingMaterialState | None:
        """A file-backed material: a file of the helping folder, or `source` at `path`."""
        if source is None or path is None:
            source, path = f"{self.prefix}{name}", self.files[name]
        unsendable = _unsendable(name)
        if unsendable is not None:
            msg = (
                f"the file name holds {unsendable}, which a material's name must not hold (it "
                "is shown to volunteers and written back by pull): rename the file"
            )
            self.reader.problem(source, msg)
            return None
        ext = path.name.rsplit(".", 1)[-1].lower() if "." in path.name else ""
        if ext not in HELPING_EXTENSIONS:
            allowed = " ".join(sorted(HELPING_EXTENSIONS))
            msg = (
                f"unsupported helping file type {ext or '(none)'!r}: PYBOSSA only stores {allowed}"
            )
            self.reader.problem(source, msg)
            return None
        where = f'helping."{name}"'
        if "media_url" in settings:
            msg = f"media_url is for link-only materials, but {source} exists"
            self.reader.manifest_problem(msg, where)
        if name in self.sidecars and name in self.files:
            sidecar = f"{source}{SIDECAR_SUFFIX}"
            if settings:
                line = self.reader.line(where)
                at = f"{PROJECT_TOML}:{line}" if line else PROJECT_TOML
                msg = f"settings given both here and in [{where}] ({at}): keep one"
                self.reader.problem(sidecar, msg)
            settings = self._read_sidecar(sidecar)
            info = _info(self.reader, settings, sidecar, "info")
            identity = _identity(self.reader, settings, name, sidecar, "name")
        else:
            info = _info(self.reader, settings, PROJECT_TOML, f"{where}.info")
            identity = _identity(self.reader, settings, name, PROJECT_TOML, f"{where}.name")
        sha = self.reader.hash_file(source)
        if sha is None:
            return None  # unreadable: a problem says why
        return HelpingMaterialState(
            identity, info, _priority(settings), sha, None, str(path), None, source
        )

    def _link(self, name: str, settings: dict[str, Any]) -> HelpingMaterialState | None:
        where = f'helping."{name}"'
        url = settings.get("media_url")
        info_only = settings.get("file") is False and "media_url" not in settings
        if not info_only and (not isinstance(url, str) or not url):
            msg = (
                f"no file {self.prefix}{name} and no media_url: give one or the other (or "
                "file = false for a material with info only)"
            )
            self.reader.manifest_problem(msg, where)
            return None
        if settings.get("file") is False and "media_url" in settings:
            msg = "file = false is for a material with info only: remove it or the media_url"
            self.reader.manifest_problem(msg, f"{where}.file")
            return None
        info = _info(self.reader, settings, PROJECT_TOML, f"{where}.info")
        identity = _identity(self.reader, settings, name, PROJECT_TOML, f"{where}.name")
        source = f"{PROJECT_TOML} [{where}]"
        link = url if isinstance(url, str) and url else None
        return HelpingMaterialState(
            identity, info, _priority(settings), None, link, None, None, source
        )

    def _read_sidecar(self, relname: str) -> dict[str, Any]:
        parsed = self.reader.read_toml(relname)
        if parsed is None:
            return {}
        doc, lines = parsed
        found = check_sidecar(doc, relname, lines)
        self.reader.problems.extend(found)
        return {} if found else doc


def _unsendable(name: str) -> str | None:
    """What in a file name cannot be a material's name (None: nothing).

    The upload itself goes under a name pbsync makes (ASCII), but the file's name becomes the
    material's `info.name`: a byte that is not UTF-8 (a surrogate here) cannot be JSON, and control
    characters and line separators are invisible to volunteers, break one-line messages, and
    cannot be written back by pull on every system.
    """
    for char in name:
        if "\ud800" <= char <= "\udfff":
            return f"a byte that is not UTF-8 (0x{ord(char) - 0xDC00:02x})"
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            return f"a control character ({char!r})"
    return None


def _info(reader: FolderReader, settings: Mapping[str, Any], file: str, fld: str) -> dict[str, Any]:
    """The user's info of a material; reserved keys are problems."""
    info = settings.get("info", {})
    info = dict(info) if isinstance(info, dict) else {}
    for key in HELPING_RESERVED_INFO:
        if key in info:
            msg = "reserved: pbsync or the server sets this info key, remove it"
            line = reader.line(f"{fld}.{key}") if file == PROJECT_TOML else None
            reader.problem(file, msg, line, f"{fld}.{key}")
    return info


def _identity(
    reader: FolderReader, settings: Mapping[str, Any], name: str, file: str, fld: str
) -> str:
    """The material's name on the server: the settings' `name`, else the file (or entry) name."""
    given = settings.get("name")
    if given == "":
        line = reader.line(fld) if file == PROJECT_TOML else None
        reader.problem(file, "must not be empty (leave it out to use the file name)", line, fld)
    # a wrong type is reported by the schema check
    return given if isinstance(given, str) and given else name


def _priority(settings: Mapping[str, Any]) -> float:
    value = settings.get("priority", 0.0)
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else 0.0  # a wrong type is reported by the schema check
