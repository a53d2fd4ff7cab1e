"""`/_pbsync/*`: the test controls over HTTP, registered only with `testing=True`.

`GET /_pbsync/stats` answers `{"total": N, "requests": [{"method", "path", "count"}, ...],
"answers": {"<status>": N, ...}}` (answers by status: how many 429s the rate limit gave).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, request

from pbsync.server.context import json_response, state

log = logging.getLogger(__name__)

bp = Blueprint("control", __name__)

FAULT_ARGS = ("status", "drop", "latency", "path", "method", "after")


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@bp.route("/_pbsync/reset", methods=["POST"])
def reset() -> Response:
    """Empty the server (but the admin and the default categories)."""
    st = state()
    st.store.reset()
    st.uploads.clear()
    st.limiter.clear()
    st.faults.clear()
    return json_response({"status": "ok"})


@bp.route("/_pbsync/faults", methods=["POST"])
def add_fault() -> Response:
    """Add a fault rule: `{"count", "status", "drop", "latency", "path", "method", "after"}`."""
    data = _body()
    kwargs = {k: data[k] for k in FAULT_ARGS if k in data}
    try:
        state().faults.add(int(data.get("count", 1)), **kwargs)
    except (TypeError, ValueError) as exc:
        return json_response({"status": "error", "message": str(exc)}, 400)
    return json_response({"status": "ok", "pending": state().faults.pending()})


@bp.route("/_pbsync/faults", methods=["DELETE"])
def clear_faults() -> Response:
    """Remove every fault rule."""
    state().faults.clear()
    return Response(status=204)


@bp.route("/_pbsync/stats", methods=["GET"])
def get_stats() -> Response:
    """Return the request counters."""
    stats = state().stats
    snap = stats.snapshot()
    rows = [{"method": m, "path": p, "count": n} for (m, p), n in sorted(snap.items())]
    answers = {str(status): n for status, n in sorted(stats.answers().items())}
    return json_response({"total": sum(snap.values()), "requests": rows, "answers": answers})


@bp.route("/_pbsync/stats", methods=["DELETE"])
def reset_stats() -> Response:
    """Zero the request counters."""
    state().stats.reset()
    return Response(status=204)


@bp.route("/_pbsync/users", methods=["POST"])
def create_user() -> Response:
    """Create a non-admin user: `{"name"}` -> `{"id", "name", "api_key"}`."""
    name = str(_body().get("name") or "")
    if not name:
        return json_response({"status": "error", "message": "name is required"}, 400)
    try:
        user = state().store.create_user(name)
    except Exception as exc:  # a duplicate name is the caller's mistake, not a server error
        return json_response({"status": "error", "message": str(exc).splitlines()[0]}, 400)
    return json_response({"id": user["id"], "name": user["name"], "api_key": user["api_key"]})
