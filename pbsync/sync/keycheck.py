"""Telling "the project does not exist" from "the server did not take the key".

PYBOSSA treats an unknown API key as anonymous, and anonymous callers cannot see unpublished
projects: a wrong key (or none) makes an existing project look missing, and a plan would create
it again. So when a project lookup finds nothing, `explain_missing` finds out, with at most one
request, whether the key was accepted, and raises a one-line error when it was not.
"""

from __future__ import annotations

import logging

from pbclient.client import Client
from pbclient.errors import error_from_response
from pbsync.errors import ConfigError, ProjectNotFoundError

__all__ = ["KEY_SOURCES", "explain_missing", "key_accepted"]

log = logging.getLogger(__name__)

#: where a key can be set, in the order pbsync reads them
KEY_SOURCES = "--api-key, PYBOSSA_API_KEY or the apikey of ~/.pybossa.cfg"

#: The cheapest read that answers differently to a signed-in caller and to an anonymous one on
#: PYBOSSA 4.0.2: `GET /api/favorites` (the caller's favourite tasks) aborts with 401 for an
#: anonymous caller and lists (here: at most one) tasks for any signed-in one, whatever they own.
#: The alternatives are ambiguous: an owner-scoped project list is `[]` both for a valid key that
#: owns nothing and for an anonymous caller on a server without published projects, `/api/user`
#: shows the caller's own record only if it is on the page fetched, and PYBOSSA 4.0.2 has no
#: `/api/token`.
KEY_CHECK_PATH = "/api/favorites"


def key_accepted(client: Client) -> bool | None:
    """Whether the server took `client`'s API key: True, False, or None when it cannot tell.

    One GET. A server that answers anything but 200 or 401 (an older or non-PYBOSSA server
    without the resource) cannot tell, and None keeps the caller's previous behaviour.

    Raises:
        pbclient.errors.PybossaError: the server could not be reached, or refused otherwise
            (429 after the allowed waits).
    """
    response = client.send("GET", KEY_CHECK_PATH, params={"limit": 1})
    if response.status_code == 200:
        return True
    if response.status_code == 401:
        return False
    if response.status_code == 429:
        raise error_from_response(response)
    log.debug("key check: %s answered %s", KEY_CHECK_PATH, response.status_code)
    return None


def explain_missing(client: Client, short_name: str) -> None:
    """Raise when `short_name` looks missing only because the caller is anonymous.

    Call it once a lookup of the project found nothing: with no key, unpublished projects are
    invisible (and nothing could be created anyway: PYBOSSA answers 401); with a key, one request
    checks whether the server accepted it.

    Raises:
        ProjectNotFoundError: no API key is set.
        ConfigError: the server did not accept the API key.
    """
    if not client.has_api_key:
        raise ProjectNotFoundError(
            f"project {short_name!r} was not found on {client.endpoint}, and without an API key "
            f"unpublished projects are invisible and none can be created: set {KEY_SOURCES}"
        )
    if key_accepted(client) is False:
        raise ConfigError(
            f"the API key was not accepted by {client.endpoint} (PYBOSSA treats an unknown key "
            "as anonymous, and anonymous callers cannot see unpublished projects): "
            f"check {KEY_SOURCES}"
        )
