"""Uploaded files: multipart bodies of helping materials and task runs, stored under one directory.

As PYBOSSA 4.0.2 does (`api_base._file_upload`, `uploader/local.py`): a file goes to
`<dir>/<container>/<secure_filename(name)>` where the container is `user_<id>` of the caller (of
the project's owner when an admin uploads a helping material), or `anonymous`; it is stored only
when the name *as sent* has an allowed extension. The answer reports the name as sent, in
`info.file_name` and in `media_url`, so a name `secure_filename` changes (`a b.png` stored as
`a_b.png`, `кот.png` stored as `png`) gets a `media_url` that 404s, and two uploads of one user
under the same stored name overwrite each other. Deleting an object deletes `container/file_name`
when its info names both. Nothing is ever written outside the directory whatever the client sends.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import request
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from pbsync.server.errors import ApiError

log = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = frozenset({"js", "css", "png", "jpg", "jpeg", "gif", "zip"})
#: resources that accept multipart bodies (of those the local server implements)
UPLOAD_RESOURCES = frozenset({"helpingmaterial", "taskrun"})
MAX_UPLOAD_BYTES = 16 * 1024 * 1024


def allowed_file(name: str) -> bool:
    """True when PYBOSSA's default settings store a file with this name."""
    return "." in name and name.rsplit(".", 1)[1].lower() in ALLOWED_EXTENSIONS


class UploadStore:
    """The directory holding uploaded files.

    Args:
        root: the directory; None makes a temporary one, removed by `close()`.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self._temporary = root is None
        self.root = Path(tempfile.mkdtemp(prefix="pbsync-uploads-") if root is None else root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def save(self, container: str, upload: FileStorage, name: str) -> bool:
        """Store an uploaded file as PYBOSSA does; return whether it was stored.

        `name` is the name as sent: the extension is checked on it, the file is stored under
        `secure_filename(name)` (which may differ, or lose the extension).
        """
        if not allowed_file(name):
            log.info("upload %r not stored: extension not allowed", name)
            return False
        target = self.path(container, secure_filename(name))
        if target is None:
            log.info("upload %r not stored: nothing is left of its name", name)
            return False
        with self._lock:
            target.parent.mkdir(parents=True, exist_ok=True)
            upload.save(str(target))
        return True

    def delete(self, container: str, name: str) -> None:
        """Delete a stored file, as PYBOSSA's DELETE does (a name it never stored: nothing)."""
        target = self.path(container, name)
        if target is not None:
            with self._lock:
                target.unlink(missing_ok=True)

    def path(self, container: str, name: str) -> Path | None:
        """Return where a file lives, or None for a path that would leave the directory."""
        safe_container, safe_name = secure_filename(container), secure_filename(name)
        if not safe_container or not safe_name or (safe_container, safe_name) != (container, name):
            return None
        target = (self.root / safe_container / safe_name).resolve()
        if self.root.resolve() not in target.parents:
            return None
        return target

    def clear(self) -> None:
        """Delete every stored file."""
        with self._lock:
            for child in self.root.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)

    def close(self) -> None:
        """Remove the directory if it is temporary."""
        if self._temporary:
            shutil.rmtree(self.root, ignore_errors=True)


def form_body(*, require_project: bool) -> dict[str, Any]:
    """Return a multipart request's form fields as a body (`project_id` int, `info` decoded).

    Raises:
        ApiError: 500 KeyError without `project_id` on a create, malformed bodies included
            (werkzeug parses them as an empty form; PYBOSSA then fails so); 400 BadRequest for
            a malformed body on an update; 415 for unparsable values.
    """
    form = request.form
    if require_project and "project_id" not in form:
        raise ApiError("KeyError", "'project_id'")
    if not request.mimetype_params.get("boundary") or (
        not form and not request.files and (request.content_length or 0) > 0
    ):
        raise ApiError("BadRequest", "The multipart body has no boundary or no parts")
    data: dict[str, Any] = {}
    for key in form:
        value = form[key]
        if key in ("project_id", "task_id"):
            try:
                data[key] = int(value)
            except ValueError:
                raise ApiError(
                    "ValueError", f"invalid literal for int() with base 10: '{value}'"
                ) from None
        elif key == "info":
            try:
                data[key] = json.loads(value)
            except (ValueError, RecursionError) as exc:
                raise ApiError("ValueError", str(exc)) from None
        else:
            data[key] = value
    return data


def uploaded_file() -> FileStorage:
    """Return the multipart request's `file` field.

    Raises:
        ApiError: 415 AttributeError when there is none.
    """
    upload = request.files.get("file")
    if upload is None:
        raise ApiError("AttributeError", "'NoneType' object has no attribute 'filename'")
    return upload


def attach(
    store: UploadStore, container: str, data: dict[str, Any], *, taskrun: bool = False
) -> dict[str, Any]:
    """Store the request's file and point `data` at it (info container/file_name, media_url).

    Both name the file as sent, not as stored (PYBOSSA's `_file.filename`).
    """
    upload = uploaded_file()
    name = upload.filename or ""
    if taskrun and name in ("", "blob"):
        name = f"{time.time()}.png"  # what PYBOSSA's task run API names a canvas blob
    store.save(container, upload, name)
    info = data.get("info")
    info = dict(info) if isinstance(info, dict) else {}
    info["container"] = container
    info["file_name"] = name
    # stored relative: present.view makes it absolute with the host the caller used, so a media URL
    # survives the server moving to another port (the embedded server takes a new one every run)
    return dict(data, info=info, media_url=f"/uploads/{container}/{quote(name, safe='')}")


def detach(store: UploadStore, info: Any) -> None:
    """Delete the file an object's info names (`container` and `file_name`), if both are there."""
    if isinstance(info, dict):
        container, name = info.get("container"), info.get("file_name")
        if isinstance(container, str) and isinstance(name, str):
            store.delete(container, name)
