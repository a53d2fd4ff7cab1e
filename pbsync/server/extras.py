"""Read-only stand-ins for PYBOSSA resources pbsync does not manage.

`projectstats` is computed live from the tables. `announcement`, `blogpost`, `page` and `favorites`
exist so clients that list them get PYBOSSA's shapes (an empty list, a 404 error JSON for an id);
the local server does not store them.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from pbsync.server import schema, workflow
from pbsync.server.context import api_view, caller, json_response, state
from pbsync.server.errors import ApiError
from pbsync.server.listing import list_rows

log = logging.getLogger(__name__)

bp = Blueprint("extras", __name__)

EMPTY_RESOURCES = "announcement, blogpost, page, favorites"


@bp.route(f"/api/<any({EMPTY_RESOURCES}):resource>", methods=["GET"])
@bp.route(f"/api/<any({EMPTY_RESOURCES}):resource>/<int:oid>", methods=["GET"])
@api_view()
def empty_resource(resource: str, oid: int | None = None) -> Response:
    """An empty list, or 404 for an id: the local server keeps none of these."""
    if resource == "favorites" and caller().id is None:
        # PYBOSSA 4.0.2's FavoritesAPI aborts with 401 for anonymous callers (clients use it to
        # tell a key the server did not accept from a valid one)
        raise ApiError("Unauthorized")
    if oid is not None:
        raise ApiError("NotFound")
    return json_response([])


@bp.route("/api/projectstats", methods=["GET"])
@bp.route("/api/projectstats/<int:oid>", methods=["GET"])
@api_view("projectstats")
def project_stats(oid: int | None = None) -> Response:
    """Stats of one project (`/<project id>` or `?project_id=`), or of the visible projects."""
    store = state().store
    wanted = oid if oid is not None else request.args.get("project_id")
    if wanted is not None:
        try:
            project = store.get(schema.PROJECT, int(wanted))
        except ValueError:
            project = None
        if project is None:
            if oid is not None:
                raise ApiError("NotFound")
            return json_response([])
        stats = workflow.project_stats(store, project["id"])
        return json_response(stats if oid is not None else [stats])
    rows = list_rows(store, schema.PROJECT, request.args, caller())
    return json_response([workflow.project_stats(store, row["id"]) for row in rows])
