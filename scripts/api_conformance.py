#!/usr/bin/env python3
"""Send a short series of requests to any PYBOSSA and print what came back.

For each step it prints the status code, the sorted JSON keys (of the first item for lists) and,
for errors, `exception_cls`, so the local server (`pbsync serve`) can be compared with a real
PYBOSSA line by line. Everything it creates uses a `pbsynctest` short name and is deleted at the
end.

    python scripts/api_conformance.py --endpoint http://127.0.0.1:5000 --api-key KEY [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import requests

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def outcome(step: str, resp: requests.Response) -> dict[str, Any]:
    """Summarise one answer: status, sorted keys, error class, list length."""
    row: dict[str, Any] = {"step": step, "status": resp.status_code, "keys": []}
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


def run(endpoint: str, api_key: str) -> list[dict[str, Any]]:
    """Run every step against `endpoint` and return their outcomes, in order."""
    endpoint = endpoint.rstrip("/")
    suffix = str(int(time.time() * 1000))[-9:]
    auth = {"Authorization": api_key}
    out: list[dict[str, Any]] = []
    with requests.Session() as s:

        def call(step: str, method: str, path: str, **kwargs: Any) -> requests.Response:
            headers = {**auth, **kwargs.pop("headers", {})}
            url = path if path.startswith("http") else endpoint + path
            resp = s.request(method, url, headers=headers, timeout=30, **kwargs)
            out.append(outcome(step, resp))
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
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="PYBOSSA API conformance requests")
    parser.add_argument("--endpoint", required=True, help="e.g. http://127.0.0.1:5000")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args(argv)
    for row in run(args.endpoint, args.api_key):
        if args.json:
            print(json.dumps(row))
            continue
        extra = f" {row['exception_cls']}" if "exception_cls" in row else ""
        count = f" count={row['count']}" if "count" in row else ""
        print(f"{row['step']:<24} {row['status']}{extra}{count} {', '.join(row['keys'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
