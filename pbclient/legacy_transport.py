"""How the legacy module API reaches the server: the `pbclient.requests` hook and a shared `Client`.

pybossa-client 3.0.0 called `requests.get(url, params=params)` on the `requests` module it imported,
and its users' test suites still patch `pbclient.requests.get` (and `.post`, `.put`, `.delete`) with
fakes. `pbclient.requests` is therefore a `LegacyRequests` object whose methods take the same
arguments the legacy functions pass, and send them through one shared modern `Client` per
endpoint and key (the last few are kept): keep-alive, a default timeout, rate-limit pacing, and the
API key moved from the query string into the `Authorization` header on the wire. Anything else
(`pbclient.requests.exceptions`, ...) falls through to the real `requests` module. A suite that
patches `requests.get` itself (3.0.0's `pbclient.requests` was that module) gets the calls too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests as _requests

if TYPE_CHECKING:
    from pbclient.client import Client

__all__ = ["LegacyRequests", "close_shared_client", "shared_client"]

log = logging.getLogger(__name__)

_lock = threading.Lock()
#: clients by (endpoint, key), oldest first; a few are kept so that a script alternating between
#: two keys (or calling `pbclient.requests.get` on another host) keeps its connections and pacing
_clients: dict[tuple[str, str | None], Client] = {}
_KEEP = 4


def _package_opts() -> Mapping[str, Any]:
    # read at call time: users may rebind `pbclient._opts` as they could in 3.0.0
    import pbclient

    opts = getattr(pbclient, "_opts", None)
    return opts if isinstance(opts, Mapping) else {}


def shared_client(endpoint: str, api_key: str | None) -> Client:
    """Return the shared `Client` for `endpoint` and `api_key`, building it on first use.

    Args:
        endpoint: the PYBOSSA base URL (`pbclient._opts['endpoint']`).
        api_key: the key the legacy call carries (`pbclient._opts['api_key']`), or None.

    Returns:
        The `Client` every legacy call with this endpoint and key sends through.
    """
    from pbclient.client import Client

    key = (endpoint, api_key)
    with _lock:
        client = _clients.pop(key, None)
        evicted = None
        if client is None:
            client = Client(endpoint, api_key)
            if len(_clients) >= _KEEP:
                evicted = _clients.pop(next(iter(_clients)))
        _clients[key] = client  # (re)inserted last: the most recently used
    if evicted is not None:
        # closed outside the lock; a call still in flight on it completes (requests reopens a
        # closed session's pools on demand), so this is safe even from another thread
        evicted.close()
    return client


def close_shared_client() -> None:
    """Close the shared clients (the next legacy call builds a new one)."""
    with _lock:
        old = list(_clients.values())
        _clients.clear()
    for client in old:
        client.close()


def _endpoint_for(url: str) -> str:
    """The configured endpoint when `url` lives under it, else the URL's scheme and host."""
    endpoint = str(_package_opts().get("endpoint") or "").rstrip("/")
    if endpoint and url.startswith(endpoint + "/"):
        return endpoint
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _patched(name: str) -> Any:
    """`requests.<name>` when a test suite has replaced it (`patch('requests.get')`), else None.

    In 3.0.0 `pbclient.requests` *was* the requests module, so patching `requests.get` reached the
    legacy functions too; such suites keep working because the fake is called as 3.0.0 called it.
    `requests.get` is `requests.api.get` unless replaced.
    """
    current = getattr(_requests, name)
    return None if current is getattr(_requests.api, name) else current


class LegacyRequests:
    """The object behind `pbclient.requests`: `get`, `post`, `put`, `delete` as requests has them.

    The legacy functions look these methods up at call time, so patching
    `pbclient.requests.get` (unittest.mock) replaces what they call.
    """

    def get(self, url: str, params: Any = None, **kwargs: Any) -> _requests.Response:
        """Send a GET (as `requests.get`)."""
        fake = _patched("get")
        if fake is not None:
            return fake(url, params=params, **kwargs)
        return self._send("GET", url, params=params, **kwargs)

    def post(
        self, url: str, data: Any = None, json: Any = None, **kwargs: Any
    ) -> _requests.Response:
        """Send a POST (as `requests.post`)."""
        fake = _patched("post")
        if fake is not None:
            if json is not None:
                kwargs["json"] = json
            return fake(url, data=data, **kwargs)
        return self._send("POST", url, data=data, json_body=json, **kwargs)

    def put(self, url: str, data: Any = None, **kwargs: Any) -> _requests.Response:
        """Send a PUT (as `requests.put`)."""
        fake = _patched("put")
        if fake is not None:
            return fake(url, data=data, **kwargs)
        return self._send("PUT", url, data=data, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> _requests.Response:
        """Send a DELETE (as `requests.delete`)."""
        fake = _patched("delete")
        if fake is not None:
            return fake(url, **kwargs)
        return self._send("DELETE", url, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(_requests, name)

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        data: Any = None,
        json_body: Any = None,
        headers: Any = None,
        files: Any = None,
        **ignored: Any,
    ) -> _requests.Response:
        if ignored:
            # e.g. timeout=: the shared Client applies its own
            log.debug("legacy %s: ignoring %s", method, sorted(ignored))
        query = dict(params or {})
        api_key = query.pop("api_key", None)
        query = {k: v for k, v in query.items() if v is not None}
        if method == "DELETE" and data in ("null", b"null"):
            data = None  # the legacy functions send json.dumps(None) as a DELETE's body
        client = shared_client(_endpoint_for(url), api_key)
        try:
            return client.send(
                method,
                url,
                params=query or None,
                json=json_body,
                data=data,
                files=files,
                headers=dict(headers) if isinstance(headers, Mapping) else None,
            )
        except _transport_error() as exc:
            # 3.0.0 let requests' own exceptions through and callers (pbs) catch those
            cause = exc.__cause__
            if isinstance(cause, _requests.RequestException):
                raise cause from None
            raise _requests.ConnectionError(str(exc)) from exc


def _transport_error() -> type[Exception]:
    from pbclient.errors import TransportError

    return TransportError
