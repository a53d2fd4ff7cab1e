"""`Client`: the only place in pbclient that sends HTTP.

Every request goes through `Client.send`, one loop that decides, in this order:

1. network error -> retry with bounded backoff if the call is idempotent (or surely never reached
   the server), else raise `TransportError(maybe_applied=True)`;
2. 2xx -> return the response;
3. 429 -> wait until the window resets (X-RateLimit-Reset or Retry-After) and retry, bounded; a
   429 means the server did not act, so this is safe for any method;
4. 502/503/504 on an idempotent call -> backoff and retry, bounded;
5. a redirect to the client's own server, for a GET or HEAD -> follow it (bounded);
6. anything else -> return the response (`Client.request` raises the typed error).

Before each request the client paces itself from the rate-limit headers it has seen (see
`pbclient.retry.Pacer`). Each attempt has a deadline for the whole exchange and a cap on the
body's size (`pbclient.limits`).

The API key travels only in the `Authorization` header, and only to the endpoint's own origin
(scheme, host and port): `send` refuses a URL elsewhere (`ForeignURLError`) and never follows a
redirect to another origin (requests would have dropped the header there, but not a key in the
query), so such a redirect comes back as a `ResponseError` naming its target.

Beside it: `session` (the requests session, environment settings read once per host),
`attempts` (rewinding uploads, judging network errors), `limits` (deadline, size cap),
`answers` (checking what came back) and `stats` (`ClientStats`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from pbclient.accessors import Managers
from pbclient.answers import decode_json
from pbclient.attempts import (
    Rewinder,
    error_cause,
    is_network_error,
    maybe_applied,
    network_retries,
    origin,
    transport_error,
)
from pbclient.errors import ForeignURLError, error_from_response, redact_url
from pbclient.limits import DEFAULT_DEADLINE, DEFAULT_MAX_ANSWER_BYTES, exchange
from pbclient.pacers import pacer_for
from pbclient.retry import RateLimit, RateLimitWait, RetryPolicy, bucket_of
from pbclient.session import EnvironmentCache, new_session
from pbclient.stats import ClientStats

__all__ = ["Client", "ClientStats"]

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503, 504})
#: seconds added to a rate-limit wait: the reset is the server's clock, rounded to a second
WAIT_MARGIN = 1.0
#: redirects followed for one call (same origin, GET and HEAD only)
MAX_REDIRECTS = 5


@dataclass(slots=True)
class _Call:
    """One `send` call across its attempts: what it targets and how many tries it has used."""

    method: str
    url: str
    path: str
    bucket: str
    safe: bool  # idempotent, so a network error or a 5xx may be retried
    attempt: int = 0
    waits: int = 0
    hops: int = 0  # redirects followed


class Client(Managers):
    """A PYBOSSA API client: keep-alive, timeouts, retries, rate-limit pacing, typed errors.

    Args:
        endpoint: the server's base URL, e.g. `https://crowdcrafting.org` (a path prefix is kept).
        api_key: the user's API key; sent only in the `Authorization` header.
        timeout: seconds for connecting and for each read, applied to every request.
        deadline: seconds for one whole exchange (sending, the headers, the body), however
            steadily the server sends; past it, `DeadlineError`.
        max_answer_bytes: the largest body read; a larger one raises `UnexpectedAnswerError`
            without being read further.
        retry: the retry policy (`RetryPolicy()` when None).
        session: a `requests.Session` to use (the client then does not close it).
        on_wait: called with a `RateLimitWait` before the client sleeps for a rate-limit window.
        sleep: how to wait (injectable so tests never really wait).
        clock: epoch seconds now (injectable, paired with `sleep`).

    The client is thread-safe; use it as a context manager or call `close()`. Its managers
    (`client.projects`, `client.tasks` ...) come from `pbclient.accessors.Managers`.
    """

    def __init__(
        self,
        endpoint: str,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        on_wait: Callable[[RateLimitWait], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._api_key = api_key or None
        self.timeout = timeout
        self.deadline = deadline
        self.max_answer_bytes = max_answer_bytes
        self.retry = retry if retry is not None else RetryPolicy()
        self._owns_session = session is None
        self.session = session if session is not None else new_session()
        # a caller's own session keeps requests' per-request environment handling
        self._environment = EnvironmentCache() if session is None else None
        self._on_wait = on_wait
        self._sleep = sleep
        self._clock = clock
        self._prefix = urlsplit(self.endpoint).path
        # shared with the process's other clients of this server (pbclient/pacers.py)
        self._pacer = pacer_for(self.endpoint, self.retry.reserve, clock)
        self.stats = ClientStats()

    # -- the public surface -------------------------------------------------------------------

    @property
    def has_api_key(self) -> bool:
        """True when requests are authenticated (the key itself is not exposed)."""
        return self._api_key is not None

    @property
    def rate_limits(self) -> dict[str, RateLimit]:
        """The last X-RateLimit-* seen per bucket (e.g. `/api/task`)."""
        return self._pacer.snapshot()

    def is_own(self, url: str) -> bool:
        """Whether `url` is on this client's server: the same origin (scheme, host and port).

        The API key goes only there.
        """
        return origin(self.url(url)) == origin(self.endpoint)

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
            The final response, whatever its status, its body read (a redirect to another
            origin is returned, not followed).

        Raises:
            ForeignURLError: `url_or_path` is on another server.
            TransportError: no answer after the allowed retries (or at once for a call that is
                not idempotent and may have reached the server); `DeadlineError` past the
                deadline.
            UnexpectedAnswerError: the body is larger than `max_answer_bytes`.
        """
        method = method.upper()
        url = self.url(url_or_path)
        if not self.is_own(url):
            raise ForeignURLError(
                f"{method} {redact_url(url)}: not on {self.endpoint}; a client sends only to "
                "its own server"
            )
        path = self._path_of(url)
        safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        call = _Call(method, url, path, bucket_of(path), safe)
        rewind = Rewinder(data, files)
        kwargs = {"params": params, "json": json, "data": data, "files": files}
        while True:
            rewind()
            response = self._attempt(call, headers, dict(kwargs))
            if response is None or self._try_again(call, response):
                continue
            hop = self._next_hop(call, response)
            if hop is None:
                return response
            # the target carries its own query; a GET or HEAD has no body
            call, kwargs = hop, {"params": None, "json": None, "data": None, "files": None}

    def request(self, method: str, url_or_path: str, **kwargs: Any) -> Any:
        """Like `send`, but return the decoded JSON (None for an empty body) or raise.

        Raises:
            ResponseError: a subclass for the status (`NotFoundError`, `InvalidDataError` ...);
                `UnexpectedAnswerError` for a body that is not JSON (see `pbclient.answers`).
            TransportError: as `send`.
        """
        response = self.send(method, url_or_path, **kwargs)
        if not 200 <= response.status_code < 300:
            raise error_from_response(response)
        method = method.upper()
        return decode_json(
            response.content,
            f"{method} {self._path_of(response.url)}",
            status=response.status_code,
            method=method,
            url=response.url,
        )

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
        response = exchange(
            self.session,
            method,
            url,
            headers=all_headers,
            timeout=self.timeout,
            deadline=self.deadline,
            max_bytes=self.max_answer_bytes,
            what=f"{method} {path}",
            **kwargs,
        )
        log.debug("%s %s -> %s", method, path, response.status_code)
        return response

    def _attempt(
        self, call: _Call, headers: Mapping[str, str] | None, kwargs: dict[str, Any]
    ) -> requests.Response | None:
        """Pace, send once, and feed the pacer; None when a network error is to be retried."""
        ticket = self._pace(call.bucket)
        try:
            response = self._send_once(call.method, call.url, call.path, headers, kwargs)
        except requests.RequestException as exc:
            self._pacer.release(call.bucket)
            self._after_network_error(call, exc)
            return None
        except BaseException:
            self._pacer.release(call.bucket)
            raise
        self._pacer.observe(call.bucket, response.headers, ticket)
        return response

    def _after_network_error(self, call: _Call, exc: requests.RequestException) -> None:
        """Back off before a retry the policy allows, else raise `TransportError`."""
        applied = maybe_applied(exc)
        call.attempt += 1
        retryable = is_network_error(exc) and (call.safe or not applied)
        if retryable and call.attempt <= network_retries(exc, call.url, self.retry.retries):
            self._backoff(call.attempt, call.method, call.path, repr(exc))
            return
        error = transport_error(exc, call.method, call.url, applied, self._api_key)
        raise error from error_cause(exc, self._api_key)

    def _next_hop(self, call: _Call, response: requests.Response) -> _Call | None:
        """The call to the redirect's target, if it is to be followed; else None.

        Followed: a GET or HEAD redirected within the endpoint's origin, up to `MAX_REDIRECTS`.
        Not followed (the redirect is the answer): another origin, where the key must not go,
        a redirected write (PYBOSSA's API never redirects one), and one hop too many.
        """
        if not response.is_redirect or call.method not in ("GET", "HEAD"):
            return None
        target = urljoin(response.url, self.session.get_redirect_target(response) or "")
        if not self.is_own(target) or call.hops >= MAX_REDIRECTS:
            log.info("%s %s: redirect to %s not followed", call.method, call.path, origin(target))
            return None
        path = self._path_of(target)
        return _Call(
            call.method, target, path, bucket_of(path), call.safe, call.attempt, call.waits,
            call.hops + 1,
        )  # fmt: skip

    def _try_again(self, call: _Call, response: requests.Response) -> bool:
        """Wait out a 429 or back off after a 5xx when the policy allows; True to resend."""
        status = response.status_code
        if status == 429 and call.waits < self.retry.rate_limit_waits:
            delay = self.retry.rate_limit_delay(response.headers, self._clock())
            if delay <= self.retry.max_wait:
                call.waits += 1
                self._wait_window(call.bucket, delay + WAIT_MARGIN)
                return True
        elif status in RETRY_STATUSES and call.safe and call.attempt < self.retry.retries:
            call.attempt += 1
            self._backoff(call.attempt, call.method, call.path, str(status))
            return True
        return False

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
