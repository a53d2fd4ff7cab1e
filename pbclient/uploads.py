"""Multipart uploads streamed from disk (helping materials, task runs).

PYBOSSA takes the file and the JSON fields in one multipart request: form fields (`project_id`,
`info` as a JSON string, ...) and the file field `file`. `MultipartBody` produces that body with a
known length while reading the file in blocks, so a large file is never held in memory, and it
can rewind, so `Client.send` may retry it.

PYBOSSA stores only some extensions (`js css png jpg jpeg gif zip` by default); for any other it
still answers 200 with a `media_url` that 404s. It also stores a file under werkzeug's
`secure_filename` of its name but reports (`info.file_name`, `media_url`) the name as sent, so a
name `secure_filename` changes (`a b.png`, `кот.png`) is served nowhere. `check_upload_name`
refuses both before sending; a caller with such a file uploads it under another name.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from pbclient.errors import InvalidDataError

__all__ = ["STORED_EXTENSIONS", "MultipartBody", "check_extension", "check_upload_name"]

log = logging.getLogger(__name__)

#: extensions a default PYBOSSA stores (ALLOWED_EXTENSIONS)
STORED_EXTENSIONS = frozenset({"js", "css", "png", "jpg", "jpeg", "gif", "zip"})

_BLOCK = 64 * 1024
#: names werkzeug's secure_filename leaves as they are (it keeps these characters, strips . and _
#: at the ends, and turns everything else into _ or nothing)
_KEPT = re.compile(r"[A-Za-z0-9_.-]+")


def check_extension(path: str | os.PathLike[str], *, allow_any: bool = False) -> None:
    """Refuse a file the server would accept but not store.

    Raises:
        InvalidDataError: the extension is not in `STORED_EXTENSIONS` and `allow_any` is False.
    """
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in STORED_EXTENSIONS and not allow_any:
        raise InvalidDataError(
            f"{Path(path).name}: PYBOSSA does not store .{ext or '(none)'} uploads "
            f"(stored: {', '.join(sorted(STORED_EXTENSIONS))}); pass allow_any_extension=True "
            "if your server allows it"
        )


def check_upload_name(name: str, *, allow_any: bool = False) -> None:
    """Refuse an upload name under which PYBOSSA would not serve the file at its `media_url`.

    Raises:
        InvalidDataError: the extension is not stored (see `check_extension`), or
            `secure_filename` would change the name (PYBOSSA would store the file under the
            changed name and report the original one).
    """
    check_extension(name, allow_any=allow_any)
    if not _KEPT.fullmatch(name) or name != name.strip("._"):
        raise InvalidDataError(
            f"{name!r}: PYBOSSA would store this file under another name and serve nothing at "
            "its media_url; upload it under a name of ASCII letters, digits, '-', '_' and '.' "
            "(upload_name=...)"
        )


class MultipartBody:
    """A `multipart/form-data` body over text fields and one file, read lazily from disk.

    Use it as a context manager (it owns the open file), pass it as `data=` with the header
    `Content-Type: body.content_type`; `len()` gives requests the Content-Length. The file part
    carries `filename` (default: the file's own name).
    """

    def __init__(
        self,
        fields: Mapping[str, str],
        path: str | os.PathLike[str],
        file_field: str = "file",
        *,
        filename: str | None = None,
    ) -> None:
        boundary = uuid.uuid4().hex
        self.content_type = f"multipart/form-data; boundary={boundary}"
        name = Path(path).name if filename is None else filename
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        head = io.BytesIO()
        for key, value in fields.items():
            head.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'.encode()
            )
            head.write(value.encode("utf-8") + b"\r\n")
        head.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
            f'filename="{_quote(name)}"\r\nContent-Type: {mime}\r\n\r\n'.encode()
        )
        self._head = head.getvalue()
        self._tail = f"\r\n--{boundary}--\r\n".encode()
        self._file: IO[bytes] = open(path, "rb")  # noqa: SIM115 (closed by close())
        self._size = os.fstat(self._file.fileno()).st_size
        self._pos = 0

    def __len__(self) -> int:
        return len(self._head) + self._size + len(self._tail)

    def tell(self) -> int:
        """Bytes of the body read so far."""
        return self._pos

    def seek(self, pos: int, whence: int = 0) -> int:
        """Rewind (or move) to `pos`; only absolute positions are supported."""
        if whence != 0:
            raise io.UnsupportedOperation("only absolute seeks")
        self._pos = max(0, min(pos, len(self)))
        file_pos = min(max(0, self._pos - len(self._head)), self._size)
        self._file.seek(file_pos)
        return self._pos

    def read(self, size: int = -1) -> bytes:
        """Read up to `size` bytes (all when negative), crossing head, file and tail."""
        size = len(self) - self._pos if size is None or size < 0 else size
        out = bytearray()
        while len(out) < size and self._pos < len(self):
            out += self._read_some(size - len(out))
        return bytes(out)

    def _read_some(self, size: int) -> bytes:
        head, file_end = len(self._head), len(self._head) + self._size
        if self._pos < head:
            chunk = self._head[self._pos : self._pos + size]
        elif self._pos < file_end:
            chunk = self._file.read(min(size, file_end - self._pos))
            if not chunk:
                raise OSError("the file shrank while it was being uploaded")
        else:
            start = self._pos - file_end
            chunk = self._tail[start : start + size]
        self._pos += len(chunk)
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(_BLOCK):
            yield chunk

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> MultipartBody:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')
