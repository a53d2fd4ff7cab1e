"""The legacy module API seen through `pbclient.requests`, the way users' own suites test it.

These tests patch `pbclient.requests.get` / `.post` / `.put` / `.delete` with fakes that have only
`.text`, `.status_code` and `.headers` (as pybossa-client's own suite and its users' suites do), and
check the exact calls the legacy functions make and what they return. No server is involved: this is
the hook contract that existing suites rely on.
"""

from __future__ import annotations

import copy
import json
import logging
import pickle
from collections import namedtuple
from typing import Any, ClassVar
from unittest.mock import patch

import pytest

import pbclient

FakeRequest = namedtuple("FakeRequest", ["text", "status_code", "headers"])

ENDPOINT = "http://localhost:5000"
ERRORS = {"Unauthorized": 401, "NotFound": 404, "Forbidden": 403, "TypeError": 415}


class LegacyClientTest:
    """Shared fixtures and helpers, as in pybossa-client's test base."""

    project: ClassVar[dict[str, Any]] = dict(
        info={"task_presenter": "<div></div>"},
        description="description",
        short_name="slug",
        owner_id=1,
        category_id=1,
        id=1,
        created="2024-01-01T00:00:00",
        updated="2024-01-02T00:00:00",
        secret_key="s3cret",
        published=False,
        contacted=False,
        link="<link rel='self' title='project' href='http://localhost:5000/api/project/1'/>",
        long_description="long_description",
        name="test",
    )
    category: ClassVar[dict[str, Any]] = dict(
        description="description", short_name="slug", id=1, name="test"
    )
    task: ClassVar[dict[str, Any]] = dict(
        info={"url": "a.png"},
        n_answers=30,
        quorum=0,
        calibration=0,
        priority_0=0.0,
        project_id=1,
        state="ongoing",
        fav_user_ids=None,
        created="2024-01-01T00:00:00",
        id=1,
    )
    taskrun: ClassVar[dict[str, Any]] = dict(
        info="yes", task_id=1, project_id=1, id=1, created="c", finish_time="f", user_id=None
    )
    result: ClassVar[dict[str, Any]] = dict(
        info={"answer": "yes"},
        id=1,
        project_id=1,
        task_id=1,
        task_run_ids=[1, 2],
        created="c",
        last_version=True,
    )
    helpingmaterial: ClassVar[dict[str, Any]] = dict(
        id=1, project_id=1, info={"name": "map"}, media_url="http://x/m.png", created="c"
    )

    def setup_method(self) -> None:
        self.client = pbclient
        self.client.set("endpoint", ENDPOINT)
        self.client.set("api_key", "tester")

    def create_fake_request(self, data: Any, status: int, headers: Any = None) -> FakeRequest:
        return FakeRequest(
            json.dumps(data), status, headers or {"content-type": "application/json"}
        )

    def create_error_output(self, action: str, status_code: int, target: str, exception_cls: str):
        return dict(
            action=action,
            status="failed",
            status_code=status_code,
            target=target,
            exception_cls=exception_cls,
            exception_msg="message",
        )

    def check_errors(self, mock: Any, action: str, target: str, call: Any) -> None:
        """Every PYBOSSA error dict comes back as is, not raised."""
        for exception_cls, status in ERRORS.items():
            err = self.create_error_output(action, status, target, exception_cls)
            mock.return_value = self.create_fake_request(err, status)
            assert call() == err


