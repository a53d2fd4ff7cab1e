"""A project whose tasks volunteers answered, for the tests of what answers forbid.

PYBOSSA 4.0.2 lets only an admin delete a task that has a result; a non-admin owner gets 403.
Shared by tests/sync/test_prune_results.py and tests/watch (tests/ is on sys.path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pbclient.client import Client


def write_folder(folder: Path, short_name: str, rows: int) -> Path:
    """A project folder with `rows` tasks, each done after one answer (`n_answers` 1)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Results {short_name}"\nshort_name = "{short_name}"\n'
        'description = "d"\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text("<p>hi</p>\n", encoding="utf-8")
    lines = ["url,n_answers", *[f"https://example.org/{i}.png,1" for i in range(rows)]]
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def answer_one(client: Client, project_id: int) -> int:
    """One volunteer answer to the task PYBOSSA hands out; with n_answers 1 it makes a result."""
    task = client.request("GET", f"/api/project/{project_id}/newtask")
    body = {"project_id": project_id, "task_id": task["id"], "info": {"answer": "yes"}}
    client.request("POST", "/api/taskrun", json=body)
    return int(task["id"])


def results_of(client: Client, project_id: int) -> list[dict[str, Any]]:
    """The project's results."""
    params = {"project_id": project_id, "all": 1}  # `all`: an admin's list is not owner-filtered
    return list(client.request("GET", "/api/result", params=params))


def task_ids_of(client: Client, project_id: int) -> list[int]:
    """The ids of the project's tasks (up to 100), ascending."""
    params = {"project_id": project_id, "limit": 100, "all": 1}
    rows = client.request("GET", "/api/task", params=params)
    return sorted(int(r["id"]) for r in rows)
