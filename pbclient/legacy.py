"""The legacy module API of pybossa-client 3.0.0: `pbclient.set(...)`, `pbclient.get_projects()`.

Every function keeps 3.0.0's name, parameters and defaults, and its return contract: errors are
*returned* (PYBOSSA's error dict), not raised. Each call goes through `pbclient.requests.<method>`
(looked up at call time, so users' suites can patch it) and from there through one shared modern
`Client` (see `legacy_transport`). The 3.0.0 bugs listed in the contract are fixed here: the keyset
hint goes to `logging` instead of stdout, `media_url` and a file upload's `info` are sent, uploaded
files are closed, update functions leave the caller's object alone, no key leaks between calls, and
a non-JSON error body comes back as an error dict instead of raising.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from pbclient.legacy_objects import (
    Category,
    DomainObject,
    HelpingMaterial,
    Project,
    Result,
    Task,
    TaskRun,
    User,
    forbidden_attributes,
)
from pbclient.legacy_transport import LegacyRequests

log = logging.getLogger(__name__)

#: the module-level configuration (`endpoint`, `api_key`); `set()` writes into it in place
_opts: dict[str, Any] = {}

#: the hook users patch; the functions below call `pbclient.requests.<method>` at call time
requests = LegacyRequests()

_forbidden_attributes = forbidden_attributes

_JSON_HEADERS = {"content-type": "application/json"}
#: 3.0.0 printed this on offset paging; kept for scripts that reference it (we log a hint instead)
OFFSET_WARNING = """
    INFO: you can use keyset pagination to get faster responses from the server.
    To learn more, please visit:
    https://github.com/PYBOSSA/pybossa-client#on-queries-and-performance
    """
_KEYSET_HINT = (
    "%s: offset paging is slow on big tables; pass last_id= (keyset pagination) instead, see "
    "https://github.com/Scifabric/pybossa-client#on-queries-and-performance"
)
_ERROR_SNIPPET = 200
#: keys some PYBOSSA resource refuses in a PUT body ("Reserved keys in payload")
_SERVER_READ_ONLY = frozenset(
    {"id", "created", "updated", "completed", "contacted", "published", "secret_key", "state",
     "fav_user_ids", "finish_time", "link", "links"}
)  # fmt: skip


def _package() -> Any:
    # the legacy functions read `_opts` and `requests` from the package at call time, so that
    # `pbclient._opts = {...}` and `patch('pbclient.requests.get')` both take effect
    import pbclient

    return pbclient


def set(key: str, val: Any) -> None:
    """Store a configuration value (`'endpoint'`, `'api_key'`) in `pbclient._opts`."""
    _package()._opts[key] = val


# ---------------------------------------------------------------------------------------- transport


def _request(method: str, domain: str, ident: Any = None, **kwargs: Any) -> Any:
    """Call `pbclient._pybossa_req` as found at call time (users' suites may patch it too).

    The call has 3.0.0's shape (the id positional, and absent when there is none), so a suite's
    `assert_called_with('get', 'task', params={...})` on a patched `_pybossa_req` still holds.
    """
    args = (method, domain) if ident is None else (method, domain, ident)
    return _package()._pybossa_req(*args, **kwargs)


def _pybossa_req(
    method: str,
    domain: str,
    id: Any = None,  # 3.0.0's parameter name (shadowing the builtin): scripts pass it by name
    payload: Any = None,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    files: Any = None,
) -> Any:
    """Send one legacy call through the `pbclient.requests` hook and decode the answer.

    3.0.0's private request function, kept with its signature because scripts call it for what
    the module API lacks (e.g. `_pybossa_req('post', 'taskrun', payload={...})`).

    Args:
        method: `'get'`, `'post'`, `'put'` or `'delete'`.
        domain: the resource (`'project'`, `'task'` ...); URL = endpoint + '/api/' + domain.
        id: appended to the URL as `/<id>` when given.
        payload: the JSON body (the form fields of a multipart POST).
        params: query parameters; `api_key` is added from `_opts` (into a copy).
        headers: 3.0.0's `{'content-type': 'application/json'}` unless given; a POST with other
            headers or with `files` is sent as a form.
        files: requests-style files for a multipart POST.

    Returns:
        The decoded JSON, `True` for an empty 2xx answer, or PYBOSSA's error dict.
    """
    pkg = _package()
    opts = pkg._opts
    url = str(opts["endpoint"]).rstrip("/") + "/api/" + domain
    if id is not None:
        url += "/" + str(id)
    query = dict(params or {})  # a fresh dict per call: 3.0.0's shared default leaked the key
    if "api_key" in opts:
        query["api_key"] = opts["api_key"]
    sent_headers = dict(headers if headers is not None else _JSON_HEADERS)
    hook = pkg.requests
    if method == "get":
        response = hook.get(url, params=query)
    elif method == "post" and files is None and _is_json(sent_headers):
        response = hook.post(url, params=query, headers=sent_headers, data=json.dumps(payload))
    elif method == "post":
        response = hook.post(url, params=query, files=files, data=payload)
    elif method == "put":
        response = hook.put(url, params=query, headers=sent_headers, data=json.dumps(payload))
    elif method == "delete":
        response = hook.delete(url, params=query, headers=sent_headers, data=json.dumps(payload))
    else:
        raise ValueError(f"_pybossa_req: unknown method {method!r}")
    return _decode(response, method, domain)


def _is_json(headers: Mapping[str, str]) -> bool:
    return any(k.lower() == "content-type" and v == "application/json" for k, v in headers.items())


def _decode(response: Any, method: str, target: str) -> Any:
    """3.0.0's return contract: JSON, `True` for an empty 2xx, the error body as is."""
    status = response.status_code
    text = response.text
    if status // 100 == 2 and (not text or text == '""'):
        return True
    try:
        return json.loads(text)
    except ValueError:
        # 3.0.0 raised JSONDecodeError on an HTML error page; answer in PYBOSSA's error shape
        return {
            "action": method.upper(),
            "status": "failed",
            "status_code": status,
            "target": target,
            "exception_cls": "HTTPError",
            "exception_msg": f"HTTP {status} with a non-JSON body: {str(text)[:_ERROR_SNIPPET]}",
        }


def _one(result: Any, cls: Callable[[Any], DomainObject]) -> Any:
    """A domain object for a dict with a truthy id, else the decoded value as is."""
    if isinstance(result, dict) and result.get("id"):
        return cls(result)
    return result


def _many(result: Any, cls: Callable[[Any], DomainObject], *, strict: str | None = None) -> Any:
    """A list of domain objects; a non-list is returned as is, or raises TypeError when `strict`."""
    if isinstance(result, list):
        return [cls(item) for item in result]
    if strict:
        raise TypeError(f"{strict}: expected a list from the server, got {result!r:.300}")
    return result


def _page(name: str, limit: int, offset: int, last_id: Any) -> dict[str, Any]:
    if last_id is not None:
        return {"limit": limit, "last_id": last_id}
    log.info(_KEYSET_HINT, name)
    return {"limit": limit, "offset": offset}


def _update(domain: str, obj: Any, cls: Callable[[Any], DomainObject], *, strip: bool) -> Any:
    # duck-typed: only .id, .data and .reserved_keys are used; the caller's object is not modified
    payload = forbidden_attributes(obj).data if strip else obj.data
    result = _request("put", domain, obj.id, payload=payload)
    if _is_reserved_keys_error(result):
        # the server's read-only list is longer than the class's (3.0.0 sent a category's id and
        # created, and newer servers grew their lists): retry once without every key it guards
        trimmed = {k: v for k, v in payload.items() if k not in _SERVER_READ_ONLY}
        if trimmed != payload:
            result = _request("put", domain, obj.id, payload=trimmed)
    return _one(result, cls)


def _is_reserved_keys_error(result: Any) -> bool:
    if not isinstance(result, dict) or result.get("status_code") != 400:
        return False
    return "reserved key" in str(result.get("exception_msg") or "").lower()


def _delete(domain: str, ident: Any) -> Any:
    result = _request("delete", domain, ident)
    return True if isinstance(result, bool) else result


# ----------------------------------------------------------------------------------------- projects


def get_projects(limit: int = 100, offset: int = 0, last_id: Any = None) -> Any:
    """Return a page of projects (raises TypeError when the server answers with a non-list)."""
    params = _page("get_projects", limit, offset, last_id)
    return _many(_request("get", "project", params=params), Project, strict="get_projects")


def get_project(project_id: Any) -> Any:
    """Return the project `project_id`, or the server's error dict."""
    return _one(_request("get", "project", project_id), Project)


def find_project(**kwargs: Any) -> Any:
    """Return the projects matching the keyword filters (e.g. `short_name=`), or the error dict."""
    return _many(_request("get", "project", params=kwargs), Project)


def create_project(name: str, short_name: str, description: str) -> Any:
    """Create a project; return it, or the server's error dict."""
    body = {"name": name, "short_name": short_name, "description": description}
    return _one(_request("post", "project", payload=body), Project)


def update_project(project: Any) -> Any:
    """PUT the project's data (minus reserved keys); return the new project or the error dict."""
    return _update("project", project, Project, strip=True)


def delete_project(project_id: Any) -> Any:
    """Delete a project (and its tasks); return True, or the server's error dict."""
    return _delete("project", project_id)


# --------------------------------------------------------------------------------------- categories


def get_categories(limit: int = 20, offset: int = 0, last_id: Any = None) -> Any:
    """Return a page of categories (raises TypeError when the server answers with a non-list)."""
    params = _page("get_categories", limit, offset, last_id)
    return _many(_request("get", "category", params=params), Category, strict="get_categories")


def get_category(category_id: Any) -> Any:
    """Return the category `category_id`, or the server's error dict."""
    return _one(_request("get", "category", category_id), Category)


def find_category(**kwargs: Any) -> Any:
    """Return the categories matching the keyword filters, or the error dict."""
    return _many(_request("get", "category", params=kwargs), Category)


def create_category(name: str, description: str) -> Any:
    """Create a category (admins only); its short_name is `name` lower-cased without spaces."""
    body = {"name": name, "short_name": name.lower().replace(" ", ""), "description": description}
    return _one(_request("post", "category", payload=body), Category)


def update_category(category: Any) -> Any:
    """PUT all of the category's data (admins only); return it or the error dict."""
    return _update("category", category, Category, strip=False)


def delete_category(category_id: Any) -> Any:
    """Delete a category (admins only); return True, or the server's error dict."""
    return _delete("category", category_id)


# -------------------------------------------------------------------------------------------- tasks


def get_tasks(project_id: Any, limit: int = 100, offset: int = 0, last_id: Any = None) -> Any:
    """Return a page of the project's tasks (a non-list answer is returned as is)."""
    params = {**_page("get_tasks", limit, offset, last_id), "project_id": project_id}
    return _many(_request("get", "task", params=params), Task)


def get_task(task_id: Any) -> Any:
    """Return the task `task_id`, or the server's error dict (new; not in 3.0.0)."""
    return _one(_request("get", "task", task_id), Task)


def find_tasks(project_id: Any, **kwargs: Any) -> Any:
    """Return the project's tasks matching the keyword filters, or the error dict."""
    params = {**kwargs, "project_id": project_id}
    return _many(_request("get", "task", params=params), Task)


def create_task(
    project_id: Any, info: Any, n_answers: int = 30, priority_0: float = 0, quorum: int = 0
) -> Any:
    """Create a task; return it, or the server's error dict."""
    body = {
        "project_id": project_id,
        "info": info,
        "calibration": 0,
        "priority_0": priority_0,
        "n_answers": n_answers,
        "quorum": quorum,
    }
    return _one(_request("post", "task", payload=body), Task)


def update_task(task: Any) -> Any:
    """PUT the task's data (minus reserved keys); return the updated task or the error dict."""
    return _update("task", task, Task, strip=True)


def delete_task(task_id: Any) -> Any:
    """Delete a task; PYBOSSA deletes its task runs with it. Return True or the error dict."""
    return _delete("task", task_id)


# ---------------------------------------------------------------------------- task runs and results


def get_taskruns(project_id: Any, limit: int = 100, offset: int = 0, last_id: Any = None) -> Any:
    """Return a page of the project's task runs (raises TypeError on a non-list answer)."""
    params = {**_page("get_taskruns", limit, offset, last_id), "project_id": project_id}
    return _many(_request("get", "taskrun", params=params), TaskRun, strict="get_taskruns")


def get_taskrun(taskrun_id: Any) -> Any:
    """Return the task run `taskrun_id`, or the server's error dict (new; not in 3.0.0)."""
    return _one(_request("get", "taskrun", taskrun_id), TaskRun)


def find_taskruns(project_id: Any, **kwargs: Any) -> Any:
    """Return the project's task runs matching the keyword filters, or the error dict."""
    params = {**kwargs, "project_id": project_id}
    return _many(_request("get", "taskrun", params=params), TaskRun)


def delete_taskrun(taskrun_id: Any) -> Any:
    """Delete a task run; return True, or the server's error dict."""
    return _delete("taskrun", taskrun_id)


def get_results(project_id: Any, limit: int = 100, offset: int = 0, last_id: Any = None) -> Any:
    """Return a page of the project's results (a non-list answer is returned as is)."""
    params = {**_page("get_results", limit, offset, last_id), "project_id": project_id}
    return _many(_request("get", "result", params=params), Result)


def get_result(result_id: Any) -> Any:
    """Return the result `result_id`, or the server's error dict (new; not in 3.0.0)."""
    return _one(_request("get", "result", result_id), Result)


def find_results(project_id: Any, **kwargs: Any) -> Any:
    """Return the project's results matching the keyword filters, or the error dict."""
    params = {**kwargs, "project_id": project_id}
    return _many(_request("get", "result", params=params), Result)


def update_result(result: Any) -> Any:
    """PUT the result's data (minus reserved keys); return the updated result or the error dict."""
    return _update("result", result, Result, strip=True)


# ------------------------------------------------------------------------------- helping materials


def create_helpingmaterial(
    project_id: Any,
    info: Any,
    media_url: str | None = None,
    file_path: str | None = None,
    files: Mapping[str, Any] | None = None,
) -> Any:
    """Create a helping material: a link (`media_url`) or an uploaded file.

    Args:
        project_id: the project's id.
        info: the helping material's info (sent with the file too, unlike 3.0.0).
        media_url: a link to the media, for a material without a file.
        file_path: a local file to upload (closed afterwards).
        files: a requests-style mapping such as `{'file': open(path, 'rb')}`, as the upstream README
            shows; the files are closed after the upload.

    Returns:
        The created `HelpingMaterial` (with `.media_url`), or the server's error dict.
    """
    if file_path and files:
        raise TypeError("create_helpingmaterial: give file_path or files, not both")
    if not (file_path or files):
        body = {"project_id": project_id, "info": info, "media_url": media_url}
        return _one(_request("post", "helpingmaterial", payload=body), HelpingMaterial)
    upload = dict(files) if files else {"file": open(file_path or "", "rb")}  # noqa: SIM115
    form: dict[str, Any] = {"project_id": project_id}
    if info is not None:
        form["info"] = json.dumps(info)
    try:
        result = _request("post", "helpingmaterial", payload=form, files=upload)
    finally:
        _close_all(upload)
    return _one(result, HelpingMaterial)


def _close_all(files: Mapping[str, Any]) -> None:
    """Close the file objects of a requests-style `files` mapping (values or (name, file, ...))."""
    for value in files.values():
        handle = value[1] if isinstance(value, tuple | list) and len(value) > 1 else value
        close = getattr(handle, "close", None)
        if callable(close):
            close()


def get_helping_materials(
    project_id: Any, limit: int = 100, offset: int = 0, last_id: Any = None
) -> Any:
    """Return a page of the project's helping materials (a non-list answer is returned as is)."""
    params = {**_page("get_helping_materials", limit, offset, last_id), "project_id": project_id}
    return _many(_request("get", "helpingmaterial", params=params), HelpingMaterial)


def get_helping_material(helpingmaterial_id: Any) -> Any:
    """Return one helping material, or the server's error dict (new; not in 3.0.0)."""
    return _one(_request("get", "helpingmaterial", helpingmaterial_id), HelpingMaterial)


def find_helping_materials(project_id: Any, **kwargs: Any) -> Any:
    """Return the project's helping materials matching the keyword filters, or the error dict."""
    params = {**kwargs, "project_id": project_id}
    return _many(_request("get", "helpingmaterial", params=params), HelpingMaterial)


def update_helping_material(helpingmaterial: Any) -> Any:
    """PUT the helping material's data (minus id/created); return it or the error dict."""
    return _update("helpingmaterial", helpingmaterial, HelpingMaterial, strip=True)


def delete_helping_material(helpingmaterial_id: Any) -> Any:
    """Delete a helping material; return True or the error dict (new; not in 3.0.0)."""
    return _delete("helpingmaterial", helpingmaterial_id)


# ------------------------------------------------------------------------------------------ users


def find_users(**kwargs: Any) -> Any:
    """Return the users matching the keyword filters (e.g. `name=`), or the error dict (new)."""
    return _many(_request("get", "user", params=kwargs), User)


# the names the upstream README and older test suites use
update_helpingmaterial = update_helping_material
find_helpingmaterials = find_helping_materials
get_helpingmaterials = get_helping_materials
delete_helpingmaterial = delete_helping_material

LEGACY_FUNCTIONS = (
    "set",
    "get_projects",
    "get_project",
    "find_project",
    "create_project",
    "update_project",
    "delete_project",
    "get_categories",
    "get_category",
    "find_category",
    "create_category",
    "update_category",
    "delete_category",
    "get_tasks",
    "get_task",
    "find_tasks",
    "create_task",
    "update_task",
    "delete_task",
    "get_taskruns",
    "get_taskrun",
    "find_taskruns",
    "delete_taskrun",
    "get_results",
    "get_result",
    "find_results",
    "update_result",
    "create_helpingmaterial",
    "get_helping_materials",
    "get_helping_material",
    "find_helping_materials",
    "update_helping_material",
    "delete_helping_material",
    "find_users",
    "update_helpingmaterial",
    "find_helpingmaterials",
    "get_helpingmaterials",
    "delete_helpingmaterial",
)