class TestConfiguration(LegacyClientTest):
    def test_set_stores_into_the_same_opts_dict(self) -> None:
        opts = pbclient._opts
        pbclient.set("endpoint", "http://example.org")
        assert pbclient._opts is opts
        assert opts["endpoint"] == "http://example.org"

    @patch("pbclient.requests.get")
    def test_rebinding_opts_takes_effect(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([], 200)
        saved = pbclient._opts
        pbclient._opts = {"endpoint": "http://other:1"}
        try:
            self.client.find_project(short_name="x")
        finally:
            pbclient._opts = saved
        Mock.assert_called_once_with("http://other:1/api/project", params={"short_name": "x"})

    @patch("pbclient.requests.get")
    def test_no_api_key_means_no_api_key_param(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([], 200)
        del pbclient._opts["api_key"]
        self.client.get_projects(limit=5, last_id=3)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/project", params={"limit": 5, "last_id": 3}
        )

    @patch("pbclient.requests.get")
    def test_key_does_not_leak_between_calls(self, Mock: Any) -> None:
        """3.0.0 kept a shared default params dict: a key once set stayed in later calls."""
        Mock.return_value = self.create_fake_request([], 200)
        self.client.find_project(short_name="a")
        del pbclient._opts["api_key"]
        self.client.find_project(short_name="b")
        Mock.assert_called_with("http://localhost:5000/api/project", params={"short_name": "b"})

    @patch("pbclient.requests.get")
    def test_keyset_hint_is_logged_not_printed(
        self, Mock: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        Mock.return_value = self.create_fake_request([], 200)
        with caplog.at_level(logging.INFO, logger="pbclient"):
            self.client.get_tasks(1)
            self.client.get_tasks(1, last_id=5)
        assert capsys.readouterr().out == ""
        hints = [r for r in caplog.records if "last_id" in r.getMessage()]
        assert len(hints) == 1
        assert "get_tasks" in hints[0].getMessage()


class TestProject(LegacyClientTest):
    @patch("pbclient.requests.get")
    def test_get_projects(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([self.project], 200)
        projects = self.client.get_projects()
        Mock.assert_called_once_with(
            "http://localhost:5000/api/project",
            params={"limit": 100, "offset": 0, "api_key": "tester"},
        )
        assert len(projects) == 1
        assert isinstance(projects[0], pbclient.Project)
        assert projects[0].short_name == "slug"

    @patch("pbclient.requests.get")
    def test_get_projects_with_keyset_pagination(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([], 200)
        assert self.client.get_projects(limit=3, offset=9, last_id=1) == []
        Mock.assert_called_once_with(
            "http://localhost:5000/api/project",
            params={"limit": 3, "last_id": 1, "api_key": "tester"},
        )

    @patch("pbclient.requests.get")
    def test_get_projects_raises_type_error_on_an_error_dict(self, Mock: Any) -> None:
        err = self.create_error_output("GET", 401, "project", "Unauthorized")
        Mock.return_value = self.create_fake_request(err, 401)
        with pytest.raises(TypeError):
            self.client.get_projects()

    @patch("pbclient.requests.get")
    def test_get_project(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.project, 200)
        project = self.client.get_project(1)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/project/1", params={"api_key": "tester"}
        )
        assert project.id == 1
        assert project.short_name == "slug"
        assert repr(project) == 'pybossa.Project("slug", 1)'

    @patch("pbclient.requests.get")
    def test_get_project_errors(self, Mock: Any) -> None:
        self.check_errors(Mock, "GET", "project", lambda: self.client.get_project(1))

    @patch("pbclient.requests.get")
    def test_get_project_body_404(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request("404", 404, "text/html")
        assert self.client.get_project(1) == "404"

    @patch("pbclient.requests.get")
    def test_find_project(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([self.project], 200)
        projects = self.client.find_project(short_name="slug", all=1)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/project",
            params={"short_name": "slug", "all": 1, "api_key": "tester"},
        )
        assert [p.id for p in projects] == [1]

    @patch("pbclient.requests.get")
    def test_find_project_errors(self, Mock: Any) -> None:
        self.check_errors(Mock, "GET", "project", lambda: self.client.find_project(short_name="x"))

    @patch("pbclient.requests.post")
    def test_create_project(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.project, 200)
        project = self.client.create_project("test", "slug", "description")
        Mock.assert_called_once_with(
            "http://localhost:5000/api/project",
            params={"api_key": "tester"},
            headers={"content-type": "application/json"},
            data=json.dumps({"name": "test", "short_name": "slug", "description": "description"}),
        )
        assert project.id == 1

    @patch("pbclient.requests.post")
    def test_create_project_errors(self, Mock: Any) -> None:
        self.check_errors(
            Mock, "POST", "project", lambda: self.client.create_project("n", "s", "d")
        )

    @patch("pbclient.requests.put")
    def test_update_project_sends_data_without_reserved_keys(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.project, 200)
        project = pbclient.Project(copy.deepcopy(self.project))
        updated = self.client.update_project(project)
        (url,), kwargs = Mock.call_args
        assert url == "http://localhost:5000/api/project/1"
        assert kwargs["params"] == {"api_key": "tester"}
        sent = json.loads(kwargs["data"])
        reserved = {"id", "created", "updated", "completed", "contacted", "published", "secret_key"}
        assert sent == {k: v for k, v in self.project.items() if k not in reserved}
        assert updated == pbclient.Project(self.project)

    @patch("pbclient.requests.put")
    def test_update_project_keeps_the_callers_object_whole(self, Mock: Any) -> None:
        """3.0.0 popped the reserved keys from the caller's object, so `project.id` broke."""
        Mock.return_value = self.create_fake_request(self.project, 200)
        project = pbclient.Project(copy.deepcopy(self.project))
        self.client.update_project(project)
        self.client.update_project(project)
        assert project.data == self.project
        assert project.id == 1

    @patch("pbclient.requests.put")
    def test_update_project_errors(self, Mock: Any) -> None:
        project = pbclient.Project(dict(self.project))
        self.check_errors(Mock, "PUT", "project", lambda: self.client.update_project(project))

    @patch("pbclient.requests.delete")
    def test_delete_project(self, Mock: Any) -> None:
        Mock.return_value = FakeRequest("", 204, "text/html")
        assert self.client.delete_project(1) is True
        (url,), kwargs = Mock.call_args
        assert url == "http://localhost:5000/api/project/1"
        assert kwargs["params"] == {"api_key": "tester"}
        Mock.return_value = self.create_fake_request("", 204, "text/html")
        assert self.client.delete_project(1) is True

    @patch("pbclient.requests.delete")
    def test_delete_project_errors(self, Mock: Any) -> None:
        self.check_errors(Mock, "DELETE", "project", lambda: self.client.delete_project(1))

    @patch("pbclient.requests.get")
    def test_non_json_error_body_becomes_an_error_dict(self, Mock: Any) -> None:
        Mock.return_value = FakeRequest("<html><h1>Internal Server Error</h1></html>", 500, "")
        err = self.client.get_project(1)
        assert err["status"] == "failed"
        assert err["status_code"] == 500
        assert err["exception_cls"] == "HTTPError"
        assert err["action"] == "GET"
        assert err["target"] == "project"


class TestCategory(LegacyClientTest):
    @patch("pbclient.requests.get")
    def test_get_categories(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([self.category], 200)
        categories = self.client.get_categories()
        Mock.assert_called_once_with(
            "http://localhost:5000/api/category",
            params={"limit": 20, "offset": 0, "api_key": "tester"},
        )
        assert categories == [pbclient.Category(self.category)]
        assert repr(categories[0]) == 'pybossa.Category("slug", 1)'

    @patch("pbclient.requests.get")
    def test_get_categories_keyset_and_type_error(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([], 200)
        self.client.get_categories(limit=2, last_id=7)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/category",
            params={"limit": 2, "last_id": 7, "api_key": "tester"},
        )
        err = self.create_error_output("GET", 404, "category", "NotFound")
        Mock.return_value = self.create_fake_request(err, 404)
        with pytest.raises(TypeError):
            self.client.get_categories()

    @patch("pbclient.requests.get")
    def test_get_and_find_category(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.category, 200)
        assert self.client.get_category(1).name == "test"
        Mock.assert_called_with(
            "http://localhost:5000/api/category/1", params={"api_key": "tester"}
        )
        Mock.return_value = self.create_fake_request([self.category], 200)
        assert self.client.find_category(short_name="slug")[0].id == 1
        Mock.assert_called_with(
            "http://localhost:5000/api/category",
            params={"short_name": "slug", "api_key": "tester"},
        )
        self.check_errors(Mock, "GET", "category", lambda: self.client.find_category(name="x"))
        self.check_errors(Mock, "GET", "category", lambda: self.client.get_category(1))

    @patch("pbclient.requests.post")
    def test_create_category(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.category, 200)
        category = self.client.create_category("My Category", "description")
        body = json.loads(Mock.call_args.kwargs["data"])
        assert body == {
            "name": "My Category",
            "short_name": "mycategory",
            "description": "description",
        }
        assert category.id == 1
        forbidden = self.create_error_output("POST", 403, "category", "Forbidden")
        Mock.return_value = self.create_fake_request(forbidden, 403)
        assert self.client.create_category("x", "y") == forbidden

    @patch("pbclient.requests.put")
    def test_update_category_sends_all_data(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.category, 200)
        category = self.client.update_category(pbclient.Category(dict(self.category)))
        assert Mock.call_args.args == ("http://localhost:5000/api/category/1",)
        assert json.loads(Mock.call_args.kwargs["data"]) == self.category
        assert category.short_name == "slug"

    @patch("pbclient.requests.put")
    def test_update_retries_once_without_keys_the_server_reserves(self, Mock: Any) -> None:
        """A server refusing id/created in a category PUT gets the body again without them."""
        refused = self.create_error_output("PUT", 400, "category", "BadRequest")
        refused["exception_msg"] = "Reserved keys in payload"
        category = dict(self.category, created="c")
        Mock.side_effect = [
            self.create_fake_request(refused, 400),
            self.create_fake_request(category, 200),
        ]
        updated = self.client.update_category(pbclient.Category(dict(category)))
        first, second = (json.loads(c.kwargs["data"]) for c in Mock.call_args_list)
        assert first == category
        assert second == {k: v for k, v in category.items() if k not in ("id", "created")}
        assert updated == pbclient.Category(category)

    @patch("pbclient.requests.put")
    def test_update_category_is_duck_typed(self, Mock: Any) -> None:
        """Only .id, .data and .reserved_keys are used: a Project object works too."""
        Mock.return_value = self.create_fake_request(self.category, 200)
        self.client.update_category(pbclient.Project(dict(self.project)))
        assert Mock.call_args.args == ("http://localhost:5000/api/category/1",)

    @patch("pbclient.requests.delete")
    def test_delete_category(self, Mock: Any) -> None:
        Mock.return_value = FakeRequest("", 204, "text/html")
        assert self.client.delete_category(2) is True
        assert Mock.call_args.args == ("http://localhost:5000/api/category/2",)
        self.check_errors(Mock, "DELETE", "category", lambda: self.client.delete_category(2))


class TestTask(LegacyClientTest):
    @patch("pbclient.requests.get")
    def test_get_tasks(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([self.task], 200)
        tasks = self.client.get_tasks(1)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/task",
            params={"limit": 100, "offset": 0, "project_id": 1, "api_key": "tester"},
        )
        assert tasks[0].id == 1
        assert repr(tasks[0]) == "pybossa.Task(1)"

    @patch("pbclient.requests.get")
    def test_get_tasks_with_keyset_pagination(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([], 200)
        self.client.get_tasks(1, limit=3, last_id=1)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/task",
            params={"limit": 3, "last_id": 1, "project_id": 1, "api_key": "tester"},
        )

    @patch("pbclient.requests.get")
    def test_get_tasks_errors_are_returned(self, Mock: Any) -> None:
        self.check_errors(Mock, "GET", "task", lambda: self.client.get_tasks(1))

    @patch("pbclient.requests.get")
    def test_find_tasks(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([self.task], 200)
        tasks = self.client.find_tasks(1, state="ongoing", info="url::a.png")
        Mock.assert_called_once_with(
            "http://localhost:5000/api/task",
            params={"state": "ongoing", "info": "url::a.png", "project_id": 1, "api_key": "tester"},
        )
        assert tasks == [pbclient.Task(self.task)]
        Mock.return_value = self.create_fake_request([self.task], 200)
        assert self.client.find_tasks(project_id=1)[0].project_id == 1
        self.check_errors(Mock, "GET", "task", lambda: self.client.find_tasks(1))

    @patch("pbclient.requests.get")
    def test_get_task(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.task, 200)
        assert self.client.get_task(1) == pbclient.Task(self.task)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/task/1", params={"api_key": "tester"}
        )

    @patch("pbclient.requests.post")
    def test_create_task(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.task, 200)
        task = self.client.create_task(1, {"url": "a.png"}, n_answers=2, priority_0=0.5, quorum=1)
        assert Mock.call_args.args == ("http://localhost:5000/api/task",)
        assert Mock.call_args.kwargs["params"] == {"api_key": "tester"}
        assert json.loads(Mock.call_args.kwargs["data"]) == {
            "project_id": 1,
            "info": {"url": "a.png"},
            "calibration": 0,
            "priority_0": 0.5,
            "n_answers": 2,
            "quorum": 1,
        }
        assert task.id == 1

    @patch("pbclient.requests.post")
    def test_create_task_defaults_and_errors(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.task, 200)
        self.client.create_task(1, {"x": 1})
        body = json.loads(Mock.call_args.kwargs["data"])
        assert (body["n_answers"], body["priority_0"], body["quorum"]) == (30, 0, 0)
        self.check_errors(Mock, "POST", "task", lambda: self.client.create_task(1, {"x": 1}))

    @patch("pbclient.requests.put")
    def test_update_task(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.task, 200)
        task = pbclient.Task(dict(self.task))
        task.n_answers = 5
        updated = self.client.update_task(task)
        assert Mock.call_args.args == ("http://localhost:5000/api/task/1",)
        sent = json.loads(Mock.call_args.kwargs["data"])
        assert sent == {
            "info": {"url": "a.png"},
            "n_answers": 5,
            "quorum": 0,
            "calibration": 0,
            "priority_0": 0.0,
            "project_id": 1,
        }
        assert task.id == 1 and task.state == "ongoing"
        assert updated.id == 1
        self.check_errors(Mock, "PUT", "task", lambda: self.client.update_task(task))

    @patch("pbclient.requests.delete")
    def test_delete_task(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request("", 204, "text/html")
        assert self.client.delete_task(1) is True
        assert Mock.call_args.args == ("http://localhost:5000/api/task/1",)
        self.check_errors(Mock, "DELETE", "task", lambda: self.client.delete_task(1))


class TestTaskRunAndResult(LegacyClientTest):
    @patch("pbclient.requests.get")
    def test_get_taskruns(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([self.taskrun], 200)
        runs = self.client.get_taskruns(1, limit=3, last_id=1)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/taskrun",
            params={"limit": 3, "last_id": 1, "project_id": 1, "api_key": "tester"},
        )
        assert repr(runs[0]) == "pybossa.TaskRun(1)"

    @patch("pbclient.requests.get")
    def test_get_taskruns_raises_type_error_on_errors(self, Mock: Any) -> None:
        err = self.create_error_output("GET", 401, "taskrun", "Unauthorized")
        Mock.return_value = self.create_fake_request(err, 401)
        with pytest.raises(TypeError):
            self.client.get_taskruns(1)

    @patch("pbclient.requests.get")
    def test_find_taskruns(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([self.taskrun], 200)
        runs = self.client.find_taskruns(1, task_id=1)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/taskrun",
            params={"task_id": 1, "project_id": 1, "api_key": "tester"},
        )
        assert runs[0].info == "yes"
        self.check_errors(Mock, "GET", "taskrun", lambda: self.client.find_taskruns(1))

    @patch("pbclient.requests.delete")
    def test_delete_taskrun(self, Mock: Any) -> None:
        Mock.return_value = FakeRequest("", 204, "text/html")
        assert self.client.delete_taskrun(3) is True
        assert Mock.call_args.args == ("http://localhost:5000/api/taskrun/3",)
        self.check_errors(Mock, "DELETE", "taskrun", lambda: self.client.delete_taskrun(3))

    @patch("pbclient.requests.get")
    def test_get_results(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([self.result], 200)
        results = self.client.get_results(1)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/result",
            params={"limit": 100, "offset": 0, "project_id": 1, "api_key": "tester"},
        )
        assert repr(results[0]) == "pybossa.Result(1)"
        self.check_errors(Mock, "GET", "result", lambda: self.client.get_results(1))

    @patch("pbclient.requests.get")
    def test_find_results(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([self.result], 200)
        results = self.client.find_results(1, task_id=1)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/result",
            params={"task_id": 1, "project_id": 1, "api_key": "tester"},
        )
        assert results[0].task_run_ids == [1, 2]
        self.check_errors(Mock, "GET", "result", lambda: self.client.find_results(1))

    @patch("pbclient.requests.put")
    def test_update_result(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.result, 200)
        result = pbclient.Result(dict(self.result))
        result.info = {"answer": "no"}
        updated = self.client.update_result(result)
        assert Mock.call_args.args == ("http://localhost:5000/api/result/1",)
        assert json.loads(Mock.call_args.kwargs["data"]) == {"info": {"answer": "no"}}
        assert updated.id == 1 and result.task_id == 1
        self.check_errors(Mock, "PUT", "result", lambda: self.client.update_result(result))


class TestHelpingMaterial(LegacyClientTest):
    @patch("pbclient.requests.post")
    def test_create_helpingmaterial_sends_media_url(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.helpingmaterial, 200)
        hm = self.client.create_helpingmaterial(1, {"name": "map"}, media_url="http://x/m.png")
        assert Mock.call_args.args == ("http://localhost:5000/api/helpingmaterial",)
        assert json.loads(Mock.call_args.kwargs["data"]) == {
            "project_id": 1,
            "info": {"name": "map"},
            "media_url": "http://x/m.png",
        }
        assert hm.media_url == "http://x/m.png"
        assert repr(hm) == "pybossa.HelpingMaterial(1)"

    @patch("pbclient.requests.post")
    def test_create_helpingmaterial_uploads_file_with_info_and_closes_it(
        self, Mock: Any, tmp_path: Any
    ) -> None:
        path = tmp_path / "map.png"
        path.write_bytes(b"\x89PNG")
        Mock.return_value = self.create_fake_request(self.helpingmaterial, 200)
        hm = self.client.create_helpingmaterial(1, {"name": "map"}, file_path=str(path))
        kwargs = Mock.call_args.kwargs
        assert kwargs["params"] == {"api_key": "tester"}
        assert kwargs["data"]["project_id"] == 1
        assert json.loads(kwargs["data"]["info"]) == {"name": "map"}
        handle = kwargs["files"]["file"]
        assert handle.name == str(path)
        assert handle.closed
        assert hm.id == 1

    @patch("pbclient.requests.post")
    def test_create_helpingmaterial_with_files_mapping(self, Mock: Any, tmp_path: Any) -> None:
        """The upstream README passes files={'file': open(path, 'rb')}."""
        path = tmp_path / "map.png"
        path.write_bytes(b"\x89PNG")
        Mock.return_value = self.create_fake_request(self.helpingmaterial, 200)
        handle = open(path, "rb")  # noqa: SIM115 - the README's own call shape
        hm = self.client.create_helpingmaterial(1, {"name": "map"}, files={"file": handle})
        assert Mock.call_args.kwargs["files"] == {"file": handle}
        assert handle.closed
        assert hm.media_url == "http://x/m.png"

    @patch("pbclient.requests.post")
    def test_create_helpingmaterial_errors(self, Mock: Any) -> None:
        self.check_errors(
            Mock, "POST", "helpingmaterial", lambda: self.client.create_helpingmaterial(1, {})
        )

    @patch("pbclient.requests.get")
    def test_get_helping_materials(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([self.helpingmaterial], 200)
        res = self.client.get_helping_materials(1)
        assert res[0].project_id == 1
        Mock.assert_called_once_with(
            "http://localhost:5000/api/helpingmaterial",
            params={"limit": 100, "offset": 0, "project_id": 1, "api_key": "tester"},
        )

    @patch("pbclient.requests.get")
    def test_get_helping_materials_with_keyset_pagination(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([], 200)
        self.client.get_helping_materials(1, last_id=1, limit=3)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/helpingmaterial",
            params={"api_key": "tester", "project_id": 1, "limit": 3, "last_id": 1},
        )
        self.check_errors(
            Mock, "GET", "helpingmaterial", lambda: self.client.get_helping_materials(1)
        )

    @patch("pbclient.requests.get")
    def test_find_helping_materials(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request([self.helpingmaterial], 200)
        res = self.client.find_helping_materials(1, id=1)
        Mock.assert_called_once_with(
            "http://localhost:5000/api/helpingmaterial",
            params={"id": 1, "project_id": 1, "api_key": "tester"},
        )
        assert res[0].info == {"name": "map"}
        self.check_errors(
            Mock, "GET", "helpingmaterial", lambda: self.client.find_helping_materials(1)
        )

    @patch("pbclient.requests.put")
    def test_update_helping_material_and_readme_alias(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.helpingmaterial, 200)
        hm = pbclient.HelpingMaterial(dict(self.helpingmaterial))
        for update in (self.client.update_helping_material, self.client.update_helpingmaterial):
            updated = update(hm)
            assert Mock.call_args.args == ("http://localhost:5000/api/helpingmaterial/1",)
            assert json.loads(Mock.call_args.kwargs["data"]) == {
                "project_id": 1,
                "info": {"name": "map"},
                "media_url": "http://x/m.png",
            }
            assert updated == hm
        self.check_errors(
            Mock, "PUT", "helpingmaterial", lambda: self.client.update_helping_material(hm)
        )

    @patch("pbclient.requests.delete")
    def test_delete_helping_material(self, Mock: Any) -> None:
        Mock.return_value = FakeRequest("", 204, "text/html")
        assert self.client.delete_helping_material(4) is True
        assert Mock.call_args.args == ("http://localhost:5000/api/helpingmaterial/4",)


class TestDomainObject(LegacyClientTest):
    def test_attribute_access_reads_and_writes_data(self) -> None:
        data = dict(self.project)
        project = pbclient.Project(data)
        assert project.data is data
        project.name = "renamed"
        assert data["name"] == "renamed"
        project.data = {"id": 2}
        assert project.id == 2

    def test_unknown_attributes_raise(self) -> None:
        project = pbclient.Project({"id": 1})
        with pytest.raises(AttributeError, match="unknown attribute: nope"):
            _ = project.nope
        with pytest.raises(AttributeError, match="unknown attribute: nope"):
            project.nope = 1

    def test_reserved_keys(self) -> None:
        assert set(pbclient.Project.reserved_keys.keys()) == {
            "id",
            "created",
            "updated",
            "completed",
            "contacted",
            "published",
            "secret_key",
        }
        assert set(pbclient.Task.reserved_keys.keys()) == {"id", "created", "state", "fav_user_ids"}
        assert set(pbclient.TaskRun.reserved_keys.keys()) == {"id", "created", "finish_time"}
        assert set(pbclient.HelpingMaterial.reserved_keys.keys()) == {"id", "created"}
        assert set(pbclient.Category.reserved_keys.keys()) == set()
        assert set(pbclient.Result.reserved_keys.keys()) == {
            "id",
            "created",
            "project_id",
            "task_id",
            "task_run_ids",
            "last_version",
        }

    def test_forbidden_attributes_leaves_the_object_alone(self) -> None:
        task = pbclient.Task(dict(self.task))
        stripped = pbclient._forbidden_attributes(task)
        assert "id" not in stripped.data and "state" not in stripped.data
        assert task.data == self.task

    def test_repr_never_raises(self) -> None:
        assert repr(pbclient.Project({})) == 'pybossa.Project("None", None)'
        assert repr(pbclient.Category({"id": 3})) == 'pybossa.Category("None", 3)'
        assert repr(pbclient.Task({})) == "pybossa.Task(None)"
        assert repr(pbclient.Task(None)) == "pybossa.Task(None)"

    def test_equality_hash_copy_and_pickle(self) -> None:
        project = pbclient.Project(dict(self.project))
        same = pbclient.Project(dict(self.project))
        assert project == same and hash(project) == hash(same)
        assert project != pbclient.Category(dict(self.project))
        assert copy.copy(project) == project
        deep = copy.deepcopy(project)
        assert deep == project and deep.data is not project.data
        assert pickle.loads(pickle.dumps(project)) == project
        assert len({project, same}) == 1

    @patch("pbclient.requests.get")
    def test_readme_offset_and_keyset_pages_compare_equal(self, Mock: Any) -> None:
        page = [
            dict(self.project, id=3, short_name="p3"),
            dict(self.project, id=4, short_name="p4"),
        ]
        Mock.return_value = self.create_fake_request(page, 200)
        projects = self.client.get_projects(limit=2, offset=2)
        projects_with_last_id = self.client.get_projects(limit=2, last_id=2)
        assert projects == projects_with_last_id
        assert repr(projects) == '[pybossa.Project("p3", 3), pybossa.Project("p4", 4)]'


class TestExactCallShapes(LegacyClientTest):
    """The hook sees exactly the calls 3.0.0 made, so `assert_called_once_with` suites pass."""

    JSON: ClassVar[dict[str, str]] = {"content-type": "application/json"}

    @patch("pbclient.requests.post")
    def test_post_put_delete_as_3_0_0_called_them(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.task, 200)
        self.client.create_task(1, {"url": "a.png"})
        body = {"project_id": 1, "info": {"url": "a.png"}, "calibration": 0, "priority_0": 0,
                "n_answers": 30, "quorum": 0}  # fmt: skip
        Mock.assert_called_once_with(
            f"{ENDPOINT}/api/task",
            params={"api_key": "tester"},
            headers=self.JSON,
            data=json.dumps(body),
        )
        with patch("pbclient.requests.put") as put:
            put.return_value = self.create_fake_request(self.category, 200)
            self.client.update_category(pbclient.Category(dict(self.category)))
            put.assert_called_once_with(
                f"{ENDPOINT}/api/category/1",
                params={"api_key": "tester"},
                headers=self.JSON,
                data=json.dumps(self.category),
            )
        with patch("pbclient.requests.delete") as delete:
            delete.return_value = FakeRequest("", 204, "text/html")
            self.client.delete_project(7)
            delete.assert_called_once_with(
                f"{ENDPOINT}/api/project/7",
                params={"api_key": "tester"},
                headers=self.JSON,
                data="null",
            )

    @patch("pbclient.requests.get")
    def test_get_without_a_key_sends_empty_params(self, Mock: Any) -> None:
        del pbclient._opts["api_key"]
        Mock.return_value = self.create_fake_request(self.project, 200)
        self.client.get_project(1)
        Mock.assert_called_once_with(f"{ENDPOINT}/api/project/1", params={})

    def test_patching_the_requests_module_reaches_the_legacy_functions(self) -> None:
        """In 3.0.0 `pbclient.requests` was the requests module: `patch('requests.get')` hit it."""
        with patch("requests.get") as get, patch("requests.post") as post:
            get.return_value = self.create_fake_request([self.project], 200)
            post.return_value = self.create_fake_request(self.project, 200)
            projects = self.client.find_project(short_name="slug")
            created = self.client.create_project("test", "slug", "description")
        get.assert_called_once_with(
            f"{ENDPOINT}/api/project", params={"short_name": "slug", "api_key": "tester"}
        )
        body = {"name": "test", "short_name": "slug", "description": "description"}
        post.assert_called_once_with(
            f"{ENDPOINT}/api/project",
            params={"api_key": "tester"},
            headers=self.JSON,
            data=json.dumps(body),
        )
        assert projects[0].id == 1 and created.id == 1


class TestPrivateRequestFunction(LegacyClientTest):
    """Scripts call 3.0.0's `_pybossa_req` for what the API lacks (posting task runs)."""

    @patch("pbclient.requests.post")
    def test_scripts_post_task_runs_through_it(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.taskrun, 200)
        body = {"project_id": 1, "task_id": 1, "info": "yes"}
        assert self.client._pybossa_req("post", "taskrun", payload=body) == self.taskrun
        Mock.assert_called_once_with(
            f"{ENDPOINT}/api/taskrun",
            params={"api_key": "tester"},
            headers={"content-type": "application/json"},
            data=json.dumps(body),
        )

    @patch("pbclient.requests.get")
    def test_id_may_be_a_path(self, Mock: Any) -> None:
        Mock.return_value = self.create_fake_request(self.task, 200)
        assert self.client._pybossa_req("get", "project", "1/newtask") == self.task
        Mock.assert_called_once_with(
            f"{ENDPOINT}/api/project/1/newtask", params={"api_key": "tester"}
        )

    def test_patching_it_reaches_every_legacy_function(self) -> None:
        with patch("pbclient._pybossa_req") as Mock:
            Mock.return_value = dict(self.project)
            project = self.client.get_project(1)
            Mock.assert_called_once_with("get", "project", 1)
            Mock.return_value = [dict(self.task)]
            tasks = self.client.get_tasks(1, limit=3, last_id=1)
            Mock.assert_called_with(
                "get", "task", params={"limit": 3, "last_id": 1, "project_id": 1}
            )
        assert project.id == 1 and tasks[0].id == 1
