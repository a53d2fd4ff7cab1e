#!/usr/bin/env python3
"""Send a short series of requests to any PYBOSSA and print what came back.

For each step it prints the status code, the sorted JSON keys (of the first item for lists) and,
for errors, `exception_cls`, so the local server (`pbsync serve`) can be compared with a real
PYBOSSA line by line. Everything it creates uses a `pbsynctest` short name and is deleted at the
end.

    python scripts/api_conformance.py --endpoint http://127.0.0.1:5000 --api-key KEY [--json]
        [--other-api-key KEY2]

The key must be an admin's (the answers steps delete an answered task, which only an admin may);
`--other-api-key`, a non-admin's, adds the steps of a non-admin owner. Some steps add a `note`: a
value the step is about (a link's rel, a stored quorum, a redirect's path).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import requests

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


INT_BIG = "9" * 30


def outcome(step: str, resp: requests.Response, note: Any = None) -> dict[str, Any]:
    """Summarise one answer: status, sorted keys, error class, list length, `note` if given."""
    row: dict[str, Any] = {"step": step, "status": resp.status_code, "keys": []}
    if note is not None:
        row["note"] = note
    try:
        body = resp.json() if resp.content else None
    except ValueError:
        body = None
        row["content_type"] = resp.headers.get("Content-Type", "").split(";")[0]
    if isinstance(body, list):
        row["count"] = len(body)
        body = body[0] if body else None
    if isinstance(body, dict):
        row["keys"] = sorted(body)
        if "exception_cls" in body:
            row["exception_cls"] = body["exception_cls"]
        if isinstance(body.get("info"), dict) and step == "helpingmaterial_upload":
            row["info_keys"] = sorted(body["info"])
    return row


def run(endpoint: str, api_key: str, other_key: str | None = None) -> list[dict[str, Any]]:
    """Run every step against `endpoint` and return their outcomes, in order."""
    endpoint = endpoint.rstrip("/")
    suffix = str(int(time.time() * 1000))[-9:]
    auth = {"Authorization": api_key}
    out: list[dict[str, Any]] = []
    with requests.Session() as s:

        def call(step: str, method: str, path: str, **kwargs: Any) -> requests.Response:
            headers = {**auth, **kwargs.pop("headers", {})}
            if kwargs.pop("anonymous", False):
                headers.pop("Authorization")
            note = kwargs.pop("note", None)
            url = path if path.startswith("http") else endpoint + path
            resp = s.request(method, url, headers=headers, timeout=30, **kwargs)
            out.append(outcome(step, resp, note(resp) if note else None))
            return resp

        cat_body = {"name": f"pbsynctest {suffix}", "short_name": f"pbsynctest{suffix}"}
        category = call(
            "category_create",
            "POST",
            "/api/category",
            json={**cat_body, "description": "conformance"},
        )
        short_name = f"pbsynctest_conf_{suffix}"
        body = {"name": f"Conformance {suffix}", "short_name": short_name, "description": "d"}
        project = call("project_create", "POST", "/api/project", json=body)
        if project.status_code != 200:
            return out
        pid = project.json()["id"]
        for i in range(3):
            call("task_create", "POST", "/api/task", json={"project_id": pid, "info": {"i": i}})
        upload = call(
            "helpingmaterial_upload",
            "POST",
            "/api/helpingmaterial",
            data={"project_id": str(pid), "info": json.dumps({"kind": "example"})},
            files={"file": ("pixel.png", PNG, "image/png")},
        )
        if upload.status_code == 200:
            call("media_get", "GET", upload.json()["media_url"])
        call("bad_key", "POST", "/api/project", json=body, headers={"Authorization": "x-bad"})
        call("duplicate_short_name", "POST", "/api/project", json=body)
        call("reserved_key", "POST", "/api/project", json={**body, "id": 1})
        call("unknown_project", "GET", "/api/project/2147483600")
        first = call("task_list", "GET", "/api/task", params={"project_id": pid, "limit": 1})
        cursor = first.json()[0]["id"] if first.status_code == 200 and first.json() else 0
        params = {"project_id": pid, "last_id": cursor, "limit": 100}
        call("task_keyset_page", "GET", "/api/task", params=params)
        call("project_delete", "DELETE", f"/api/project/{pid}")
        if category.status_code == 200:
            call("category_delete", "DELETE", f"/api/category/{category.json()['id']}")
        answers(call, f"pbsynctest_ans_{suffix}")
        bad_input(call, f"pbsynctest_bad_{suffix}")
        if other_key:
            owned, ids = run_owner(endpoint, other_key, f"pbsynctest_own_{suffix}")
            out += owned
            if ids is not None:
                # what the owner cannot clean, an admin can: the answered task, then the project
                call("own_cleanup_task_by_admin", "DELETE", f"/api/task/{ids[1]}")
                call("own_cleanup_project_by_admin", "DELETE", f"/api/project/{ids[0]}")
    return out


Call = Any  # the `call` closure of `run`


def answered(call: Call, short_name: str, prefix: str) -> tuple[int, int, int, int] | None:
    """Create a project whose one task (n_answers=1) the caller answered; return the ids."""
    body = {"name": short_name, "short_name": short_name, "description": "d"}
    project = call(f"{prefix}_project", "POST", "/api/project", json=body)
    if project.status_code != 200:
        return None
    pid = project.json()["id"]
    presenter = {"info": {"task_presenter": "<p>"}}
    call(f"{prefix}_presenter", "PUT", f"/api/project/{pid}", json=presenter)
    task = call(f"{prefix}_task", "POST", "/api/task", json={"project_id": pid, "n_answers": 1})
    call(f"{prefix}_newtask", "GET", f"/api/project/{pid}/newtask")
    run_body = {"project_id": pid, "task_id": task.json()["id"], "info": {"a": 1}}
    taskrun = call(f"{prefix}_taskrun", "POST", "/api/taskrun", json=run_body)
    results = call(f"{prefix}_results", "GET", "/api/result", params={"project_id": pid})
    if taskrun.status_code != 200 or not results.json():
        return None
    return pid, task.json()["id"], taskrun.json()["id"], results.json()[0]["id"]


def answers(call: Call, short_name: str) -> None:
    """What volunteers' answers forbid, even an admin; an admin deleting the task cascades."""
    ids = answered(call, short_name, "ans")
    if ids is None:
        return
    pid, task_id, run_id, result_id = ids
    call("ans_project_delete", "DELETE", f"/api/project/{pid}")
    call("ans_project_delete_anon", "DELETE", f"/api/project/{pid}", anonymous=True)
    call("ans_result_delete", "DELETE", f"/api/result/{result_id}")
    call("ans_taskrun_put", "PUT", f"/api/taskrun/{run_id}", json={"info": {"b": 1}})
    call("ans_taskrun_delete", "DELETE", f"/api/taskrun/{run_id}")
    call("ans_task_delete_admin", "DELETE", f"/api/task/{task_id}")
    call("ans_result_gone", "GET", f"/api/result/{result_id}")
    call("ans_project_delete_now", "DELETE", f"/api/project/{pid}")


