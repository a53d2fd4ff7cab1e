"""The legacy functions for a project's tasks, task runs and results."""

from __future__ import annotations

import logging
from typing import Any

from pbclient.legacy import (
    create_object,
    delete_object,
    get_object,
    get_objects,
    page_params,
    update_object,
)
from pbclient.legacy_objects import Result, Task, TaskRun

__all__ = [
    "create_task",
    "delete_task",
    "delete_taskrun",
    "find_results",
    "find_taskruns",
    "find_tasks",
    "get_result",
    "get_results",
    "get_task",
    "get_taskrun",
    "get_taskruns",
    "get_tasks",
    "update_result",
    "update_task",
]

log = logging.getLogger(__name__)


def get_tasks(project_id: Any, limit: int = 100, offset: int = 0, last_id: Any = None) -> Any:
    """Return a page of the project's tasks (a non-list answer is returned as is)."""
    params = page_params("get_tasks", limit, offset, last_id, project_id=project_id)
    return get_objects("task", Task, params)


def get_task(task_id: Any) -> Any:
    """Return the task `task_id`, or the server's error dict (new; not in 3.0.0)."""
    return get_object("task", task_id, Task)


def find_tasks(project_id: Any, **kwargs: Any) -> Any:
    """Return the project's tasks matching the keyword filters, or the error dict."""
    params = {**kwargs, "project_id": project_id}
    return get_objects("task", Task, params)


def create_task(
    project_id: Any, info: Any, n_answers: int = 30, priority_0: float = 0, quorum: int = 0
) -> Any:
    """Create a task; return it, or the server's error dict."""
    body = {
        "project_id": project_id,
        "info": info,
        "calibration": 0,
        "priority_0": priority_0,
        "n_answers": n_answers,
        "quorum": quorum,
    }
    return create_object("task", body, Task)


def update_task(task: Any) -> Any:
    """PUT the task's data (minus reserved keys); return the updated task or the error dict."""
    return update_object("task", task, Task, strip=True)


def delete_task(task_id: Any) -> Any:
    """Delete a task; PYBOSSA deletes its task runs with it. Return True or the error dict."""
    return delete_object("task", task_id)


# ---------------------------------------------------------------------------- task runs and results


def get_taskruns(project_id: Any, limit: int = 100, offset: int = 0, last_id: Any = None) -> Any:
    """Return a page of the project's task runs (raises TypeError on a non-list answer)."""
    params = page_params("get_taskruns", limit, offset, last_id, project_id=project_id)
    return get_objects("taskrun", TaskRun, params, strict="get_taskruns")


def get_taskrun(taskrun_id: Any) -> Any:
    """Return the task run `taskrun_id`, or the server's error dict (new; not in 3.0.0)."""
    return get_object("taskrun", taskrun_id, TaskRun)


def find_taskruns(project_id: Any, **kwargs: Any) -> Any:
    """Return the project's task runs matching the keyword filters, or the error dict."""
    params = {**kwargs, "project_id": project_id}
    return get_objects("taskrun", TaskRun, params)


def delete_taskrun(taskrun_id: Any) -> Any:
    """Delete a task run; return True, or the server's error dict."""
    return delete_object("taskrun", taskrun_id)


def get_results(project_id: Any, limit: int = 100, offset: int = 0, last_id: Any = None) -> Any:
    """Return a page of the project's results (a non-list answer is returned as is)."""
    params = page_params("get_results", limit, offset, last_id, project_id=project_id)
    return get_objects("result", Result, params)


def get_result(result_id: Any) -> Any:
    """Return the result `result_id`, or the server's error dict (new; not in 3.0.0)."""
    return get_object("result", result_id, Result)


def find_results(project_id: Any, **kwargs: Any) -> Any:
    """Return the project's results matching the keyword filters, or the error dict."""
    params = {**kwargs, "project_id": project_id}
    return get_objects("result", Result, params)


def update_result(result: Any) -> Any:
    """PUT the result's data (minus reserved keys); return the updated result or the error dict."""
    return update_object("result", result, Result, strip=True)
