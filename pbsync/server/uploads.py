"""Uploaded files: multipart bodies of helping materials and task runs, stored under one directory.

Like PYBOSSA's local uploader, files go to `<dir>/<container>/<name>` where the container is
`user_<id>` (or `anonymous`), only with the allowed extensions; a file with another extension
is answered as if stored but is not (its URL 404s). Names are sanitised so nothing is written
outside the directory whatever the client sends.
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

    def save(self, container: str, upload: FileStorage) -> tuple[str, bool]:
        """Store an uploaded file; return (file name, whether it was stored)."""
        name = secure_filename(upload.filename or "")
        if not name or name == "blob":
            name = f"{time.time()}.png"
        if not allowed_file(name):
            log.info("upload %s not stored: extension not allowed", name)
            return name, False
        target = self.path(container, name)
        if target is None:  # pragma: no cover - secure_filename leaves nothing to escape with
            return name, False
        with self._lock:
            target.parent.mkdir(parents=True, exist_ok=True)
            upload.save(str(target))
        return name, True

    def path(self, container: str, name: str) -> Path | None:
        """Return where a file lives, or None for a path that would leave the directory."""
        safe_container, safe_name = secure_filename(container), secure_filename(name)
        if not safe_container or not safe_name or (safe_container, safe_name) != (container, name):
            return None
        target = (self.root / safe_container / safe_name).resolve()
        if self.root.resolve() not in target.parents:
            return None
        return target

    def delete(self, container: str, name: str) -> None:
        """Delete one stored file, if it is there (PYBOSSA's uploader ignores a missing one)."""
        target = self.path(container, name)
        if target is not None:
            with self._lock:
                target.unlink(missing_ok=True)

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
        ApiError: 400 BadRequest for a body that is not multipart at all (no boundary, nothing
            parsed), 500 KeyError without `project_id` (as PYBOSSA), 415 for unparsable values.
    """
    form = request.form
    if not request.mimetype_params.get("boundary") or (
        not form and not request.files and (request.content_length or 0) > 0
    ):
        # werkzeug silently parses such a body as an empty form; PYBOSSA would then fail with a
        # 500 KeyError, but the request is malformed, not the server broken
        raise ApiError("BadRequest", "The multipart body has no boundary or no parts")
    if require_project and "project_id" not in form:
        raise ApiError("KeyError", "'project_id'")
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


def attach(store: UploadStore, container: str, data: dict[str, Any]) -> dict[str, Any]:
    """Store the request's file and point `data` at it (info container/file_name, media_url)."""
    name, _stored = store.save(container, uploaded_file())
    info = data.get("info")
    info = dict(info) if isinstance(info, dict) else {}
    info["container"] = container
    info["file_name"] = name
    # stored relative: present.view makes it absolute with the host the caller used, so a media URL
    # survives the server moving to another port (the embedded server takes a new one every run)
    return dict(data, info=info, media_url=f"/uploads/{container}/{name}")
