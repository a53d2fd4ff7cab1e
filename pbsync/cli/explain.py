"""Turning connection and authentication failures into one line a user can act on.

The client's errors are exact but written for programmers (`GET http://...: ConnectionError:
HTTPConnectionPool(...): Max retries exceeded ...`); at the command line the user wants to know
which server, what went wrong in a few words, and what to check.
"""

from __future__ import annotations

import logging

from pbclient.errors import AuthenticationError, TransportError
from pbsync.sync.keycheck import KEY_SOURCES

__all__ = ["auth_message", "transport_message"]

log = logging.getLogger(__name__)


#: (words found in the client's message, what they mean for a user), first match wins
_REASONS = (
    (("Connection refused", "ConnectionRefusedError"), "connection refused"),
    (
        (
            "Name or service not known",
            "nodename nor servname",
            "getaddrinfo failed",
            "Temporary failure in name resolution",
            "No address associated",
        ),
        "unknown host name",
    ),
    (("CERTIFICATE_VERIFY_FAILED", "SSLError", "SSL:"), "TLS/certificate problem"),
    (("within the deadline",), "the answer came too slowly"),
    (("Timeout", "timed out"), "timed out"),
    (
        ("Connection reset", "RemoteDisconnected", "Connection aborted", "ChunkedEncodingError"),
        "connection lost",
    ),
)


def _reason(exc: TransportError) -> str:
    text = str(exc)
    for needles, reason in _REASONS:
        if any(needle in text for needle in needles):
            return reason
    return "no answer"


def transport_message(exc: TransportError, server: str) -> str:
    """One line for a request that got no HTTP answer from `server` (a URL or a description)."""
    reason = _reason(exc)
    if exc.maybe_applied:
        return (
            f"lost the connection to {server} during {exc.method} ({reason}); "
            "run the command again to resume (nothing is duplicated)"
        )
    hint = {
        "connection refused": "is the server running, and is the port right?",
        "unknown host name": "is the endpoint's host name right?",
        "timed out": "is the server up and reachable from here?",
    }.get(reason, "check the endpoint and the network")
    return f"cannot reach {server} ({reason}): {hint}"


def auth_message(exc: AuthenticationError, server: str, has_key: bool) -> str:
    """One line for a 401: with a key, the key was not accepted; without one, one is needed."""
    request = f"{exc.method} {_path(exc.url)} answered 401" if exc.method else "401"
    if has_key:
        return (
            f"the API key was not accepted by {server} ({request}; PYBOSSA treats an unknown "
            f"key as anonymous): check {KEY_SOURCES}"
        )
    return f"{server} needs an API key for this ({request}): set {KEY_SOURCES}"


def _path(url: str | None) -> str:
    """`/api/project` from `http://host/api/project?short_name=x`."""
    if not url:
        return ""
    rest = url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path.split("?", 1)[0]
