"""Pull's helping materials: the `[helping]` entries and the files to download, and where.

A file-backed material goes to the helping folder (`[files] helping`) under a safe form of its
name, unless the folder keeps it elsewhere (`[helping."KEY"] file = "PATH"`, as `pbsync convert`
writes for a pbs `file_path`): then its file is downloaded to PATH and the entry stays. A material
with a link only keeps its `media_url`; one with neither a file nor a link is a material with
info only (`file = false`). Pure: no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.manifest import HELPING_EXTENSIONS, HELPING_RESERVED_INFO, PROJECT_TOML
from pbsync.model import HelpingMaterialState
from pbsync.pulling.write import safe_name, toml_ok

__all__ = ["Materials"]

log = logging.getLogger(__name__)


@dataclass
class Materials:
    """The helping materials of one pull.

    `existing` is the folder's `[helping]` table (anything else: none), `folder` the helping
    folder (folder-relative, "/"-separated); `entries` fills `downloads` (folder-relative path ->
    material) and `warnings` (what was left out or renamed).
    """

    existing: Any
    ignore: IgnoreRules
    folder: str
    downloads: dict[str, HelpingMaterialState] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def entries(self, materials: tuple[HelpingMaterialState, ...]) -> dict[str, Any]:
        """`[helping]` entries; file-backed materials also go to `downloads`.

        A material the folder keeps elsewhere (`file = "PATH"`) is downloaded to PATH and keeps
        its entry; one with neither a file nor a link has info only (`file = false`).
        """
        entries: dict[str, Any] = {}
        taken: set[str] = set()  # entry keys and file names, casefolded
        names: set[str] = set()
        elsewhere = self._files_elsewhere()
        for hm in sorted(materials, key=lambda m: m.id or 0):
            info = {k: v for k, v in hm.info.items() if k not in HELPING_RESERVED_INFO}
            if not toml_ok(info):
                self.warnings.append(f"helping {hm.name}: info holds null values: not pulled")
                continue
            if hm.name in names:
                # like a duplicate task: the folder holds one material per name
                self.warnings.append(
                    f"helping {hm.name} (id {hm.id}): same name as an earlier material: skipped"
                )
                continue
            names.add(hm.name)
            settings: dict[str, Any] = {}
            kept = elsewhere.get(hm.name)
            if kept is not None and (not _has_file(hm) or kept[0].casefold() in taken):
                kept = None
            file = self._file_name(hm, taken) if kept is None else None
            if kept is not None:
                name, path = kept
                settings["file"] = path
                self.downloads[_posix(path)] = hm
            elif file is not None:
                name = file
                self.downloads[f"{self.folder}/{name}"] = hm
            elif hm.media_url or "file_name" not in hm.info:
                name = hm.name if hm.name.casefold() not in taken else f"{hm.name}#{hm.id}"
                # no link either: a material with info only, as pbs makes them
                settings["media_url" if hm.media_url else "file"] = hm.media_url or False
            else:
                self.warnings.append(
                    f"helping {hm.name}: a file without a media_url to fetch it from: skipped"
                )
                continue
            if name != hm.name:
                settings = {"name": hm.name, **settings}  # the identity the key could not keep
            if hm.priority:
                settings["priority"] = hm.priority
            if info:
                settings["info"] = info
            taken.add(name.casefold())
            if settings:
                entries[name] = settings
        return entries

    def _files_elsewhere(self) -> dict[str, tuple[str, str]]:
        """material name -> (entry key, PATH) of the folder's `[helping."KEY"] file = "PATH"`."""
        found: dict[str, tuple[str, str]] = {}
        table = self.existing if isinstance(self.existing, Mapping) else {}
        for key, entry in table.items():
            if not isinstance(entry, Mapping):
                continue
            path, given = entry.get("file"), entry.get("name")
            if isinstance(path, str) and path and not self.ignore.matches(_posix(path)):
                found[given if isinstance(given, str) and given else key] = (key, path)
        return found

    def _file_name(self, hm: HelpingMaterialState, taken: set[str]) -> str | None:
        """Where a file-backed material goes in the helping folder (None: write it as a link)."""
        if not _has_file(hm):
            return None
        folder, name = self.folder, safe_name(hm.name)
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        stored = _stored_extension(hm)
        if ext not in HELPING_EXTENSIONS and stored in HELPING_EXTENSIONS:
            # a name without the file's extension (pbs's `info.name = "map"`): the file keeps
            # its stored extension and the entry keeps the name (`name = "map"`)
            name, ext = f"{name}.{stored}", stored
        if ext not in HELPING_EXTENSIONS:
            self.warnings.append(
                f"helping {hm.name}: .{ext} files are not uploaded: kept as a link"
            )
            return None
        stem, dot, suffix = name.rpartition(".")
        counter = 1
        # names differing only in case are one file on macOS and Windows
        while name.casefold() in taken:
            counter += 1
            name = f"{stem}-{counter}{dot}{suffix}"
        if self.ignore.matches(f"{folder}/{name}"):
            # the folder would not read it back; a link keeps the material visible instead
            self.warnings.append(f"{folder}/{name} is ignored (.pbsyncignore): kept as a link")
            return None
        if name != hm.name:
            self.warnings.append(
                f"helping {hm.name!r} written as {folder}/{name} (its name kept in {PROJECT_TOML})"
            )
        return name


def _has_file(hm: HelpingMaterialState) -> bool:
    """Whether the server keeps a file for the material (an upload, at its media_url)."""
    return "file_name" in hm.info and bool(hm.media_url)


def _posix(path: str) -> str:
    """A folder-relative path as pull's paths are written ("/"-separated, no "./")."""
    return PurePosixPath(path.replace("\\", "/")).as_posix()


def _stored_extension(hm: HelpingMaterialState) -> str:
    """The extension of the file the server stores for `hm` ("" when it tells none)."""
    for where in (str(hm.info.get("file_name") or ""), urlsplit(hm.media_url or "").path):
        last = where.rsplit("/", 1)[-1]
        if "." in last:
            return last.rsplit(".", 1)[-1].lower()
    return ""
