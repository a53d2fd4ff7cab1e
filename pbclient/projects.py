"""`client.projects`: the project manager, with lookup by short name and publishing."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlsplit

from pbclient.errors import ForbiddenError, RefusedError, error_from_response
from pbclient.managers import Manager, id_of
from pbclient.resources import Project

__all__ = ["ProjectManager"]

log = logging.getLogger(__name__)

_JSON = {"Content-Type": "application/json", "Accept": "application/json"}


class ProjectManager(Manager[Project]):
    """`client.projects`."""

    path, resource = "/api/project", Project

    def by_short_name(self, short_name: str) -> Project | None:
        """The project with this short name, or None; one GET.

        Another user's project is found too (owner scoping, see `pbclient.managers`): "no such
        project" must not be confused with "someone else's project".
        """
        found = self.find(short_name=short_name, limit=1)
        return found[0] if found else None

    def has_task_runs(self, project: Project | int) -> bool:
        """Whether volunteers have answered any of the project's tasks (one GET)."""
        return bool(self._client.taskruns.find(project_id=id_of(project), limit=1))

    def publish(self, project: Project, *, force: bool = False) -> None:
        """Publish a project through the web endpoint (the API refuses to).

        PYBOSSA deletes the project's task runs and results when it publishes, so this first
        checks (one GET) that there are none, unless `force`.

        Raises:
            RefusedError: the project has task runs and `force` is False.
            ResponseError: the server refused (e.g. no task presenter or no task).
        """
        if not force and self.has_task_runs(project):
            raise RefusedError(
                f"{project!r} has task runs, which publishing deletes; pass force=True to publish"
            )
        url = f"/project/{quote(str(project.short_name))}/publish"
        headers = {**_JSON, "X-CSRFToken": self._csrf_token(url)}
        response = self._client.send("POST", url, json={}, headers=headers)
        if not 200 <= response.status_code < 400:
            raise error_from_response(response)
        project.data["published"] = True
        log.info("published %r", project)

    def _csrf_token(self, url: str) -> str:
        """GET the publish page as JSON for its CSRF token.

        The `Authorization` header authenticates this web endpoint as it does the API (PYBOSSA
        reads the key from the header or the query before any view): the key never goes in the
        query, where it would be written to access logs and carried along by redirects.

        Raises:
            ResponseError: the page was refused or redirected (to sign in, or to another server,
                which is not followed).
            ForbiddenError: the answer holds no CSRF token.
        """
        response = self._client.send("GET", url, headers=_JSON)
        token = _token_of(response, url)
        if token is not None:
            return token
        if not 200 <= response.status_code < 300:
            raise error_from_response(response)
        raise ForbiddenError(
            f"GET {url}: no CSRF token in the answer (not allowed to publish?)",
            status=response.status_code,
            method="GET",
        )


def _token_of(response: Any, url: str) -> str | None:
    """The CSRF token of a publish page answer, or None (redirected to sign-in, refused...)."""
    if response.status_code != 200 or not urlsplit(response.url).path.endswith(url):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("csrf"), str):
        return None
    return str(body["csrf"])
