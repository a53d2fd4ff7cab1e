"""scripts/api_conformance.py against the server, compared with the answers the spec describes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "api_conformance.py"

ERROR = ["action", "exception_cls", "exception_msg", "status", "status_code", "target"]
TASK = [
    "calibration",
    "created",
    "fav_user_ids",
    "id",
    "info",
    "n_answers",
    "priority_0",
    "project_id",
    "quorum",
    "state",
]
PROJECT = [
    "allow_anonymous_contributors",
    "category_id",
    "contacted",
    "created",
    "description",
    "featured",
    "id",
    "info",
    "long_description",
    "name",
    "owner_id",
    "owners_ids",
    "published",
    "secret_key",
    "short_name",
    "updated",
    "webhook",
    "zip_download",
]
# (step, status, keys, exception_cls) as pybossa-api.md describes PYBOSSA 4.0.2
EXPECTED = [
    ("category_create", 200, ["created", "description", "id", "info", "name", "short_name"], None),
    ("project_create", 200, PROJECT, None),
    ("task_create", 200, TASK, None),
    ("task_create", 200, TASK, None),
    ("task_create", 200, TASK, None),
    (
        "helpingmaterial_upload",
        200,
        ["created", "id", "info", "media_url", "priority", "project_id"],
        None,
    ),
    ("media_get", 200, [], None),
    ("bad_key", 401, ERROR, "Unauthorized"),
    ("duplicate_short_name", 415, ERROR, "DBIntegrityError"),
    ("reserved_key", 400, ERROR, "BadRequest"),
    ("unknown_project", 404, ERROR, "NotFound"),
    ("task_list", 200, sorted([*TASK, "link", "links"]), None),
    ("task_keyset_page", 200, sorted([*TASK, "link", "links"]), None),
    ("project_delete", 204, [], None),
    ("category_delete", 204, [], None),
]


def test_conformance_script_matches_the_spec(
    endpoint: str, api_key: str, clean_server: None
) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--endpoint", endpoint, "--api-key", api_key, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    got = [(r["step"], r["status"], r["keys"], r.get("exception_cls")) for r in rows]
    assert got == EXPECTED
    upload = next(r for r in rows if r["step"] == "helpingmaterial_upload")
    assert upload["info_keys"] == ["container", "file_name", "kind"]
    keyset = next(r for r in rows if r["step"] == "task_keyset_page")
    assert keyset["count"] == 2
