"""Creating without duplicates on a server that has no idempotency keys.

PYBOSSA's POST takes no request id, so a POST that got no answer (a dropped connection after
sending, a read timeout, a 5xx from a proxy) may or may not have created its object, and may even
create it later: the server can still be working when the client gives up. Such a failure is
*ambiguous*. Posting again blindly can make a second copy; giving up can leave the object
missing. The managers therefore look for what the POST may have created before posting again:
`client.tasks.create_many` for tasks (by canonical info, above the project's highest task id
before the call), `client.helping_materials.create(..., after_id=)` for helping materials (by
the info sent, above `after_id`), each through `create_once` here or its own bulk loop.

What no client can rule out: an answer lost while the server is still working, whose object
appears only after the look-up. Callers that care (pbsync) check again once their writes are
done, and say so when they find a copy.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pbclient.errors import PybossaError, ServerError, TransportError, UnexpectedAnswerError

__all__ = ["create_once", "info_contains", "is_ambiguous"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def is_ambiguous(exc: PybossaError) -> bool:
    """Whether a failed POST may have created its object: no answer after sending, a 5xx, or
    an answer the client could not read (a 2xx whose body is not the object: the server most
    likely created it)."""
    if isinstance(exc, TransportError):
        return exc.maybe_applied
    return isinstance(exc, ServerError | UnexpectedAnswerError)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def info_contains(info: Any, sent: Mapping[str, Any]) -> bool:
    """Whether `info` (as the server keeps it) holds every key of `sent` with an equal value.

    The server adds keys of its own (a helping material's `file_name`, `container`), so a
    created object's info is a superset of what was sent.
    """
    if not isinstance(info, Mapping):
        return False
    return all(key in info and _canonical(info[key]) == _canonical(v) for key, v in sent.items())


def create_once(post: Callable[[], T], find: Callable[[], T | None], *, rounds: int) -> T:
    """`post()`, and after an ambiguous failure `find()` what it may have made before posting again.

    Args:
        post: sends the POST once and returns the created object.
        find: looks on the server for an object the lost POSTs created (None: none found).
        rounds: how many POSTs at most (the first one included).

    Returns:
        The created (or found) object.

    Raises:
        PybossaError: a definite failure at once; the last ambiguous one after `rounds` POSTs
            found nothing.
    """
    last: PybossaError | None = None
    for attempt in range(max(1, rounds)):
        if attempt:
            found = find()
            if found is not None:
                log.info("created after all (the answer was lost): adopted %r", found)
                return found
        try:
            return post()
        except PybossaError as exc:
            if not is_ambiguous(exc):
                raise
            log.info("%s; looking for it on the server before posting again", exc)
            last = exc
    found = find()
    if found is not None:
        log.info("created after all (the answer was lost): adopted %r", found)
        return found
    assert last is not None
    raise last
