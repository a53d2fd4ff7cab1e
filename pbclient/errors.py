"""Errors raised by the modern PYBOSSA client.

    PybossaError
    ├── TransportError          no usable HTTP answer (connection refused/reset, timeout);
    │   │                       `maybe_applied` says whether the server may have acted on it
    │   └── DeadlineError       the answer did not arrive whole within the client's deadline
    ├── ResponseError           the server answered with a non-2xx status
    │   ├── AuthenticationError 401 (no key, or a wrong key: PYBOSSA treats it as anonymous)
    │   ├── ForbiddenError      403 (not the owner, publishing through the API, ...)
    │   ├── NotFoundError       404
    │   ├── InvalidDataError    400, 413, 415 (validation; also raised locally before sending)
    │   ├── RateLimitError      429 still there after the allowed waits
    │   ├── ServerError         5xx
    │   └── UnexpectedAnswerError  an answer pbclient cannot use: not JSON, the wrong shape, a
    │                           list that pages backwards, larger than the size cap
    ├── RefusedError            the client refused a destructive call that needs `force=True`
    │   └── ForeignURLError     a URL on another server than the client's endpoint
    └── BulkCreateError         `tasks.create_many` could not create every item

Every error carries the method and a URL whose `api_key` query value is replaced by `<hidden>`;
messages never contain the API key.
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

if TYPE_CHECKING:
    from collections.abc import Sequence

    import requests

__all__ = [
    "AuthenticationError",
    "BulkCreateError",
    "DeadlineError",
    "ForbiddenError",
    "ForeignURLError",
    "InvalidDataError",
    "NotFoundError",
    "PybossaError",
    "RateLimitError",
    "RefusedError",
    "ResponseError",
    "ServerError",
    "TransportError",
    "UnexpectedAnswerError",
    "error_from_response",
    "redact_url",
]

HIDDEN = "<hidden>"
#: the longest server-supplied text an error message quotes
MAX_REASON = 300
_KEY_IN_TEXT = re.compile(r"(api_key=)[^&\s'\"]+")


def redact_url(url: str) -> str:
    """Return `url` with the value of any `api_key` query parameter replaced by `<hidden>`."""
    parts = urlsplit(url)
    if "api_key" not in parts.query:
        return url
    query = [(k, HIDDEN if k == "api_key" else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="<>")))


def redact_text(text: str, secrets: Sequence[str | None] = ()) -> str:
    """Hide `api_key=...` values and the given secrets anywhere in a free-form message."""
    text = _KEY_IN_TEXT.sub(r"\1" + HIDDEN, text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, HIDDEN)
    return text


class PybossaError(Exception):
    """Base class of every error raised by `pbclient`'s modern API."""


class TransportError(PybossaError):
    """No usable HTTP answer: the connection failed, was reset, or timed out.

    Attributes:
        method: the HTTP method.
        url: the URL, key hidden.
        maybe_applied: True when the request may have reached the server and been acted on (a
            reset or a read timeout after sending); False when it surely was not (connect failure).
    """

    def __init__(self, message: str, *, method: str, url: str, maybe_applied: bool) -> None:
        self.method = method
        self.url = redact_url(url)
        self.maybe_applied = maybe_applied
        super().__init__(f"{method} {self.url}: {redact_text(message)}")


class DeadlineError(TransportError):
    """The answer did not arrive whole within the client's deadline (`Client(deadline=...)`).

    A server that sends slowly (a byte every few seconds) never trips the per-read timeout; the
    deadline bounds the whole exchange. Not retried: a server that drips once drips again. The
    request was sent, so `maybe_applied` is True.
    """


