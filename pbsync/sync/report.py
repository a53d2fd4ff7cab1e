"""What an apply reports: progress callbacks (`Reporter`) and the summary (`Report`).

`apply` (apply.py) calls a `Reporter` as it goes and returns a `Report`; the command line renders
both (cli/output.py). Kept apart so that a UI can subclass `Reporter` without importing the
machinery that sends requests.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pbclient.retry import RateLimitWait
from pbsync.sync.actions import Action, Duplicate, Plan

__all__ = ["Report", "Reporter"]

log = logging.getLogger(__name__)


class Reporter:
    """Receives progress from `apply`; subclass and override what you need (all no-ops here).

    Exceptions raised by a reporter stop the apply (that is how a UI cancels).
    """

    def start(self, plan: Plan) -> None:
        """The apply begins (nothing sent yet)."""

    def action_started(self, action: Action) -> None:
        """An action begins."""

    def action_done(self, action: Action) -> None:
        """An action finished."""

    def task_created(self, remaining: int) -> None:
        """One task was created; `remaining` tasks of the whole plan are still to be created."""

    def rate_limit_wait(self, wait: RateLimitWait) -> None:
        """The client is about to wait for a rate-limit window (wire `Client(on_wait=...)` here)."""

    def finish(self, report: Report) -> None:
        """The apply finished."""


@dataclass
class Report:
    """What an apply did: counts by kind ("project", "helping material", "task"), requests spent."""

    dry_run: bool = False
    project_id: int | None = None
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    published: bool = False
    cancelled: bool = False
    requests: int = 0
    writes: int = 0
    seconds: float = 0.0
    #: copies found by the check after creating (another push's, or a lost answer's)
    duplicates: list[Duplicate] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable summary."""
        return {
            "dry_run": self.dry_run,
            "project_id": self.project_id,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "deleted": dict(self.deleted),
            "published": self.published,
            "cancelled": self.cancelled,
            "requests": self.requests,
            "writes": self.writes,
            "seconds": round(self.seconds, 3),
            "duplicates": [d.to_json() for d in self.duplicates],
        }
