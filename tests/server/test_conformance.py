"""scripts/api_conformance.py against the server, compared with the answers the spec describes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pbsync.server import LocalServer

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


# (step, status, exception_cls, note) as PYBOSSA 4.0.2 answered them (admin key)
EXPECTED_EDGES = [
    ("ans_project", 200, None, None),
    ("ans_presenter", 200, None, None),
    ("ans_task", 200, None, None),
    ("ans_newtask", 200, None, None),
    ("ans_taskrun", 200, None, None),
    ("ans_results", 200, None, None),
    ("ans_project_delete", 403, "Forbidden", None),
    ("ans_project_delete_anon", 401, "Unauthorized", None),
    ("ans_result_delete", 403, "Forbidden", None),
    ("ans_taskrun_put", 403, "Forbidden", None),
    ("ans_taskrun_delete", 403, "Forbidden", None),
    ("ans_task_delete_admin", 204, None, None),
    ("ans_result_gone", 404, "NotFound", None),
    ("ans_project_delete_now", 204, None, None),
    ("bad_body_list", 500, None, None),
    ("bad_body_empty_list", 415, "AttributeError", None),
    ("bad_body_null", 400, None, None),
    ("bad_deep_nesting", 500, None, None),
    ("bad_form_encoded", 415, "ValueError", None),
    ("bad_text_plain_is_json", 200, None, None),
    ("bad_last_id_out_of_range", 415, "DataError", None),
    ("bad_id_out_of_range", 415, "DataError", None),
    ("bad_offset_out_of_range", 415, "DataError", None),
    ("bad_project_id_letters", 200, None, None),
    ("bad_nul_in_name", 415, "ValueError", None),
    ("bad_lone_surrogate", 500, "UnicodeEncodeError", None),
    ("bad_name_object", 500, "ProgrammingError", None),
    ("bad_boolean_yes", 500, "StatementError", None),
    ("bad_multipart", 500, "KeyError", None),
    ("shape_project_links", 200, None, ["category"]),
    ("bad_quorum_fraction", 200, None, 2),
    ("shape_users_anonymous", 200, None, None),
    (
        "shape_globalstats",
        200,
        None,
        [
            "n_projects",
            "n_users",
            "n_tasks",
            "n_task_runs",
            "n_pending_tasks",
            "n_results",
            "categories",
        ],
    ),
    ("publish_page_not_ready", 403, None, None),
    ("publish_page_anonymous", 302, None, "/account/signin"),
    ("bad_cleanup", 204, None, None),
]
# the same with a non-admin owner's key as well (--other-api-key)
EXPECTED_OWNER = [
    ("own_project", 200, None, None),
    ("own_presenter", 200, None, None),
    ("own_task", 200, None, None),
    ("own_newtask", 200, None, None),
    ("own_taskrun", 200, None, None),
    ("own_results", 200, None, None),
    ("own_task_delete", 403, "Forbidden", None),
    ("own_taskrun_delete", 403, "Forbidden", None),
    ("own_project_delete", 403, "Forbidden", None),
    ("own_cleanup_task_by_admin", 204, None, None),
    ("own_cleanup_project_by_admin", 204, None, None),
]
FLASK_SHAPE = ["code", "description", "template"]


def conformance(endpoint: str, api_key: str, *more: str) -> list[dict]:
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--endpoint",
            endpoint,
            "--api-key",
            api_key,
            "--json",
            *more,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def edges(rows: list[dict]) -> list[tuple]:
    return [(r["step"], r["status"], r.get("exception_cls"), r.get("note")) for r in rows]


def test_conformance_script_matches_the_spec(
    endpoint: str, api_key: str, clean_server: None
) -> None:
    rows = conformance(endpoint, api_key)
    got = [(r["step"], r["status"], r["keys"], r.get("exception_cls")) for r in rows]
    assert got[: len(EXPECTED)] == EXPECTED
    assert edges(rows[len(EXPECTED) :]) == EXPECTED_EDGES
    keys = {r["step"]: r["keys"] for r in rows}
    assert keys["ans_newtask"] == TASK  # newtask hands out tasks without links
    assert keys["shape_users_anonymous"] == ["locale", "name"]
    for step in ("bad_body_list", "bad_body_null", "bad_deep_nesting", "publish_page_not_ready"):
        assert keys[step] == FLASK_SHAPE, step
    upload = next(r for r in rows if r["step"] == "helpingmaterial_upload")
    assert upload["info_keys"] == ["container", "file_name", "kind"]
    keyset = next(r for r in rows if r["step"] == "task_keyset_page")
    assert keyset["count"] == 2


@pytest.mark.local_only(reason="needs a second, non-admin user")
def test_conformance_script_as_a_non_admin_owner(
    local_server: LocalServer, other_api_key: str
) -> None:
    rows = conformance(local_server.url, local_server.api_key, "--other-api-key", other_api_key)
    assert edges(rows)[-len(EXPECTED_OWNER) :] == EXPECTED_OWNER
