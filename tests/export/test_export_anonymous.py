"""Export without an API key: a published project's rows are everyone's, an unpublished one is not.

On PYBOSSA 4.0.2 anyone may list tasks, task runs and results (their read rules allow it, and an
anonymous list is not owner-filtered), with the same fields the owner sees (runs keep `user_id`
and the anonymised `user_ip`); only the project lookup hides an unpublished project. So the
anonymous export of a published project is the owner's, byte for byte. The answers here are made
the way volunteers make them (a `newtask` hand-out, then the run), so this holds on a real PYBOSSA.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result

from pbclient.client import Client
from pbsync.cli import main

SHORT = "pbsynctest_anonexport"


def answer(endpoint: str, project_id: int, key: str | None, n: int) -> None:
    """Answer `n` tasks as one volunteer (anonymous without a key): newtask, then the run."""
    with requests.Session() as session:
        if key:
            session.headers["Authorization"] = key
        for _ in range(n):
            task = session.get(f"{endpoint}/api/project/{project_id}/newtask", timeout=30).json()
            body = {"project_id": project_id, "task_id": task["id"], "info": {"answer": "yes"}}
            posted = session.post(f"{endpoint}/api/taskrun", json=body, timeout=30)
            assert posted.status_code == 200, posted.text


def run(endpoint: str, tmp_path: Path, out: Path, key: str | None = None) -> Result:
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    args = ["export", SHORT, "--endpoint", endpoint, "--out", str(out)]
    return CliRunner().invoke(main, [*args, *(["--api-key", key] if key else [])], env=env)


@pytest.fixture
def project_id(endpoint: str, api_key: str, clean_server: None) -> int:
    with Client(endpoint, api_key) as client:
        made = client.projects.create(
            name="Anonymous export",
            short_name=SHORT,
            description="d",
            info={"task_presenter": "<p>Yes or no?</p>"},
        )
        infos = [{"n": i, "url": f"https://example.org/{i}.jpg"} for i in range(150)]
        client.tasks.create_many(made, infos, n_answers=1)
    return int(made.id)


def test_a_published_project_exports_anonymously_as_its_owner_sees_it(
    endpoint: str, api_key: str, project_id: int, tmp_path: Path
) -> None:
    with Client(endpoint, api_key) as client:
        client.projects.publish(client.projects.get(project_id))
    answer(endpoint, project_id, None, 5)  # publishing deletes answers: these come after it
    answer(endpoint, project_id, api_key, 3)
    owner, anonymous = tmp_path / "owner", tmp_path / "anonymous"
    assert run(endpoint, tmp_path, owner, api_key).exit_code == 0
    result = run(endpoint, tmp_path, anonymous)
    assert result.exit_code == 0, result.output
    files = {p.name: p.read_bytes() for p in anonymous.iterdir()}
    assert files == {p.name: p.read_bytes() for p in owner.iterdir()}
    lines = {name.split("_")[-1]: data.count(b"\n") for name, data in files.items()}
    assert lines == {"tasks.jsonl": 150, "taskruns.jsonl": 8, "results.jsonl": 8}
    assert b'"user_id":null' in files[f"{SHORT}_taskruns.jsonl"]


def test_an_unpublished_project_is_not_found_without_a_key(
    endpoint: str, project_id: int, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run(endpoint, tmp_path, out)
    assert result.exit_code == 1
    assert "without an API key unpublished projects are invisible" in result.stderr
    assert not out.exists()
