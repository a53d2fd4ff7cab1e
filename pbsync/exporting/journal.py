"""The JSON lines file of one export: appended page by page, continued by the next run.

While an export runs, and after one was stopped, its rows are in `NAME.jsonl.part`; a finished
export renames it to `NAME.jsonl`. So `NAME.jsonl` only ever holds a whole export, and the next run
(to resume, or to add the rows created since) renames it back and appends.

Where a re-run continues is read from the file's own tail (the last line's `id`), not from a
sidecar: a sidecar is a second file written at another moment, and a run killed between the two
writes leaves them disagreeing; the tail cannot disagree with the rows. Each page is appended with
one `write` and `fsync`ed before the next page is asked for. Linux may still cut a write short
when the process is killed (a fatal signal ends a write between memory pages), so the file can end
in a half line: the next run cuts that tail off before it appends. Rows are written as compact
JSON with sorted keys, so an interrupted and resumed export is byte-identical to an uninterrupted
one. Memory stays constant: one page at a time, and the tail is read backwards in blocks. The
open file is locked (`flock`), so a second export into the same folder is refused, not mixed in.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pbsync.errors import ExportError

__all__ = ["PART_SUFFIX", "Journal", "encode_row"]

log = logging.getLogger(__name__)

PART_SUFFIX = ".part"
#: bytes read at a time when scanning a file (backwards for its tail, forwards to count lines)
BLOCK = 1 << 16


def encode_row(row: Mapping[str, Any]) -> bytes:
    """One row as a JSON line: compact, keys sorted (the same bytes every time), UTF-8."""
    try:
        text = json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:
        # a lone surrogate (`"\ud800"` in the server's JSON) has no UTF-8: keep it escaped
        text = json.dumps(row, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
        return text.encode("ascii") + b"\n"


class Journal:
    """One kind's JSON lines file, open for appending.

    Attributes:
        path: the finished file (`NAME.jsonl`).
        part: the file while the export runs (`NAME.jsonl.part`).
        last_id: the id of the last row written (None: no row yet).
        rows: how many rows the file holds.
    """

    def __init__(self, path: Path, last_id: int | None, rows: int, fd: int) -> None:
        self.path = path
        self.part = path.with_name(path.name + PART_SUFFIX)
        self.last_id = last_id
        self.rows = rows
        self._fd: int | None = fd

    @classmethod
    def open(cls, path: Path, project_id: int) -> Journal:
        """Open `path` to append, continuing what an earlier export of `project_id` wrote.

        Raises:
            ExportError: both `path` and its `.part` exist, or the file's last row is not a row
                of `project_id` (another server's or another project's export), or not a row.
        """
        part = path.with_name(path.name + PART_SUFFIX)
        if part.exists() and path.exists():
            raise ExportError(
                f"both {path} and {part} exist: keep the one to continue and move the other away"
            )
        if path.exists():
            with contextlib.suppress(FileNotFoundError):  # another export renamed it first
                os.replace(path, part)  # back to "running": a kill now leaves only the part
        fd = os.open(part, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
        try:
            _lock(fd, part)
            last = _last_line(fd, part)
            last_id = _row_id(last, part, project_id) if last is not None else None
            rows = _count_lines(fd) if last is not None else 0
        except BaseException:
            os.close(fd)
            raise
        return cls(path, last_id, rows, fd)

    def append(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append one page of rows (in id order) and make it durable before returning."""
        lines = [encode_row(row) for row in rows]
        if not lines:
            return
        data = memoryview(b"".join(lines))
        fd = self._require_fd()
        while data:
            written = os.write(fd, data)
            data = data[written:]
        os.fsync(fd)
        self.rows += len(lines)
        last_id = json.loads(lines[-1])["id"]
        self.last_id = int(last_id)

    def finish(self) -> Path:
        """Give the file its finished name and close it; return that path."""
        self._require_fd()
        os.replace(self.part, self.path)  # renamed while still locked: no export slips in between
        self.close()
        _fsync_dir(self.path.parent)
        return self.path

    def close(self) -> None:
        """Close the file, leaving it as `.part` (a later run continues it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _require_fd(self) -> int:
        if self._fd is None:
            raise ValueError(f"{self.part} is closed")
        return self._fd


def _lock(fd: int, path: Path) -> None:
    """Hold an exclusive lock on the open file: two exports appending to one file would mix.

    `flock` is released by the kernel when the process ends, however it ends (SIGKILL included),
    so no stale lock is ever left behind. Where there is no `flock` (Windows), nothing is locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on the platforms the tests run on
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ExportError(f"another export is writing {path}") from None


def _last_line(fd: int, path: Path) -> bytes | None:
    """The file's last whole line (without its newline); a half line after it is cut off."""
    size = os.fstat(fd).st_size
    end = _rfind_newline(fd, size)
    if end + 1 != size:
        log.warning("%s: cutting off an unfinished last line (%d bytes)", path, size - end - 1)
        os.ftruncate(fd, end + 1)
        os.fsync(fd)
    if end < 0:
        return None
    start = _rfind_newline(fd, end) + 1
    return os.pread(fd, end - start, start)


def _rfind_newline(fd: int, before: int) -> int:
    """The offset of the last newline before offset `before`, or -1."""
    end = before
    while end > 0:
        start = max(0, end - BLOCK)
        found = os.pread(fd, end - start, start).rfind(b"\n")
        if found >= 0:
            return start + found
        end = start
    return -1


def _row_id(line: bytes, path: Path, project_id: int) -> int:
    """The id of an exported row; refuses a line that is not a row of this project."""
    try:
        row = json.loads(line)
    except ValueError:
        row = None
    row_id = row.get("id") if isinstance(row, dict) else None
    if not isinstance(row_id, int) or isinstance(row_id, bool):
        raise ExportError(f"{path}: the last line is not an exported row; move the file away")
    if row.get("project_id") != project_id:
        raise ExportError(
            f"{path} holds rows of project id {row.get('project_id')!r}, not {project_id} "
            "(another server's, or a project deleted and made again): move it away"
        )
    return row_id


def _count_lines(fd: int) -> int:
    return sum(block.count(b"\n") for block in _blocks(fd))


def _blocks(fd: int) -> Iterator[bytes]:
    offset = 0
    while block := os.pread(fd, BLOCK, offset):
        offset += len(block)
        yield block


def _fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (where the platform allows opening a directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
