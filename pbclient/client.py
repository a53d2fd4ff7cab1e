"""`Client`: the only place in pbclient that sends HTTP.

Every request goes through `Client.send`, one loop that decides, in this order:

1. network error -> retry with bounded backoff if the call is idempotent (or surely never reached
   the server), else raise `TransportError(maybe_applied=True)`;
2. 2xx -> return the response;
3. 429 -> wait until the window resets (X-RateLimit-Reset or Retry-After) and retry, bounded; a
   429 means the server did not act, so this is safe for any method;
4. 502/503/504 on an idempotent call -> backoff and retry, bounded;
5. anything else -> return the response (`Client.request` raises the typed error).

Before each request the client paces itself from the rate-limit headers it has seen (see
`pbclient.retry.Pacer`). The API key travels only in the `Authorization` header.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from pbclient.errors import ResponseError, TransportError, error_from_response, redact_text
from pbclient.retry import Pacer, RateLimit, RateLimitWait, RetryPolicy, bucket_of

if TYPE_CHECKING:
    from pbclient.managers import (
        CategoryManager,
        HelpingMaterialManager,
        ResultManager,
        TaskRunManager,
        UserManager,
    )
    from pbclient.projects import ProjectManager
    from pbclient.tasks import TaskManager

__all__ = ["Client", "ClientStats"]

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503, 504})
#: concurrent workers (create_many) share one session; keep a connection for each
POOL_SIZE = 16
#: seconds added to a rate-limit wait: the reset is the server's clock, rounded to a second
WAIT_MARGIN = 1.0


class _HideKeyInQuery(logging.Filter):
    """urllib3 logs request lines with their query; the publish endpoint's may hold the key."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and any("api_key=" in str(arg) for arg in record.args):
            record.msg = redact_text(record.getMessage())
            record.args = None
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_HideKeyInQuery())


class ClientStats:
    """Requests sent by a client (every attempt counts, as the server's rate limit counts them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str]] = Counter()
        self.retries = 0
        self.rate_limit_waits = 0
        self.waited = 0.0

    def record(self, method: str, path: str) -> None:
        """Count one request."""
        with self._lock:
            self._requests[(method, path)] += 1

    def record_retry(self) -> None:
        """Count one retry (after a network error or a 5xx)."""
        with self._lock:
            self.retries += 1

    def record_wait(self, seconds: float) -> None:
        """Count one rate-limit wait (pacing or 429) of `seconds`."""
        with self._lock:
            self.rate_limit_waits += 1
            self.waited += seconds

    def snapshot(self) -> dict[tuple[str, str], int]:
        """Requests by (method, path), path as sent (e.g. `/api/task/3`)."""
        with self._lock:
            return dict(self._requests)

    def count(self, method: str | None = None, prefix: str = "") -> int:
        """Requests with this method (any when None) whose path starts with `prefix`."""
        return sum(
            n
            for (m, path), n in self.snapshot().items()
            if (method is None or m == method) and path.startswith(prefix)
        )

    @property
    def total(self) -> int:
        """All requests sent."""
        return self.count()

    def reset(self) -> None:
        """Forget everything counted so far."""
        with self._lock:
            self._requests.clear()
            self.retries = self.rate_limit_waits = 0
            self.waited = 0.0

    def __repr__(self) -> str:
        return (
            f"ClientStats(total={self.total}, retries={self.retries}, "
            f"rate_limit_waits={self.rate_limit_waits}, waited={self.waited:.1f})"
        )


def _new_session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=POOL_SIZE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    # requests re-reads the environment on every request (proxies: a walk over os.environ, twice;
    # ~/.netrc: stat calls), a fifth of the client's CPU per call; `_EnvironmentCache` reads it once
    # per host instead. (A netrc entry would also have replaced the Authorization header.)
    session.trust_env = False
    return session


class _EnvironmentCache:
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


def _maybe_applied(exc: requests.RequestException) -> bool:
    """False only when the request surely never reached the server (connect failed)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", None)
        # NewConnectionError (refused, DNS) subclasses ConnectTimeoutError in urllib3 2
        return not isinstance(reason, urllib3.exceptions.ConnectTimeoutError)
    return not isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema)


def _is_network_error(exc: requests.RequestException) -> bool:
    return isinstance(
        exc, requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError
    )


class _Rewinder:
    """Puts upload bodies back at their start so a retried attempt sends them whole."""

    def __init__(self, data: Any, files: Any) -> None:
        streams = [data] if data is not None else []
        if isinstance(files, Mapping):
            for value in files.values():
                streams.append(value[1] if isinstance(value, tuple) else value)
        self._marks = [(s, s.tell()) for s in streams if _seekable(s)]

    def __call__(self) -> None:
        for stream, mark in self._marks:
            stream.seek(mark)


