"""The name a helping file is uploaded under, and whether the server's copy is one pbsync made.

PYBOSSA keeps every upload of a user in one folder (`user_<id>`) under werkzeug's
`secure_filename` of the name sent: the same `helping/example.png` in two projects of one user, or
`a b.png` and `a_b.png` in one project, would share one stored file (the last upload wins), and a
name `secure_filename` reduces (`кот.png` -> `png`) is served nowhere. So pbsync never sends the
folder's file name: it sends `upload_name`, which is made of ASCII letters, digits and `-` only
(kept as is), carries the extension, and differs for every (project, material, content). The
material's identity stays `info.name`.

With such names the bytes served at a `media_url` are the bytes whose hash the name carries, so
`diff` can trust `info.sha256` without downloading anything when the served name is the one
pbsync would give (`stored_as`); a material stored under another name (an older pbsync's upload,
or another tool's) may have been overwritten, and is uploaded again.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

__all__ = ["stored_as", "upload_name"]

log = logging.getLogger(__name__)

PREFIX = "pbsync"


def upload_name(project_id: int, name: str, sha256: str, file_path: str | None = None) -> str:
    """`pbsync-<project id>-<name hash, 8 hex>-<file sha256, 16 hex>.<extension>`.

    The extension is the file's (`file_path`) when given, else the name's: a material named
    `map` (pbs's `info.name`) whose file is `map.png` must travel as a `.png`, which the server
    stores, not without extension, which it drops.

    The name's hash keeps two materials of one project with the same bytes apart (deleting one
    deletes its stored file, which the other must not share); the content's hash gives a
    changed file a new name, so a stale `info.sha256` can never describe another file's bytes.
    """
    base = PurePosixPath(file_path.replace("\\", "/")).name if file_path else name
    ext = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    who = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    stem = f"{PREFIX}-{int(project_id)}-{who}-{sha256[:16].lower()}"
    return f"{stem}.{ext}" if ext.isascii() and ext.isalnum() else stem


def stored_as(
    media_url: str | None, project_id: int, name: str, sha256: str, file_path: str | None = None
) -> bool:
    """Whether `media_url` serves the file `upload_name(project_id, name, sha256, file_path)`."""
    if not media_url:
        return False
    served = unquote(urlsplit(media_url).path.rsplit("/", 1)[-1])
    return served == upload_name(project_id, name, sha256, file_path)
