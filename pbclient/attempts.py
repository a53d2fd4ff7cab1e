"""What `Client.send` needs to repeat an attempt safely: bodies rewound, network errors judged.

A retry must send an upload whole again (`Rewinder`), and may only repeat a call that is not
idempotent when the first attempt surely never reached the server (`maybe_applied`). A redirect
is followed only within the client's `origin`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from pbclient.errors import TransportError, redact_text

__all__ = [
    "Rewinder",
    "error_cause",
    "is_network_error",
    "maybe_applied",
    "network_retries",
    "origin",
    "transport_error",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: host names of this machine: nothing restarts there within a retry's back-off
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})

log = logging.getLogger(__name__)


class Rewinder:
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


def maybe_applied(exc: requests.RequestException) -> bool:
    """False only when the request surely never reached the server (connect failed)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", None)
        # NewConnectionError (refused, DNS) subclasses ConnectTimeoutError in urllib3 2
        return not isinstance(reason, urllib3.exceptions.ConnectTimeoutError)
    return not isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema)


def is_network_error(exc: requests.RequestException) -> bool:
    """True for the errors a retry may cure (connection failures, timeouts, cut bodies)."""
    return isinstance(
        exc, requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError
    )


def is_refused(exc: BaseException) -> bool:
    """True when the connection was refused (nothing listens on the port)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return True
        # requests wraps urllib3's MaxRetryError, whose `reason` is the NewConnectionError
        # raised from the socket's ConnectionRefusedError
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending += [arg for arg in current.args if isinstance(arg, BaseException)]
    return False


def network_retries(exc: BaseException, url: str, retries: int) -> int:
    """How many retries a network error on `url` is worth, of the policy's `retries`.

    A refused connection means nothing listens: on this machine that will not change within a
    back-off (a typo'd port, a server not started), so it fails at once; elsewhere one short
    retry covers a server restarting behind a load balancer. Other errors get every retry.
    """
    if not is_refused(exc):
        return retries
    host = urlsplit(url).hostname or ""
    return 0 if host.lower() in _LOOPBACK or host.startswith("127.") else min(retries, 1)


def error_cause(exc: BaseException, api_key: str | None) -> BaseException | None:
    """The error to chain: the original, unless its text carries the key (a URL with ?api_key=)."""
    return None if api_key and api_key in str(exc) else exc


def transport_error(
    exc: requests.RequestException, method: str, url: str, applied: bool, api_key: str | None
) -> TransportError:
    """The `TransportError` for a network error, with the key hidden from its message."""
    message = redact_text(f"{type(exc).__name__}: {exc}", [api_key])
    return TransportError(message, method=method, url=url, maybe_applied=applied)


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of `url`: the scheme's default port filled in, names lower-cased.

    Two URLs with the same origin are on the same server, where an API key may go.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # not a number: no origin of ours has such a port
        port = -1
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)
