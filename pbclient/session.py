"""The `requests.Session` a `Client` sends through, and the environment settings it would read.

A client's own session sizes its connection pool for `create_many`'s workers and does not trust
the environment, because requests re-reads it on every request (proxies: a walk over `os.environ`,
twice; `~/.netrc`: stat calls), a fifth of the client's CPU per call. `EnvironmentCache` reads the
same settings once per host instead. (A netrc entry would also have replaced the Authorization
header.) urllib3's request-line logs are filtered so that a key in a query never reaches a log.
Its connections report to the sending thread's deadline watch (`pbclient.limits`), which cuts
them when an answer takes longer than the client's deadline.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
import urllib3.connection
import urllib3.poolmanager
from requests.adapters import HTTPAdapter

from pbclient import limits
from pbclient.errors import redact_text

__all__ = ["POOL_SIZE", "EnvironmentCache", "new_session"]

log = logging.getLogger(__name__)

#: concurrent workers (create_many) share one session; keep a connection for each
POOL_SIZE = 16


class _HideKeyInQuery(logging.Filter):
    """urllib3 logs request lines with their query; a caller's URL may hold the key."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and any("api_key=" in str(arg) for arg in record.args):
            record.msg = redact_text(record.getMessage())
            record.args = None
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_HideKeyInQuery())


class _Watched:
    """A connection that tells the sending thread's deadline watch it is the one in use.

    Both calls are http.client's (urllib3 sends through them): `request` before anything is
    sent, `getresponse` before the headers are read (a reused connection may skip neither).
    """

    def request(self, *args: Any, **kwargs: Any) -> Any:
        limits.attach(self)
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        limits.attach(self)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _Adapter(HTTPAdapter):
    """requests' adapter, with connections a deadline watch can cut (see `pbclient.limits`)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> urllib3.PoolManager:
        return _watch(super().proxy_manager_for(proxy, **kwargs))


def _watch(manager: urllib3.PoolManager) -> urllib3.PoolManager:
    # only urllib3's plain pools are replaced (a SOCKS proxy manager brings its own)
    if manager.pool_classes_by_scheme is urllib3.poolmanager.pool_classes_by_scheme:
        manager.pool_classes_by_scheme = _WATCHED_POOLS
    return manager


def new_session() -> requests.Session:
    """A session with a pool for `POOL_SIZE` connections that ignores the environment."""
    session = requests.Session()
    adapter = _Adapter(pool_connections=2, pool_maxsize=POOL_SIZE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False  # `EnvironmentCache` supplies what it would have read
    return session


class EnvironmentCache:
    """What `trust_env` would have added to a request (proxies, CA bundle), read once per host."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_origin: dict[str, dict[str, Any]] = {}
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        self._bundle = bundle or None

    def settings(self, url: str) -> dict[str, Any]:
        """`proxies=` (and `verify=` when a CA bundle is set) for requests to `url`'s host."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        found = self._by_origin.get(origin)
        if found is None:
            found = {"proxies": requests.utils.get_environ_proxies(url)}
            if self._bundle is not None and parts.scheme == "https":
                found["verify"] = self._bundle  # (plain HTTP: requests would stat it for nothing)
            with self._lock:
                self._by_origin[origin] = found
        return found
