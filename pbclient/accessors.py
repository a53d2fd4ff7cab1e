"""`Managers`: the manager properties of a `Client` (`client.projects`, `client.tasks` ...).

Each manager is built on first use, its module imported only then: the managers import the
client module, and a script that only sends raw requests does not pay for them.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from pbclient.client import Client
    from pbclient.managers import (
        CategoryManager,
        HelpingMaterialManager,
        ResultManager,
        TaskRunManager,
        UserManager,
    )
    from pbclient.projects import ProjectManager
    from pbclient.tasks import TaskManager

__all__ = ["Managers"]

log = logging.getLogger(__name__)


class Managers:
    """The managers of a client, one per resource type (mixed into `Client`)."""

    @cached_property
    def projects(self) -> ProjectManager:
        """Projects: `get`, `find`, `iter`, `create`, `update`, `delete`, `by_short_name` ..."""
        from pbclient.projects import ProjectManager

        return ProjectManager(self._client())

    @cached_property
    def categories(self) -> CategoryManager:
        """Categories (writes need an admin)."""
        from pbclient.managers import CategoryManager

        return CategoryManager(self._client())

    @cached_property
    def tasks(self) -> TaskManager:
        """Tasks, with `create_many`."""
        from pbclient.tasks import TaskManager

        return TaskManager(self._client())

    @cached_property
    def taskruns(self) -> TaskRunManager:
        """Task runs (volunteers' answers)."""
        from pbclient.managers import TaskRunManager

        return TaskRunManager(self._client())

    @cached_property
    def results(self) -> ResultManager:
        """Results of completed tasks."""
        from pbclient.managers import ResultManager

        return ResultManager(self._client())

    @cached_property
    def helping_materials(self) -> HelpingMaterialManager:
        """Helping materials (files or links shown beside the tasks)."""
        from pbclient.managers import HelpingMaterialManager

        return HelpingMaterialManager(self._client())

    @cached_property
    def users(self) -> UserManager:
        """Users (read only)."""
        from pbclient.managers import UserManager

        return UserManager(self._client())

    def _client(self) -> Client:
        return cast("Client", self)  # only `Client` mixes this in
