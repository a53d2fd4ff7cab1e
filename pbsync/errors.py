"""Errors raised by the pbsync library (the CLI maps them to exit codes).

    PbsyncError
    ├── ValidationError      the local folder is invalid (carries every Problem found)
    ├── ConfigError          endpoint / key / profile / environment cannot be resolved
    ├── ProjectNotFoundError the project does not exist on the server
    ├── ConflictError        the server and the folder both changed a field since the last push
    ├── UnsafeOperationError a destructive step needs --force (deleting answered tasks, publishing)
    ├── UnsafePathError      a path to read or write leaves the folder, or is not what was expected
    ├── PullError            pull refuses to overwrite local changes, or got unusable data
    └── ExportError          an export cannot start or continue (unknown kind, a file not its own)

Errors from the HTTP layer are `pbclient.errors.PybossaError` and propagate unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "ConflictError",
    "ExportError",
    "PbsyncError",
    "Problem",
    "ProjectNotFoundError",
    "PullError",
    "UnsafeOperationError",
    "UnsafePathError",
    "ValidationError",
]


class PbsyncError(Exception):
    """Base class of every pbsync error."""


@dataclass(frozen=True)
class Problem:
    """One problem in the local folder: where (file, line, field) and what."""

    file: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.field:
            where = f"{where}: {self.field}"
        return one_line(f"{where}: {self.message}")


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters escaped (`\\n`, `\\x1b`, ...).

    File names and values come from the folder: a name holding a newline must not split a
    problem over two lines of output.
    """
    if text.isprintable():
        return text
    # repr escapes exactly the characters that are not printable: \n, \x1b, \u2028, and \udcff
    # for a byte of a file name that is not UTF-8
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class ValidationError(PbsyncError):
    """The local project is invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid project"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


class ConfigError(PbsyncError):
    """The endpoint, API key, profile or environment cannot be resolved."""


class ProjectNotFoundError(PbsyncError):
    """The project does not exist on the server."""


class NotOwnerError(PbsyncError):
    """The project exists, but the server shows it as to a non-owner: the key cannot change it."""


class ConflictError(PbsyncError):
    """Both the server and the local folder changed the same fields since the last push."""

    def __init__(self, message: str, fields: list[str]) -> None:
        self.fields = list(fields)
        super().__init__(message)


class UnsafeOperationError(PbsyncError):
    """A destructive step (deleting answered tasks, publishing over task runs) needs `force`."""


class UnsafePathError(PbsyncError):
    """A path pbsync would read or write leaves the project folder, or is not what was expected.

    Attributes:
        path: the folder-relative path of the offending part (a symlinked folder on the way, or
            the file itself), "/"-separated.
        reason: what is wrong with it, one line ("a symlink leading out of the project folder").
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(one_line(f"{path}: {reason}"))


class PullError(PbsyncError):
    """Pull refuses to overwrite local changes, or the server sent something unusable."""


class ExportError(PbsyncError):
    """An export cannot start or continue: an unknown kind, or a file it must not append to."""