def bad_input(call: Call, short_name: str) -> None:
    """The model's edges: content types, list bodies, ranges, text values, shapes."""
    body = {"name": short_name, "short_name": short_name, "description": "d"}
    raw = json.dumps(body).encode()
    as_json = {"Content-Type": "application/json"}
    for name, data in (("list", b"[1, 2]"), ("empty_list", b"[]"), ("null", b"null")):
        call(f"bad_body_{name}", "POST", "/api/task", data=data, headers=as_json)
    call("bad_deep_nesting", "POST", "/api/task", data=b"[" * 100000, headers=as_json)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    call("bad_form_encoded", "POST", "/api/project", data=raw, headers=form)
    plain = call(
        "bad_text_plain_is_json",
        "POST",
        "/api/project",
        data=raw,
        headers={"Content-Type": "text/plain"},
    )
    for arg in ("last_id", "id", "offset"):
        call(f"bad_{arg}_out_of_range", "GET", "/api/task", params={arg: INT_BIG})
    call("bad_project_id_letters", "GET", "/api/task", params={"project_id": "x", "limit": 1})
    other = {**body, "short_name": short_name + "x", "name": short_name + "x"}
    call("bad_nul_in_name", "POST", "/api/project", json={**other, "name": "a\x00b"})
    lone = (
        b'{"name": "\\ud800", "short_name": "%s", "description": "d"}'
        % other["short_name"].encode()
    )
    call("bad_lone_surrogate", "POST", "/api/project", data=lone, headers=as_json)
    call("bad_name_object", "POST", "/api/project", json={**other, "name": {"a": 1}})
    yes = {**other, "allow_anonymous_contributors": "yes"}
    call("bad_boolean_yes", "POST", "/api/project", json=yes)
    multipart = {"Content-Type": "multipart/form-data; boundary=zz"}
    call("bad_multipart", "POST", "/api/helpingmaterial", data=b"--zz\r\nx", headers=multipart)
    if plain.status_code != 200:
        return
    pid = plain.json()["id"]
    call(
        "shape_project_links",
        "GET",
        f"/api/project/{pid}",
        note=lambda r: [link.split("'")[1] for link in r.json().get("links", [])],
    )
    quorum = {"project_id": pid, "quorum": 1.5}
    call(
        "bad_quorum_fraction",
        "POST",
        "/api/task",
        json=quorum,
        note=lambda r: r.json().get("quorum"),
    )
    call("shape_users_anonymous", "GET", "/api/user", anonymous=True)
    call("shape_globalstats", "GET", "/api/globalstats", note=lambda r: list(r.json()))
    page = f"/project/{short_name}/publish"
    call("publish_page_not_ready", "GET", page, headers=as_json, allow_redirects=False)
    call(
        "publish_page_anonymous",
        "GET",
        page,
        anonymous=True,
        allow_redirects=False,
        note=lambda r: urlsplit(r.headers.get("Location", "")).path,
    )
    call("bad_cleanup", "DELETE", f"/api/project/{pid}")


