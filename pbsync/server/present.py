"""How objects look to a caller: owner and public views, and the `link`/`links` GET adds."""

from __future__ import annotations

import logging
from typing import Any

from pbsync.server.context import Caller, base_url
from pbsync.server.schema import (
    PUBLIC_PROJECT_INFO,
    PUBLIC_PROJECT_KEYS,
    PUBLIC_USER_KEYS,
    Resource,
)
from pbsync.server.store import Row

log = logging.getLogger(__name__)

#: what non-admins see of a user who turned privacy mode off (UserAPI.allowed_attributes)
ALLOWED_USER_KEYS = ("created", "name", "fullname", "locale")
#: parents named in `links`, per resource: (title, column holding the parent's id)
PARENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "project": (("category", "category_id"),),
    "task": (("project", "project_id"),),
    "taskrun": (("project", "project_id"), ("task", "task_id")),
    "result": (("project", "project_id"), ("task", "task_id")),
    "helpingmaterial": (("project", "project_id"),),
}


def link(base: str, rel: str, title: str, oid: Any) -> str:
    """Return PYBOSSA's HATEOAS link markup."""
    return f"<link rel='{rel}' title='{title}' href='{base}/api/{title}/{oid}'/>"


def public_project(row: Row) -> dict[str, Any]:
    """Return the project as anonymous callers and non-owners see it."""
    out = {k: row[k] for k in PUBLIC_PROJECT_KEYS}
    info = row["info"] if isinstance(row.get("info"), dict) else {}
    out["info"] = {k: info[k] for k in PUBLIC_PROJECT_INFO if k in info}
    return out


def view(res: Resource, row: Row, who: Caller) -> dict[str, Any]:
    """Return the object as `who` may see it (without links), media URLs made absolute."""
    obj = _visible(res, row, who)
    media = obj.get("media_url")
    if isinstance(media, str) and media.startswith("/uploads/"):
        obj["media_url"] = base_url() + media
    return obj


def _visible(res: Resource, row: Row, who: Caller) -> dict[str, Any]:
    if res.name == "project":
        return dict(row) if who.may_write(row) else public_project(row)
    if res.name == "user":
        if who.admin or who.id == row["id"]:
            # PYBOSSA's UserAPI: the public JSON plus id, email and info; never the key or flags
            return {
                "created": row["created"],
                "name": row["name"],
                "fullname": row["fullname"],
                "info": row["info"],
                **dict.fromkeys(("n_answers", "registered_ago", "rank", "score")),
                "locale": row["locale"],
                "id": row["id"],
                "email_addr": row["email_addr"],
            }
        keys = PUBLIC_USER_KEYS if row.get("privacy_mode", True) else ALLOWED_USER_KEYS
        return {k: row[k] for k in keys}
    return dict(row)


def with_links(res: Resource, obj: dict[str, Any], row: Row, base: str) -> dict[str, Any]:
    """Add `link` (self) and `links` (parents) as PYBOSSA's GET does (users get none)."""
    if res.name == "user":
        # PYBOSSA adds them, then UserAPI's attribute filter drops them
        return obj
    parents = [
        # PYBOSSA's project links its category with rel='category', the others rel='parent'
        link(base, "category" if res.name == "project" else "parent", title, row[column])
        for title, column in PARENTS.get(res.name, ())
        if row.get(column) is not None
    ]
    if parents:
        obj["links"] = parents
    obj["link"] = link(base, "self", res.name, row["id"])
    return obj