class ResponseError(PybossaError):
    """The server answered with a non-2xx status.

    Attributes:
        status: the HTTP status (None when the client raised it before sending).
        method, url: the request (key hidden).
        exception_cls, exception_msg, target: PYBOSSA's error fields, when the body had them.
        body: the decoded JSON body, or the first 500 characters of a non-JSON body.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        url: str | None = None,
        exception_cls: str | None = None,
        exception_msg: str | None = None,
        target: str | None = None,
        body: Any = None,
    ) -> None:
        self.status = status
        self.method = method
        self.url = redact_url(url) if url else url
        self.exception_cls = exception_cls
        self.exception_msg = exception_msg
        self.target = target
        self.body = body
        super().__init__(redact_text(message))


class AuthenticationError(ResponseError):
    """401: the request was anonymous (no key, or a key the server does not know)."""


class ForbiddenError(ResponseError):
    """403: authenticated, but not allowed (not the owner; publishing through the API)."""


class NotFoundError(ResponseError):
    """404: no such object or route."""


class InvalidDataError(ResponseError):
    """400/413/415: the server refused the payload or the query (or the client did, first)."""


class RateLimitError(ResponseError):
    """429 after the retry policy's allowed waits; `reset` is the window's end (epoch seconds)."""

    reset: float | None = None


class ServerError(ResponseError):
    """5xx: the server failed."""


class UnexpectedAnswerError(ResponseError):
    """An answer pbclient cannot use, whatever its status said.

    Not JSON (or JSON with NaN, or nested too deeply to read), the wrong shape (a list where an
    object is due, an `id` that is not an integer, `info` that is not an object ...), a list that
    does not page forward, or a body over the size cap (`Client(max_answer_bytes=...)`). The
    message names the request and what was wrong, in one line.
    """


class RefusedError(PybossaError):
    """The client refused a destructive call (e.g. publishing deletes task runs) without force."""


class ForeignURLError(RefusedError):
    """A URL on another server than the client's endpoint: the client sends only to its own.

    Its API key must not travel anywhere else; fetch another server's file with a client of its
    own (anonymous), as `client.helping_materials.download` does.
    """


class BulkCreateError(PybossaError):
    """`create_many` stopped; what was created is kept so a caller can resume without duplicates.

    Attributes:
        results: one entry per input item, in input order: the created object or None.
        errors: input index -> the error that item met.
    """

    def __init__(self, results: list[Any], errors: dict[int, PybossaError]) -> None:
        self.results = results
        self.errors = errors
        done = sum(r is not None for r in results)
        first = min(errors)
        super().__init__(
            f"created {done} of {len(results)}; {len(errors)} failed "
            f"(first: item {first}: {errors[first]})"
        )


_BY_STATUS: dict[int, type[ResponseError]] = {
    400: InvalidDataError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    413: InvalidDataError,
    415: InvalidDataError,
    429: RateLimitError,
}


def _class_for(status: int) -> type[ResponseError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ResponseError


def _decode(response: requests.Response) -> Any:
    try:
        return json.loads(response.text) if response.text else None
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deeply to read
        return response.text[:500]


def _text(value: Any) -> str | None:
    """A server's error field as one short line (None stays None; other JSON becomes text)."""
    if value is None or value == "":
        return None
    text = " ".join(str(value).split())  # a message with newlines would print as several lines
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _reset_of(response: requests.Response) -> float | None:
    try:
        reset = float(response.headers.get("X-RateLimit-Reset") or "")
    except ValueError:
        return None
    return reset if math.isfinite(reset) else None


def error_from_response(response: requests.Response) -> ResponseError:
    """Build the typed error for a non-2xx `response` (JSON error dict, `{"code"}` shape or HTML).

    A redirect that `Client.send` did not follow (to another server, or one hop too many) is
    a `ResponseError` naming where it pointed.

    Args:
        response: the final response of a request (after retries).

    Returns:
        The `ResponseError` subclass matching the status, with PYBOSSA's fields when present.
    """
    status = response.status_code
    method = response.request.method if response.request is not None else None
    url = redact_url(response.request.url or "") if response.request is not None else None
    body = _decode(response)
    fields: dict[str, Any] = body if isinstance(body, dict) else {}
    exc_cls = _text(fields.get("exception_cls"))
    exc_msg = _text(fields.get("exception_msg") or fields.get("description"))
    reason = f"{exc_cls}: {exc_msg}" if exc_cls else (exc_msg or _text(response.reason) or "error")
    if response.is_redirect:
        target = redact_url(urljoin(response.url, response.headers["location"]))
        reason = f"redirected to {_text(target)} (not followed)"
    error = _class_for(status)(
        f"{method} {url} -> {status} {reason}",
        status=status,
        method=method,
        url=url,
        exception_cls=exc_cls,
        exception_msg=exc_msg,
        target=_text(fields.get("target")),
        body=body,
    )
    if isinstance(error, RateLimitError):
        error.reset = _reset_of(response)
    return error
