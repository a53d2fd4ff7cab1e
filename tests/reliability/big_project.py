"""The 2,000-task project the kill tests push, and what the server must hold of it.

The expected values are computed here from the rows this module writes, not by pbsync's loader,
so a loader bug cannot hide a sync bug. `read_server` reads what the server serves, over HTTP.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pbsync
from pbclient.client import Client
from pbsync.server import LocalServer

SHORT = "pbsynctest_kill"
N_TASKS = 2000
N_CSV = 1800  # the rest in tasks.jsonl: nested info, non-ASCII, null and booleans
RESERVED = ("n_answers", "priority_0", "quorum", "calibration")
DEFAULT_N_ANSWERS = 2  # [tasks] n_answers, for CSV rows whose cell is empty
PROJECT = {
    "name": "Kill points",
    "description": "2,000 tasks, killed 20 times",
    "long_description": "A project pushed under **kill -9**.\n",
}
INFO = {
    "task_presenter": "<div id='task'>Is there a cat?</div>\n",
    "tutorial": "<p>Look closely.</p>\n",
    "sched": "depth_first",
}
FILES = {"a.png": b"\x89PNG\r\n\x1a\n" + b"a" * 300, "b.png": b"\x89PNG\r\n\x1a\n" + b"b" * 200}
#: name -> (priority, user info, media_url of a link-only material)
MATERIALS: dict[str, tuple[float, dict[str, Any], str | None]] = {
    "a.png": (0.0, {}, None),
    "b.png": (0.5, {"caption": "a bee"}, None),
    "guide": (0.25, {"caption": "Field guide"}, "https://example.org/guide.pdf"),
}
#: the package this test process imports, for the pushes it starts
SOURCE_ROOT = Path(pbsync.__file__).resolve().parents[1]


def identity(info: Any) -> str:
    """A task's identity on the server: its canonical info."""
    return json.dumps(info, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _csv_row(i: int) -> dict[str, Any]:
    return {
        "url": f"https://example.org/img/{i}.png",
        "label": f'café {i}, "quoted"',
        "n_answers": "" if i % 10 == 0 else str(1 + i % 5),
        "priority_0": str((i % 11) / 10),
        "quorum": str(i % 3),
        "calibration": str(i % 2),
    }


def _jsonl_row(i: int) -> dict[str, Any]:
    return {
        "nested": {"values": [i, i + 0.5, True, None], "text": f"日本 {i}"},
        "n_answers": 3,
        "priority_0": 0.75,
        "quorum": 1,
        "calibration": 0,
    }


def expected_tasks() -> dict[str, dict[str, Any]]:
    """identity -> the task's fields as the server must hold them."""
    tasks = {}
    for i in range(N_CSV):
        row = _csv_row(i)
        task = {
            "info": {"url": row["url"], "label": row["label"]},
            "n_answers": int(row["n_answers"]) if row["n_answers"] else DEFAULT_N_ANSWERS,
            "priority_0": float(row["priority_0"]),
            "quorum": int(row["quorum"]),
            "calibration": int(row["calibration"]),
        }
        tasks[identity(task["info"])] = task
    for i in range(N_CSV, N_TASKS):
        row = _jsonl_row(i)
        info = {k: v for k, v in row.items() if k not in RESERVED}
        tasks[identity(info)] = {"info": info, **{k: row[k] for k in RESERVED}}
    assert len(tasks) == N_TASKS
    return tasks


def write_project(folder: Path) -> Path:
    """The folder: project fields, presenter, tutorial, three helping materials, 2,000 tasks."""
    folder.mkdir(parents=True)
    guide = MATERIALS["guide"]
    (folder / "project.toml").write_text(
        "[project]\n"
        f'name = "{PROJECT["name"]}"\n'
        f'short_name = "{SHORT}"\n'
        f'description = "{PROJECT["description"]}"\n'
        "published = true\n"
        "[project.info]\n"
        f'sched = "{INFO["sched"]}"\n'
        "[files]\n"
        'presenter = "presenter.html"\n'
        "[tasks]\n"
        f"n_answers = {DEFAULT_N_ANSWERS}\n"
        "[helping.guide]\n"
        f'media_url = "{guide[2]}"\n'
        f"priority = {guide[0]}\n"
        f'info = {{ caption = "{guide[1]["caption"]}" }}\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text(INFO["task_presenter"], encoding="utf-8")
    (folder / "tutorial.html").write_text(INFO["tutorial"], encoding="utf-8")
    (folder / "longdesc.md").write_text(PROJECT["long_description"], encoding="utf-8")
    helping = folder / "helping"
    helping.mkdir()
    for name, data in FILES.items():
        (helping / name).write_bytes(data)
    (helping / "b.png.info.toml").write_text(
        'priority = 0.5\n[info]\ncaption = "a bee"\n', encoding="utf-8"
    )
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(_csv_row(0)), lineterminator="\n")
    writer.writeheader()
    writer.writerows(_csv_row(i) for i in range(N_CSV))
    (folder / "tasks.csv").write_text(text.getvalue(), encoding="utf-8")
    lines = [json.dumps(_jsonl_row(i), ensure_ascii=False) for i in range(N_CSV, N_TASKS)]
    (folder / "tasks.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@dataclass
class ServerView:
    """What the server serves of the project: every row with our short_name, and its parts."""

    projects: list[dict[str, Any]]
    materials: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # material name -> downloaded bytes
    tasks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def project(self) -> dict[str, Any] | None:
        return self.projects[0] if len(self.projects) == 1 else None

    def material_names(self) -> list[str]:
        return sorted(str(m["info"].get("name")) for m in self.materials)


def read_server(server: LocalServer) -> ServerView:
    """Read the project, its materials (and their bytes) and its tasks, then hang up."""
    with Client(server.url, server.api_key) as client:
        view = ServerView(list(client.projects.rows(short_name=SHORT)))
        if view.project is None:
            return view
        project_id = view.project["id"]
        view.materials = list(client.helping_materials.rows(project_id=project_id))
        for material in view.materials:
            name = str(material["info"].get("name"))
            if name in FILES and material.get("media_url"):
                view.files[name] = client.helping_materials.download(material["media_url"])
        view.tasks = list(client.tasks.rows(project_id=project_id))
    return view


def problems_of(view: ServerView, *, unsent: tuple[str, ...] = ()) -> list[str]:
    """Everything wrong with what the server holds: duplicates, wrong fields (empty: all right).

    Missing parts are not problems here (a killed push sends only some); `unsent` names fields
    a later write of the push would have set ("b.png priority"), which may still be unset.
    """
    found: list[str] = []
    if len(view.projects) > 1:
        found.append(f"{len(view.projects)} projects named {SHORT}")
    project = view.project
    if project is None:
        return found
    for key, value in PROJECT.items():
        if project.get(key) != value:
            found.append(f"project {key} = {project.get(key)!r}")
    for key, value in INFO.items():
        if project["info"].get(key) != value:
            found.append(f"project info.{key} = {project['info'].get(key)!r}")
    found += _material_problems(view, unsent)
    found += _task_problems(view)
    return found


def _material_problems(view: ServerView, unsent: tuple[str, ...]) -> list[str]:
    found = []
    names = Counter(str(m["info"].get("name")) for m in view.materials)
    found += [f"helping material {n} {k} times" for n, k in names.items() if k > 1]
    for material in view.materials:
        name = str(material["info"].get("name"))
        if name not in MATERIALS:
            found.append(f"unknown helping material {name!r}")
            continue
        priority, info, media_url = MATERIALS[name]
        if material.get("priority") != priority and f"{name} priority" not in unsent:
            found.append(f"{name} priority = {material.get('priority')!r}")
        for key, value in info.items():
            if material["info"].get(key) != value:
                found.append(f"{name} info.{key} = {material['info'].get(key)!r}")
        if media_url is not None and material.get("media_url") != media_url:
            found.append(f"{name} media_url = {material.get('media_url')!r}")
        if name in FILES:
            digest = hashlib.sha256(FILES[name]).hexdigest()
            if material["info"].get("sha256") != digest:
                found.append(f"{name} info.sha256 = {material['info'].get('sha256')!r}")
            if view.files.get(name) != FILES[name]:
                found.append(f"{name}: the server serves other bytes")
    return found


def _task_problems(view: ServerView) -> list[str]:
    expected = expected_tasks()
    seen = Counter(identity(task["info"]) for task in view.tasks)
    twice = sum(k - 1 for k in seen.values() if k > 1)
    found = [f"{twice} duplicate tasks ({len(view.tasks)} on the server)"] if twice else []
    wrong = []
    for task in view.tasks:
        want = expected.get(identity(task["info"]))
        if want is None:
            wrong.append(f"task {task['id']}: info not in the folder: {task['info']!r:.80}")
            continue
        for key in RESERVED:
            if task.get(key) != want[key]:
                wrong.append(f"task {task['id']}: {key} = {task.get(key)!r}, not {want[key]!r}")
    return found + wrong[:5] + ([f"... {len(wrong) - 5} more wrong"] if len(wrong) > 5 else [])


def pbsync_command(
    server: LocalServer, home: Path, *args: str, api_key: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """(argv, environment) of `python -m pbsync --endpoint URL --api-key KEY ARGS...`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYBOSSA_")}
    env["HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join([str(SOURCE_ROOT), env.get("PYTHONPATH", "")])
    key = api_key if api_key is not None else server.api_key
    return [sys.executable, "-m", "pbsync", "--endpoint", server.url, "--api-key", key, *args], env


def pbsync_process(
    server: LocalServer, home: Path, log: Path, *args: str
) -> subprocess.Popen[bytes]:
    """The command started in the background, its stdout and stderr in `log`."""
    command, env = pbsync_command(server, home, *args)
    with log.open("wb") as output:
        # to a file, not a pipe: nobody reads a pipe while the push runs, and a full one blocks
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


def pbsync_run(
    server: LocalServer, home: Path, log: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """The command run to its end; its stdout and stderr are returned, and kept in `log`."""
    command, env = pbsync_command(server, home, *args)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    return done


def killed(process: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the process (if still running) and reap it; True when the kill ended it."""
    process.send_signal(signal.SIGKILL)
    return process.wait(timeout=30) == -signal.SIGKILL
