"""The legacy module API of pybossa-client 3.0.0: configuration, request path, shared helpers.

`pbclient.set(...)`, `pbclient._opts`, `pbclient.requests` and `pbclient._pybossa_req` live here;
the functions per resource (`pbclient.get_projects()` ...) live in `legacy_projects` (projects,
categories, users), `legacy_tasks` (tasks, task runs, results) and `legacy_helping` (helping
materials), built on the helpers below (`call`, `create_object`, `get_object`, `get_objects`,
`page_params`, `update_object`, `delete_object` ...).

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

from pbclient.legacy_objects import DomainObject, forbidden_attributes
from pbclient.legacy_transport import LegacyRequests

# what the package re-exports; the helpers are for the legacy_* modules
__all__ = ["OFFSET_WARNING", "_forbidden_attributes", "_opts", "_pybossa_req", "requests", "set"]

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


# ----------------------------------------------------------------------- transport and decoding


def call(method: str, domain: str, ident: Any = None, **kwargs: Any) -> Any:
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
    response = _through_hook(pkg.requests, method, url, query, sent_headers, payload, files)
    return _decode(response, method, domain)


def _through_hook(
    hook: Any,
    method: str,
    url: str,
    query: dict[str, Any],
    headers: dict[str, str],
    payload: Any,
    files: Any,
) -> Any:
    """Call `pbclient.requests.<method>` with the arguments 3.0.0 passed (suites assert them)."""
    if method == "get":
        return hook.get(url, params=query)
    if method == "post" and files is None and _is_json(headers):
        return hook.post(url, params=query, headers=headers, data=json.dumps(payload))
    if method == "post":
        return hook.post(url, params=query, files=files, data=payload)
    if method == "put":
        return hook.put(url, params=query, headers=headers, data=json.dumps(payload))
    if method == "delete":
        return hook.delete(url, params=query, headers=headers, data=json.dumps(payload))
    raise ValueError(f"_pybossa_req: unknown method {method!r}")


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


def as_object(result: Any, cls: Callable[[Any], DomainObject]) -> Any:
    """A domain object for a dict with a truthy id, else the decoded value as is."""
    if isinstance(result, dict) and result.get("id"):
        return cls(result)
    return result


def as_objects(
    result: Any, cls: Callable[[Any], DomainObject], *, strict: str | None = None
) -> Any:
    """A list of domain objects; a non-list is returned as is, or raises TypeError when `strict`."""
    if isinstance(result, list):
        return [cls(item) for item in result]
    if strict:
        raise TypeError(f"{strict}: expected a list from the server, got {result!r:.300}")
    return result


def create_object(domain: str, body: Any, cls: Callable[[Any], DomainObject]) -> Any:
    """POST one object as JSON: the created domain object, or the error dict as is."""
    return as_object(call("post", domain, payload=body), cls)


def get_object(domain: str, ident: Any, cls: Callable[[Any], DomainObject]) -> Any:
    """GET one object: a domain object, or the decoded answer (the error dict) as is."""
    return as_object(call("get", domain, ident), cls)


def get_objects(
    domain: str,
    cls: Callable[[Any], DomainObject],
    params: Mapping[str, Any],
    *,
    strict: str | None = None,
) -> Any:
    """GET a list: domain objects, or the non-list answer (a `TypeError` when `strict`)."""
    return as_objects(call("get", domain, params=params), cls, strict=strict)


def page_params(name: str, limit: int, offset: int, last_id: Any, **scope: Any) -> dict[str, Any]:
    """Paging for a list call: `{limit, last_id}` (keyset), else `{limit, offset}`, hint logged.

    `scope` (e.g. `project_id=`) is added after the paging keys.
    """
    if last_id is not None:
        return {"limit": limit, "last_id": last_id, **scope}
    log.info(_KEYSET_HINT, name)
    return {"limit": limit, "offset": offset, **scope}


def update_object(domain: str, obj: Any, cls: Callable[[Any], DomainObject], *, strip: bool) -> Any:
    """PUT `obj.data` (minus its reserved keys when `strip`); the new object or the error dict.

    Duck-typed: only `.id`, `.data` and `.reserved_keys` are used; `obj` itself is not modified.
    """
    payload = forbidden_attributes(obj).data if strip else obj.data
    result = call("put", domain, obj.id, payload=payload)
    if _is_reserved_keys_error(result):
        # the server's read-only list is longer than the class's (3.0.0 sent a category's id and
        # created, and newer servers grew their lists): retry once without every key it guards
        trimmed = {k: v for k, v in payload.items() if k not in _SERVER_READ_ONLY}
        if trimmed != payload:
            result = call("put", domain, obj.id, payload=trimmed)
    return as_object(result, cls)


def _is_reserved_keys_error(result: Any) -> bool:
    if not isinstance(result, dict) or result.get("status_code") != 400:
        return False
    return "reserved key" in str(result.get("exception_msg") or "").lower()


def delete_object(domain: str, ident: Any) -> Any:
    """DELETE one object: True on an empty 2xx answer, else the decoded body."""
    result = call("delete", domain, ident)
    return True if isinstance(result, bool) else result
