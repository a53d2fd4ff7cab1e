"""Errors raised by the pbsync library (the CLI maps them to exit codes).

    PbsyncError
    ├── ValidationError      the local folder is invalid (carries every Problem found)
    ├── ConfigError          endpoint / key / profile / environment cannot be resolved
    ├── ProjectNotFoundError the project does not exist on the server
    ├── ConflictError        the server and the folder both changed a field since the last push
    ├── UnsafeOperationError a destructive step needs --force (deleting answered tasks, publishing)
    └── PullError            pull refuses to overwrite local changes, or got unusable data

Errors from the HTTP layer are `pbclient.errors.PybossaError` and propagate unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "ConflictError",
    "PbsyncError",
    "Problem",
    "ProjectNotFoundError",
    "PullError",
    "UnsafeOperationError",
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
        return f"{where}: {self.message}"


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


class PullError(PbsyncError):
    """Pull refuses to overwrite local changes, or the server sent something unusable."""
