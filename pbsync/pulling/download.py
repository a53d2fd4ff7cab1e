"""Fetching a helping material's file for pull: what is retried, what fails, what becomes a link.

A file that cannot be fetched *now* (a 5xx, a 408 or 429 answer, a dropped or timed-out
connection, our own server unreachable) fails the pull once the client's bounded retries are
spent: it is retried by running pull again, and must never turn into a link silently. A file that
cannot be fetched *at all* becomes a link (its `media_url` kept in project.toml, with a warning):
the server answers it is not there (404, 410, or another 4xx), the URL is not http(s), or another
host (a CDN that went away) cannot even be connected to. Those cases are as broken on the server
as in the folder, and a pull that failed on them forever would leave the folder unpullable; the
link keeps the material's identity, so diff and push see it unchanged, and the next pull fetches
the file again should it come back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pbclient.client import Client
from pbclient.errors import ResponseError, TransportError
from pbsync.model import HelpingMaterialState

__all__ = ["Link", "TransientError", "fetch_file"]

log = logging.getLogger(__name__)

#: 4xx answers that say "not now" rather than "not there"
_NOT_NOW = frozenset({408, 429})


@dataclass(frozen=True)
class Link:
    """The file cannot be fetched at all: keep the material as a link, for this reason."""

    why: str


class TransientError(Exception):
    """The file could not be fetched now (after the client's retries)."""


def fetch_file(client: Client, hm: HelpingMaterialState) -> bytes | Link:
    """The file's bytes, or a `Link` when it cannot be fetched at all.

    Raises:
        TransientError: a failure a later run may not meet (the message says which).
    """
    url = hm.media_url or ""
    try:
        return client.helping_materials.download(url)
    except ResponseError as exc:
        if exc.status is None:  # refused before sending: the server's data decides this URL
            return Link("not an http(s) URL")
        if exc.status in _NOT_NOW or exc.status >= 500:
            raise TransientError(f"{url} answered {exc.status}") from exc
        return Link(f"{url} answered {exc.status}")
    except TransportError as exc:
        if client.is_own(url) or exc.maybe_applied:
            raise TransientError(str(exc)) from exc
        return Link(f"{url} cannot be reached")
