"""Managers: `client.projects`, `.categories`, `.tasks`, `.taskruns`, `.results`,
`.helping_materials`, `.users`.

Every manager reads (`get`, `find`, `iter`, `rows`); the writable ones also `create`, `update`,
`delete`. `update` sends only what changed (see `Resource.changes`), so re-saving an unchanged
object costs no request.

Owner scoping, the one rule for every list a manager sends: PYBOSSA filters an authenticated list
down to the rows of projects the caller owns, admins included, while an anonymous list is not
filtered that way (it only hides unpublished projects). So with an API key every list carries
`all=1`, unless the caller passes `all` itself (`all=0` asks for the owner-filtered view). Without
it an admin's `client.tasks.iter(project_id=...)` on another user's project would find no task
while `client.projects.by_short_name` finds the project, and a sync would create every task
again, or prune and publish blind to volunteers' answers.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlsplit

from pbclient.errors import InvalidDataError, ResponseError, error_from_response
from pbclient.pagination import MAX_PAGE_SIZE, iter_pages
from pbclient.reconcile import create_once, info_contains
from pbclient.resources import (
    Category,
    HelpingMaterial,
    Project,
    Resource,
    Result,
    TaskRun,
    User,
)
from pbclient.uploads import MultipartBody, check_extension

if TYPE_CHECKING:
    from pbclient.client import Client

__all__ = [
    "CategoryManager",
    "HelpingMaterialManager",
    "Manager",
    "ReadManager",
    "ResultManager",
    "TaskRunManager",
    "UserManager",
    "id_of",
]

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Resource)


def id_of(obj_or_id: Resource | int) -> int:
    """The id of a resource, or the id itself."""
    return int(obj_or_id.id if isinstance(obj_or_id, Resource) else obj_or_id)


def _query(filters: Mapping[str, Any]) -> dict[str, Any]:
    # verbatim, except: None means "no filter", and a resource stands for its id
    return {
        key: id_of(value) if isinstance(value, Resource) else value
        for key, value in filters.items()
        if value is not None
    }


def _is_reserved_keys_error(exc: InvalidDataError) -> bool:
    return exc.status == 400 and "reserved key" in (exc.exception_msg or "").lower()


class ReadManager(Generic[R]):
    """Reads of one resource type (`path` is e.g. `/api/task`)."""

    path: str
    resource: type[R]

    def __init__(self, client: Client) -> None:
        self._client = client

    def get(self, obj_or_id: Resource | int) -> R:
        """Fetch one object by id.

        Raises:
            NotFoundError: no such object.
        """
        return self._wrap(self._client.request("GET", f"{self.path}/{id_of(obj_or_id)}"))

    def find(self, **filters: Any) -> list[R]:
        """One list request with `filters` as the query (e.g. `project_id=3, limit=100`)."""
        return [self._wrap(row) for row in self._list(_query(filters))]

    def iter(self, **filters: Any) -> Iterator[R]:
        """Every matching object, lazily: keyset pages of `limit` (default 100), one in memory.

        `last_id` resumes after that id; `offset`, `orderby` and `desc` are refused.
        """
        for row in self.rows(**filters):
            yield self._wrap(row)

    def rows(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """As `iter`, but the rows as the server sent them (dicts, not resources).

        For bulk reads that change nothing: a resource keeps a copy of what it loaded, to tell
        what changed, which costs time and memory over a 100,000-task project.
        """
        query = _query(filters)
        limit = int(query.pop("limit", MAX_PAGE_SIZE))
        last_id = query.pop("last_id", None)
        for page in iter_pages(self._list, query, limit=limit, last_id=last_id):
            # emptied as it is consumed: the loop variable would otherwise keep this page alive
            # while the next one is fetched (two pages in memory instead of one)
            page.reverse()
            while page:
                row = page.pop()
                if not isinstance(row, dict):
                    kind = type(row).__name__
                    raise ResponseError(f"{self.path}: expected an object, got {kind}")
                yield row

    def _list(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        if "all" not in params and self._client.has_api_key:
            params = {**params, "all": 1}  # owner scoping: see the module docstring
        rows = self._client.request("GET", self.path, params=params)
        if not isinstance(rows, list):
            raise ResponseError(f"GET {self.path}: expected a list, got {type(rows).__name__}")
        return rows

    def _wrap(self, data: Any) -> R:
        if not isinstance(data, dict):
            raise ResponseError(f"{self.path}: expected an object, got {type(data).__name__}")
        obj: R = self.resource.from_server(data)
        return obj


class Manager(ReadManager[R]):
    """Reads and writes of one resource type."""

    def create(self, obj: R | Mapping[str, Any] | None = None, /, **fields: Any) -> R:
        """Create an object from `obj` (a resource or a dict) and/or keyword fields.

        Read-only keys (`id`, `created`, `link` ...) are dropped. Returns the created object.
        """
        data = dict(obj.data if isinstance(obj, Resource) else obj or {})
        data.update(fields)
        body = {k: v for k, v in _query(data).items() if k not in self.resource.read_only}
        return self._wrap(self._write("POST", self.path, body))

    def update(self, obj: R, /, **fields: Any) -> R:
        """Send what changed in `obj` (after setting `fields` on it); update `obj` in place.

        Nothing is sent when nothing changed. Any info change sends the whole merged info, as
        PUT replaces info: for an object loaded from the server that is its info as edited (drop
        a key with `del obj.info[key]`); for one built by hand the server's info is fetched
        first and the given keys merged into it, so keys set elsewhere survive.
        """
        for key, value in fields.items():
            setattr(obj, key, value)
        body = obj.changes()
        if not body:
            log.debug("%r unchanged: nothing sent", obj)
            return obj
        url = f"{self.path}/{id_of(obj)}"
        if "info" in body and not obj.loaded and isinstance(body["info"], Mapping):
            current = self._client.request("GET", url).get("info") or {}
            body["info"] = {**current, **body["info"]}
        obj._mark_loaded(self._write("PUT", url, body))
        return obj

    def delete(self, obj_or_id: Resource | int) -> None:
        """Delete an object (for a project: its tasks and helping materials too)."""
        self._client.request("DELETE", f"{self.path}/{id_of(obj_or_id)}")

    def _write(self, method: str, url: str, body: dict[str, Any]) -> Any:
        """POST/PUT `body`; on 400 "Reserved keys in payload", retry once with writable keys."""
        try:
            return self._client.request(method, url, json=body)
        except InvalidDataError as exc:
            allowed = self.resource.writable
            dropped = sorted(k for k in body if k not in allowed)
            if not _is_reserved_keys_error(exc) or not allowed or not dropped:
                raise
            log.warning(
                "%s %s: server reserves more keys; retrying without %s", method, url, dropped
            )
            return self._client.request(
                method, url, json={k: v for k, v in body.items() if k in allowed}
            )


class CategoryManager(Manager[Category]):
    """`client.categories` (writes need an admin)."""

    path, resource = "/api/category", Category


class TaskRunManager(Manager[TaskRun]):
    """`client.taskruns`. A run is accepted only for a task `newtask` handed to the caller."""

    path, resource = "/api/taskrun", TaskRun

    def create(
        self,
        obj: TaskRun | Mapping[str, Any] | None = None,
        /,
        *,
        file_path: str | os.PathLike[str] | None = None,
        allow_any_extension: bool = False,
        **fields: Any,
    ) -> TaskRun:
        """Post an answer; with `file_path`, file and fields go in one multipart request."""
        if file_path is None:
            return super().create(obj, **fields)
        data = {**(obj.data if isinstance(obj, Resource) else obj or {}), **fields}
        return self._wrap(
            _upload(self._client, "POST", self.path, data, file_path, allow_any_extension)
        )


class ResultManager(Manager[Result]):
    """`client.results` (the server creates results; `info` can be updated)."""

    path, resource = "/api/result", Result


class UserManager(ReadManager[User]):
    """`client.users` (read only through the API)."""

    path, resource = "/api/user", User


class HelpingMaterialManager(Manager[HelpingMaterial]):
    """`client.helping_materials`: files or links shown beside a project's tasks."""

    path, resource = "/api/helpingmaterial", HelpingMaterial

    def create(  # type: ignore[override]
        self,
        project_id: Project | int,
        info: Mapping[str, Any] | None = None,
        *,
        file_path: str | os.PathLike[str] | None = None,
        media_url: str | None = None,
        priority: float = 0.0,
        allow_any_extension: bool = False,
        after_id: int | None = None,
    ) -> HelpingMaterial:
        """Create a helping material, uploading `file_path` (one multipart request) if given.

        A multipart form carries no priority (PYBOSSA reads only `project_id` and `info` from
        it), so a file with a non-zero `priority` costs a second request that sets it.

        Args:
            project_id: the project (or its id).
            info: the material's info.
            file_path: a file to upload.
            media_url: a link, for a material without a file.
            priority: its priority.
            allow_any_extension: upload a file PYBOSSA would not store.
            after_id: the project's highest helping material id before this call, if known:
                then a POST whose answer was lost is looked for among the materials above it
                (one GET: the info sent, and the link, must match) before it is sent again.
                Without it such a failure is raised: nothing else could tell the material
                apart from an identical older one.

        Raises:
            InvalidDataError: the file's extension would not be stored (see `check_extension`).
            TransportError, ServerError: no answer (with `after_id`: after the retries and
                look-ups found nothing).
        """
        pid, sent = id_of(project_id), dict(info or {})
        data = {"project_id": pid, "info": sent, "priority": priority}

        def post() -> HelpingMaterial:
            if file_path is None:
                return super(HelpingMaterialManager, self).create(data, media_url=media_url)
            return self._wrap(
                _upload(self._client, "POST", self.path, data, file_path, allow_any_extension)
            )

        if after_id is None:
            created = post()
        else:
            wanted = None if file_path is not None else media_url

            def find() -> HelpingMaterial | None:
                return self._created_after(pid, after_id, sent, wanted)

            created = create_once(post, find, rounds=self._client.retry.retries + 1)
        if priority and created.data.get("priority") != priority:
            return super().update(created, priority=priority)
        return created

    def _created_after(
        self, project_id: int, after_id: int, info: Mapping[str, Any], media_url: str | None
    ) -> HelpingMaterial | None:
        """The newest material above `after_id` holding `info` (and `media_url`, for a link)."""
        found = None
        for row in self.rows(project_id=project_id, last_id=after_id):
            if info_contains(row.get("info"), info) and (
                media_url is None or row.get("media_url") == media_url
            ):
                found = row
        return self._wrap(found) if found is not None else None

    def update(
        self,
        obj: HelpingMaterial,
        /,
        *,
        file_path: str | os.PathLike[str] | None = None,
        allow_any_extension: bool = False,
        **fields: Any,
    ) -> HelpingMaterial:
        """Update changed fields; with `file_path`, replace the file (multipart PUT) too.

        The form carries `project_id` and `info`; other changed fields (`priority`) follow in a
        second request, sent only when they changed.
        """
        if file_path is None:
            return super().update(obj, **fields)
        for key, value in fields.items():
            setattr(obj, key, value)
        # a hand-built object counts every field as changed: then only the given fields follow
        changed = obj.changes() if obj.loaded else dict(fields)
        rest = {
            k: v
            for k, v in changed.items()
            if k not in _FORM_FIELDS and k in HelpingMaterial.writable
        }
        data = {k: v for k, v in obj.data.items() if k in HelpingMaterial.writable}
        url = f"{self.path}/{id_of(obj)}"
        obj._mark_loaded(_upload(self._client, "PUT", url, data, file_path, allow_any_extension))
        rest = {k: v for k, v in rest.items() if obj.data.get(k) != v}
        return super().update(obj, **rest) if rest else obj

    def download(self, media_url: str) -> bytes:
        """The bytes of a material's file at `media_url` (one GET).

        The API key goes only to the client's own server: a file on another host (a CDN, S3)
        is fetched anonymously, on a connection of its own.

        Raises:
            InvalidDataError: not an http(s) URL (a server's data must not make us read a local
                file).
            ResponseError: the answer was not 200 (`status` says which).
            TransportError: no answer.
        """
        parts = urlsplit(media_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidDataError(f"not an http(s) URL: {media_url!r:.200}")
        if self._client.is_own(media_url):
            response = self._client.send("GET", media_url)
        else:
            from pbclient.client import Client  # a module-level import would be circular

            with Client(f"{parts.scheme}://{parts.netloc}") as anonymous:
                response = anonymous.send("GET", media_url)
        if response.status_code != 200:
            raise error_from_response(response)
        return bytes(response.content)


_FORM_FIELDS = ("project_id", "task_id", "info")


def _upload(
    client: Client,
    method: str,
    url: str,
    data: Mapping[str, Any],
    file_path: str | os.PathLike[str],
    allow_any: bool,
) -> Any:
    """Send `data`'s form fields (info as a JSON string) and the file, streamed from disk.

    Only `project_id`, `task_id` and `info` go in the form: PYBOSSA reads form values as strings,
    and it sets `media_url` itself from the stored file.
    """
    check_extension(file_path, allow_any=allow_any)
    fields = {
        key: json.dumps(data[key]) if key == "info" else str(id_of(data[key]))
        for key in _FORM_FIELDS
        if data.get(key) is not None
    }
    with MultipartBody(fields, file_path) as body:
        return client.request(method, url, data=body, headers={"Content-Type": body.content_type})