def run_owner(
    endpoint: str, key: str, short_name: str
) -> tuple[list[dict[str, Any]], tuple[int, int, int, int] | None]:
    """A non-admin owner's answered project: its task, and so the project, cannot be deleted."""
    out: list[dict[str, Any]] = []
    with requests.Session() as s:

        def call(step: str, method: str, path: str, **kwargs: Any) -> requests.Response:
            headers = {"Authorization": key, **kwargs.pop("headers", {})}
            resp = s.request(method, endpoint + path, headers=headers, timeout=30, **kwargs)
            out.append(outcome(step, resp))
            return resp

        ids = answered(call, short_name, "own")
        if ids is not None:
            pid, task_id, run_id, _result_id = ids
            call("own_task_delete", "DELETE", f"/api/task/{task_id}")
            call("own_taskrun_delete", "DELETE", f"/api/taskrun/{run_id}")
            call("own_project_delete", "DELETE", f"/api/project/{pid}")
    return out, ids


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="PYBOSSA API conformance requests")
    parser.add_argument("--endpoint", required=True, help="e.g. http://127.0.0.1:5000")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--other-api-key", help="a non-admin's key: adds a non-admin owner's steps")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args(argv)
    for row in run(args.endpoint, args.api_key, args.other_api_key):
        if args.json:
            print(json.dumps(row))
            continue
        extra = f" {row['exception_cls']}" if "exception_cls" in row else ""
        count = f" count={row['count']}" if "count" in row else ""
        note = f" note={json.dumps(row['note'])}" if "note" in row else ""
        print(f"{row['step']:<24} {row['status']}{extra}{count}{note} {', '.join(row['keys'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
