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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urljoin, urlsplit

from pbclient.answers import check_object, check_rows
from pbclient.errors import InvalidDataError, error_from_response
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
from pbclient.uploads import MultipartBody, check_upload_name

if TYPE_CHECKING:
    import requests

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
        url = f"{self.path}/{id_of(obj_or_id)}"
        return self._wrap(self._client.request("GET", url), f"GET {url}")

    def find(self, **filters: Any) -> list[R]:
        """One list request with `filters` as the query (e.g. `project_id=3, limit=100`)."""
        return [self.resource.from_server(row) for row in self._list(_query(filters))]

    def iter(self, **filters: Any) -> Iterator[R]:
        """Every matching object, lazily: keyset pages of `limit` (default 100), one in memory.

        `last_id` resumes after that id; `offset`, `orderby` and `desc` are refused.
        """
        for row in self.rows(**filters):
            yield self.resource.from_server(row)

    def rows(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """As `iter`, but the rows as the server sent them (dicts, not resources).

        For bulk reads that change nothing: a resource keeps a copy of what it loaded, to tell
        what changed, which costs time and memory over a 100,000-task project.
        """
        for page in self.pages(**filters):
            # emptied as it is consumed: the loop variable would otherwise keep this page alive
            # while the next one is fetched (two pages in memory instead of one)
            page.reverse()
            while page:
                yield page.pop()

    def pages(self, **filters: Any) -> Iterator[list[dict[str, Any]]]:
        """As `rows`, a page (a list of rows) at a time (`pbclient.pagination.read_ahead`
        fetches the next page while the caller works on this one)."""
        query = _query(filters)
        limit = int(query.pop("limit", MAX_PAGE_SIZE))
        last_id = query.pop("last_id", None)
        return iter_pages(self._list, query, limit=limit, last_id=last_id, what=f"GET {self.path}")

    def _list(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One list request; its rows checked against the resource's shape."""
        if "all" not in params and self._client.has_api_key:
            params = {**params, "all": 1}  # owner scoping: see the module docstring
        rows = self._client.request("GET", self.path, params=params)
        resource = self.resource
        return check_rows(rows, f"GET {self.path}", resource.shape, resource.required)

    def _checked(self, data: Any, what: str) -> dict[str, Any]:
        """`data` (an answer for one object) if it has the resource's shape."""
        return check_object(data, what, self.resource.shape, self.resource.required)

    def _wrap(self, data: Any, what: str) -> R:
        obj: R = self.resource.from_server(self._checked(data, what))
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
        return self._wrap(self._write("POST", self.path, body), f"POST {self.path}")

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
            current = self._checked(self._client.request("GET", url), f"GET {url}")
            info = current.get("info")
            body["info"] = {**(info if isinstance(info, Mapping) else {}), **body["info"]}
        obj._mark_loaded(self._checked(self._write("PUT", url, body), f"PUT {url}"))
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
        upload = _Upload(file_path, None, allow_any_extension)
        return self._wrap(upload.send(self._client, "POST", self.path, data), f"POST {self.path}")


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
        upload_name: str | None = None,
        after_id: int | None = None,
    ) -> HelpingMaterial:
        """Create a helping material, uploading `file_path` (one multipart request) if given.

        A multipart form carries no priority (PYBOSSA reads only `project_id` and `info` from
        it), so a file with a non-zero `priority` costs a second request that sets it.
        PYBOSSA stores the file under `upload_name` (default: the file's own name) in one
        folder per user: two uploads of one user under the same name share one file.

        Args:
            project_id: the project (or its id).
            info: the material's info.
            file_path: a file to upload.
            media_url: a link, for a material without a file.
            priority: its priority.
            allow_any_extension: upload a file PYBOSSA would not store.
            upload_name: the name the file is uploaded (and stored) under.
            after_id: the project's highest helping material id before this call, if known:
                then a POST whose answer was lost is looked for among the materials above it
                (one GET: the info sent, and the link, must match) before it is sent again.
                Without it such a failure is raised: nothing else could tell the material
                apart from an identical older one.

        Raises:
            InvalidDataError: the file would not be stored or served under that name (see
                `check_upload_name`).
            TransportError, ServerError: no answer (with `after_id`: after the retries and
                look-ups found nothing).
        """
        pid, sent = id_of(project_id), dict(info or {})
        data = {"project_id": pid, "info": sent, "priority": priority}

        def post() -> HelpingMaterial:
            if file_path is None:
                return super(HelpingMaterialManager, self).create(data, media_url=media_url)
            upload = _Upload(file_path, upload_name, allow_any_extension)
            answer = upload.send(self._client, "POST", self.path, data)
            return self._wrap(answer, f"POST {self.path}")

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
        return self._wrap(found, f"GET {self.path}") if found is not None else None

    def update(
        self,
        obj: HelpingMaterial,
        /,
        *,
        file_path: str | os.PathLike[str] | None = None,
        allow_any_extension: bool = False,
        upload_name: str | None = None,
        **fields: Any,
    ) -> HelpingMaterial:
        """Update changed fields; with `file_path`, replace the file (multipart PUT) too.

        PYBOSSA's multipart PUT sets only the file (`media_url`, `info.container`,
        `info.file_name`) and ignores the form's other fields, so the changed ones (`info`,
        `priority`) follow in a JSON PUT, sent only when the server's answer differs from them.
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
            if k not in ("project_id", "media_url") and k in HelpingMaterial.writable
        }
        data = {k: v for k, v in obj.data.items() if k in HelpingMaterial.writable}
        url = f"{self.path}/{id_of(obj)}"
        upload = _Upload(file_path, upload_name, allow_any_extension)
        obj._mark_loaded(self._checked(upload.send(self._client, "PUT", url, data), f"PUT {url}"))
        wanted = data.get("info")
        if isinstance(wanted, Mapping):
            served = obj.data.get("info") or {}
            rest["info"] = {**wanted, **{k: served[k] for k in _FILE_INFO_KEYS if k in served}}
        rest = {k: v for k, v in rest.items() if obj.data.get(k) != v}
        return super().update(obj, **rest) if rest else obj

    def download(self, media_url: str) -> bytes:
        """The bytes of a material's file at `media_url` (one GET, one per redirect, retries).

        The API key goes only to the client's own server: a file on another host (a CDN, S3),
        or one our server redirects to, is fetched anonymously, on a connection of its own, with
        the same retry policy. Like every GET, network errors and 502/503/504 are retried by
        `Client.send`; a 500 is too (bounded by the policy's `retries`): from a file server it
        is an accident, not an API error that repeating cannot change.

        Raises:
            InvalidDataError: not an http(s) URL (a server's data must not make us read a local
                file).
            ResponseError: the answer was not 200 (`status` says which).
            TransportError: no answer (`maybe_applied` False: no connection was ever made).
        """
        url = media_url
        attempt = 0
        while True:
            for _ in range(_MAX_HOPS):
                response = self._fetch(url)
                if not response.is_redirect:
                    break
                url = urljoin(response.url, response.headers["location"])
            if response.status_code == 200:
                return bytes(response.content)
            if response.status_code != 500 or attempt >= self._client.retry.retries:
                raise error_from_response(response)
            attempt += 1
            self._client._backoff(attempt, "GET", urlsplit(url).path, "500")

    def _fetch(self, url: str) -> requests.Response:
        """GET `url`: with the key on our server, anonymously anywhere else."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidDataError(f"not an http(s) URL: {url!r:.200}")
        ours = self._client
        if ours.is_own(url):
            return ours.send("GET", url)
        from pbclient.client import Client  # a module-level import would be circular

        with Client(
            f"{parts.scheme}://{parts.netloc}",
            timeout=ours.timeout,
            deadline=ours.deadline,
            max_answer_bytes=ours.max_answer_bytes,
            retry=ours.retry,
            sleep=ours._sleep,
            clock=ours._clock,
        ) as anonymous:
            return anonymous.send("GET", url)


#: servers a download may be sent on to (a CDN, a bucket) before it is refused
_MAX_HOPS = 3

_FORM_FIELDS = ("project_id", "task_id", "info")
#: info keys the server sets from an uploaded file
_FILE_INFO_KEYS = ("container", "file_name")


@dataclass(frozen=True)
class _Upload:
    """A file to send in a multipart form, under `name` (default: the file's own name)."""

    path: str | os.PathLike[str]
    name: str | None
    allow_any: bool

    def send(self, client: Client, method: str, url: str, data: Mapping[str, Any]) -> Any:
        """Send `data`'s form fields (info as a JSON string) and the file, streamed from disk.

        Only `project_id`, `task_id` and `info` go in the form: PYBOSSA reads form values as
        strings, and it sets `media_url` itself from the stored file.
        """
        name = self.name if self.name is not None else Path(self.path).name
        check_upload_name(name, allow_any=self.allow_any)
        fields = {
            key: json.dumps(data[key]) if key == "info" else str(id_of(data[key]))
            for key in _FORM_FIELDS
            if data.get(key) is not None
        }
        with MultipartBody(fields, self.path, filename=name) as body:
            headers = {"Content-Type": body.content_type}
            return client.request(method, url, data=body, headers=headers)