def _seekable(stream: Any) -> bool:
    if isinstance(stream, io.IOBase):
        return stream.seekable()
    return hasattr(stream, "seek") and hasattr(stream, "tell")


class Client:
    """A PYBOSSA API client: keep-alive, timeouts, retries, rate-limit pacing, typed errors.

    Args:
        endpoint: the server's base URL, e.g. `https://crowdcrafting.org` (a path prefix is kept).
        api_key: the user's API key; sent only in the `Authorization` header.
        timeout: seconds for connecting and for each read, applied to every request.
        retry: the retry policy (`RetryPolicy()` when None).
        session: a `requests.Session` to use (the client then does not close it).
        on_wait: called with a `RateLimitWait` before the client sleeps for a rate-limit window.
        sleep: how to wait (injectable so tests never really wait).
        clock: epoch seconds now (injectable, paired with `sleep`).

    The client is thread-safe; use it as a context manager or call `close()`.
    """

    def __init__(
        self,
        endpoint: str,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        on_wait: Callable[[RateLimitWait], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._api_key = api_key or None
        self.timeout = timeout
        self.retry = retry if retry is not None else RetryPolicy()
        self._owns_session = session is None
        self.session = session if session is not None else _new_session()
        # a caller's own session keeps requests' per-request environment handling
        self._environment = _EnvironmentCache() if session is None else None
        self._on_wait = on_wait
        self._sleep = sleep
        self._clock = clock
        self._prefix = urlsplit(self.endpoint).path
        self._pacer = Pacer(self.retry.reserve, clock)
        self.stats = ClientStats()

    # -- managers (imported lazily: they import this module) ----------------------------------

    @cached_property
    def projects(self) -> ProjectManager:
        """Projects: `get`, `find`, `iter`, `create`, `update`, `delete`, `by_short_name` ..."""
        from pbclient.projects import ProjectManager

        return ProjectManager(self)

    @cached_property
    def categories(self) -> CategoryManager:
        """Categories (writes need an admin)."""
        from pbclient.managers import CategoryManager

        return CategoryManager(self)

    @cached_property
    def tasks(self) -> TaskManager:
        """Tasks, with `create_many`."""
        from pbclient.tasks import TaskManager

        return TaskManager(self)

    @cached_property
    def taskruns(self) -> TaskRunManager:
        """Task runs (volunteers' answers)."""
        from pbclient.managers import TaskRunManager

        return TaskRunManager(self)

    @cached_property
    def results(self) -> ResultManager:
        """Results of completed tasks."""
        from pbclient.managers import ResultManager

        return ResultManager(self)

    @cached_property
    def helping_materials(self) -> HelpingMaterialManager:
        """Helping materials (files or links shown beside the tasks)."""
        from pbclient.managers import HelpingMaterialManager

        return HelpingMaterialManager(self)

    @cached_property
    def users(self) -> UserManager:
        """Users (read only)."""
        from pbclient.managers import UserManager

        return UserManager(self)

    # -- the public surface -------------------------------------------------------------------

    @property
    def has_api_key(self) -> bool:
        """True when requests are authenticated (the key itself is not exposed)."""
        return self._api_key is not None

    @property
    def rate_limits(self) -> dict[str, RateLimit]:
        """The last X-RateLimit-* seen per bucket (e.g. `/api/task`)."""
        return self._pacer.snapshot()

    def url(self, url_or_path: str) -> str:
        """The absolute URL of `url_or_path` (a path is taken relative to the endpoint)."""
        if url_or_path.startswith(("http://", "https://")):
            return url_or_path
        relative = url_or_path.lstrip("/")
        if "./" in relative or relative.endswith("."):
            return urljoin(self.endpoint + "/", relative)  # resolve dot segments as a URL would
        return f"{self.endpoint}/{relative}"

    def send(
        self,
        method: str,
        url_or_path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send one API call through the retry/pacing loop and return the final response.

        Args:
            method: HTTP method.
            url_or_path: `/api/task` or a full URL.
            params: query parameters (never put the API key here: it goes in the header).
            json: a JSON body.
            data: a form body, or a file-like body (rewound before a retry).
            files: requests-style multipart files.
            headers: extra headers.
            idempotent: override the method's idempotency (PUT/GET/DELETE/HEAD are idempotent).

        Returns:
            The final response, whatever its status.

        Raises:
            TransportError: no answer after the allowed retries (or at once for a call that is
                not idempotent and may have reached the server).
        """
        method = method.upper()
        url = self.url(url_or_path)
        path = self._path_of(url)
        bucket = bucket_of(path)
        safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        rewind = _Rewinder(data, files)
        attempt = waits = 0
        while True:
            rewind()
            kwargs = {"params": params, "json": json, "data": data, "files": files}
            ticket = self._pace(bucket)
            try:
                response = self._send_once(method, url, path, headers, kwargs)
            except BaseException as exc:
                self._pacer.release(bucket)
                if not isinstance(exc, requests.RequestException):
                    raise
                applied = _maybe_applied(exc)
                attempt += 1
                retryable = _is_network_error(exc) and (safe or not applied)
                if retryable and attempt <= self.retry.retries:
                    self._backoff(attempt, method, path, repr(exc))
                    continue
                raise self._transport_error(exc, method, url, applied) from _cause(exc, self)
            self._pacer.observe(bucket, response.headers, ticket)
            status = response.status_code
            if 200 <= status < 300:
                return response
            if status == 429 and waits < self.retry.rate_limit_waits:
                delay = self.retry.rate_limit_delay(response.headers, self._clock())
                if delay <= self.retry.max_wait:
                    waits += 1
                    self._wait_window(bucket, delay + WAIT_MARGIN)
                    continue
            elif status in RETRY_STATUSES and safe and attempt < self.retry.retries:
                attempt += 1
                self._backoff(attempt, method, path, str(status))
                continue
            return response

    def request(self, method: str, url_or_path: str, **kwargs: Any) -> Any:
        """Like `send`, but return the decoded JSON (None for an empty body) or raise.

        Raises:
            ResponseError: a subclass for the status (`NotFoundError`, `InvalidDataError` ...).
            TransportError: as `send`.
        """
        response = self.send(method, url_or_path, **kwargs)
        if not 200 <= response.status_code < 300:
            raise error_from_response(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ResponseError(
                f"{method.upper()} {self._path_of(response.url)}: the answer is not JSON",
                status=response.status_code,
                method=method.upper(),
                url=response.url,
                body=response.text[:500],
            ) from exc

    def close(self) -> None:
        """Close the connections (only when the client created its session)."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        key = "<hidden>" if self._api_key else "None"
        return f"Client({self.endpoint!r}, api_key={key})"

    # -- internals ----------------------------------------------------------------------------

    def _path_of(self, url: str) -> str:
        path = urlsplit(url).path
        if self._prefix and path.startswith(self._prefix + "/"):
            path = path[len(self._prefix) :]
        return path or "/"

    def _send_once(
        self,
        method: str,
        url: str,
        path: str,
        headers: Mapping[str, str] | None,
        kwargs: dict[str, Any],
    ) -> requests.Response:
        all_headers = dict(headers) if headers else {}
        if self._api_key is not None:
            all_headers["Authorization"] = self._api_key
        if self._environment is not None:
            kwargs.update(self._environment.settings(url))
        self.stats.record(method, path)
        response = self.session.request(
            method, url, headers=all_headers, timeout=self.timeout, **kwargs
        )
        log.debug("%s %s -> %s", method, path, response.status_code)
        return response

    def _pace(self, bucket: str) -> int:
        """Wait until `bucket` may take a request; return the request's pacer ticket."""
        while True:
            delay, ticket = self._pacer.start(bucket)
            if ticket is not None:
                return ticket
            if delay > self.retry.max_wait:
                return self._pacer.begin(bucket)  # too long to wait: the server decides
            before = self._clock()
            self._wait_window(bucket, delay + WAIT_MARGIN)
            if self._clock() - before < delay:
                # the injected `sleep` did not move the injected (or real) `clock`: waiting again
                # would spin forever, so send and let a 429 (bounded waits) speak for the server
                log.debug("rate limit on %s: the clock did not move while sleeping", bucket)
                return self._pacer.begin(bucket)

    def _wait_window(self, bucket: str, seconds: float) -> None:
        wait = RateLimitWait(path=bucket, until=self._clock() + seconds, seconds=seconds)
        log.info("rate limit on %s: waiting %.0f s", bucket, seconds)
        if self._on_wait is not None:
            self._on_wait(wait)
        self.stats.record_wait(seconds)
        self._sleep(seconds)

    def _backoff(self, attempt: int, method: str, path: str, why: str) -> None:
        delay = self.retry.backoff_delay(attempt)
        log.info("%s %s failed (%s); retry %d in %.1f s", method, path, why, attempt, delay)
        self.stats.record_retry()
        self._sleep(delay)

    def _transport_error(
        self, exc: requests.RequestException, method: str, url: str, applied: bool
    ) -> TransportError:
        message = redact_text(f"{type(exc).__name__}: {exc}", [self._api_key])
        return TransportError(message, method=method, url=url, maybe_applied=applied)


def _cause(exc: BaseException, client: Client) -> BaseException | None:
    """Chain the original error unless its text carries the key (a URL with ?api_key=)."""
    key = client._api_key
    return None if key and key in str(exc) else exc
