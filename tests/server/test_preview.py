"""The presenter preview over HTTP, and what the page's scripts need from the API."""

from __future__ import annotations

from serverkit import Api


def test_one_object_get_ignores_query_arguments(admin: Api) -> None:
    # as PYBOSSA: jQuery's cache: false adds `_=<time>`; a list still refuses unknown arguments
    project = admin.project("pbsynctest")
    task = admin.task(project["id"])
    assert admin.ok("GET", f"/api/task/{task['id']}", params={"_": "123"})["id"] == task["id"]
    listed = admin.get("/api/task", params={"project_id": project["id"], "_": "123"})
    assert listed.status_code == 415
