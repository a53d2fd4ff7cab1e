"""pybossa.js on the preview page, in jsdom: the page is loaded from the session's local server with
its scripts (jQuery, Bootstrap, pybossa.js, the presenter), and its requests go to that server.

Needs `node` and the npm package `jsdom`, found through NODE_PATH; skipped without them:

    npm install --prefix /tmp/jsd jsdom
    NODE_PATH=/tmp/jsd/node_modules pytest tests/server/test_preview_js.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from serverkit import Api

from pbsync.server import LocalServer, workflow

NODE = shutil.which("node")


def has_jsdom() -> bool:
    if NODE is None:
        return False
    probe = subprocess.run([NODE, "-e", "require('jsdom')"], capture_output=True, timeout=30)
    return probe.returncode == 0


pytestmark = [
    pytest.mark.local_only,
    pytest.mark.skipif(not has_jsdom(), reason="needs node with the jsdom package"),
]

#: answers every task it is shown with the task's info.n, and notes what it saw
PRESENTER = """
<div id="out"></div>
<script>
window.seen = {presented: [], paths: [], saved: [], loaded: [], done: false};
pybossa.taskLoaded(function (task, deferred) {
    if (!$.isEmptyObject(task)) { seen.loaded.push(task.id); }
    deferred.resolve(task);
});
pybossa.presentTask(function (task, deferred) {
    seen.paths.push(location.pathname);
    if ($.isEmptyObject(task)) { seen.presented.push(null); seen.done = true; return; }
    seen.presented.push(task.id);
    pybossa.saveTask(task.id, {n: task.info.n}).done(function (run) {
        seen.saved.push([run.task_id, run.info]);
        deferred.resolve();
    });
});
pybossa.run('pbsynctest');
</script>
"""

#: the same page, but the presenter only shows the first task; then the library's other calls
CALLS = """
<script>
window.seen = {done: false};
pybossa.presentTask(function (task, deferred) {
    seen.first = task.id;
    $.when(pybossa.userProgress('pbsynctest'), pybossa.newTask('pbsynctest')).done(function (p, n) {
        seen.progress = p[0];
        seen.newTask = {question: n.question, task: n.task.id};
        seen.ids = [pybossa.getCurrentTaskId('/project/x/task/42'),
                    pybossa.getCurrentTaskId('http://h/pb/project/x/task/7?a=1'),
                    pybossa.getCurrentTaskId('/project/x/newtask'),
                    pybossa.getCurrentTaskId()];
        seen.endpoint = [pybossa.setEndpoint('http://h/pb'), pybossa.setEndpoint('/')];
        seen.done = true;
    });
});
pybossa.run('pbsynctest');
</script>
"""

HARNESS = r"""
const { JSDOM, VirtualConsole } = require("jsdom");
const errors = [];
const console_ = new VirtualConsole();
console_.on("jsdomError", (e) => errors.push(String(e.message || e)));
console_.on("error", (...args) => errors.push(args.join(" ")));
const options = { runScripts: "dangerously", resources: "usable", virtualConsole: console_ };
JSDOM.fromURL(process.argv[1], options)
  .then((dom) => {
    const started = Date.now();
    const check = () => {
      const seen = dom.window.seen;
      if ((seen && seen.done) || Date.now() - started > 10000) {
        process.stdout.write(JSON.stringify({ seen: seen || null, errors }));
        dom.window.close();
        return;
      }
      setTimeout(check, 20);
    };
    check();
  }, (e) => { process.stdout.write(JSON.stringify({ seen: null, errors: [String(e)] })); });
"""


def open_page(url: str) -> dict[str, Any]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", HARNESS, url], capture_output=True, text=True, timeout=60, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["errors"] == []
    assert result["seen"] is not None and result["seen"]["done"], result
    return result["seen"]  # type: ignore[no-any-return]


def project_with_tasks(api: Api, presenter: str, n: int = 3) -> tuple[dict, list[dict]]:
    # a draft: anonymous API lists hide it, so pybossa.js finds it through the preview's route
    project = api.project("pbsynctest", info={"task_presenter": presenter})
    tasks = [api.task(project["id"], info={"n": i}, n_answers=1) for i in range(n)]
    return project, tasks


def test_the_task_loop_answers_every_task_then_shows_the_end(
    admin_local: Api, local_server: LocalServer
) -> None:
    project, tasks = project_with_tasks(admin_local, PRESENTER)
    ids = [t["id"] for t in tasks]
    seen = open_page(f"{local_server.url}/project/pbsynctest/newtask")
    assert seen["presented"] == [*ids, None]
    assert seen["loaded"] == ids
    assert seen["saved"] == [[task_id, {"n": n}] for n, task_id in enumerate(ids)]
    # each task's page address, pushed before it is shown; the end keeps the last one
    paths = [f"/project/pbsynctest/task/{task_id}" for task_id in ids]
    assert seen["paths"] == [*paths, paths[-1]]
    runs = admin_local.ok("GET", "/api/taskrun", params={"project_id": project["id"]})
    assert sorted((r["task_id"], r["user_id"], r["user_ip"]) for r in runs) == [
        (task_id, None, workflow.anonymised_ip(local_server.store, "127.0.0.1")) for task_id in ids
    ]


def test_a_task_page_starts_with_its_task(admin_local: Api, local_server: LocalServer) -> None:
    _project, tasks = project_with_tasks(admin_local, CALLS)
    second = tasks[1]["id"]
    seen = open_page(f"{local_server.url}/project/pbsynctest/task/{second}")
    assert seen["first"] == second
    assert seen["progress"] == {"done": 0, "total": 3}
    assert seen["newTask"] == {"question": "d", "task": tasks[0]["id"]}
    assert seen["ids"] == ["42", "7", False, str(second)]
    assert seen["endpoint"] == ["http://h/pb/", "/"]
