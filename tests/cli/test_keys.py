"""A wrong or missing API key never looks like "the project does not exist" (issue 11, item 1).

PYBOSSA treats an unknown key as anonymous, and anonymous callers cannot see unpublished projects:
before, `diff` planned "+ create project" (exit 2) for a project that exists.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pbsync.cli import main
from pbsync.server import LocalServer

SHORT = "pbsynctest_keys"

Run = Callable[..., Result]


def write_project(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Keys test"\nshort_name = "{SHORT}"\ndescription = "d"\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text("<p>hi</p>\n", encoding="utf-8")
    (folder / "tasks.csv").write_text("url\nhttps://example.org/1.png\n", encoding="utf-8")
    return folder


@pytest.fixture
def run(endpoint: str, clean_server: None, tmp_path: Path) -> Run:
    """`pbsync --endpoint E [--api-key KEY] ARGS` with no key in the environment or HOME."""
    runner = CliRunner()
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}

    def invoke(*args: str, key: str | None = None) -> Result:
        target = ["--endpoint", endpoint, *(["--api-key", key] if key else [])]
        return runner.invoke(main, [*target, *args], env=env)

    return invoke


@pytest.fixture
def pushed(run: Run, api_key: str, tmp_path: Path) -> Path:
    """A folder whose (unpublished) project exists on the server."""
    folder = write_project(tmp_path / "proj")
    result = run("push", str(folder), "--yes", key=api_key)
    assert result.exit_code == 0, result.output
    return folder


def _one_error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_wrong_key_diff_of_existing_project_says_key_not_accepted(
    run: Run, pushed: Path, endpoint: str
) -> None:
    result = run("diff", str(pushed), key="not-a-key-of-this-server")
    assert result.exit_code == 1, result.output
    assert "create project" not in result.output
    line = _one_error_line(result)
    assert f"the API key was not accepted by {endpoint}" in line
    assert "anonymous callers cannot see unpublished projects" in line
    assert "not-a-key-of-this-server" not in result.output


def test_missing_key_diff_of_existing_project_says_unpublished_are_invisible(
    run: Run, pushed: Path
) -> None:
    result = run("diff", str(pushed))
    assert result.exit_code == 1, result.output
    assert "create project" not in result.output
    line = _one_error_line(result)
    assert "without an API key unpublished projects are invisible" in line


def test_push_without_key_refuses_before_any_write(
    run: Run, tmp_path: Path, local_server: LocalServer
) -> None:
    folder = write_project(tmp_path / "new")
    local_server.stats.reset()
    result = run("push", str(folder), "--yes")
    assert result.exit_code == 1, result.output
    assert "without an API key" in _one_error_line(result)
    assert all(method == "GET" for method, _ in local_server.stats.snapshot())


def test_valid_key_owning_nothing_still_plans_a_new_project(
    run: Run, tmp_path: Path, other_api_key: str, local_server: LocalServer
) -> None:
    folder = write_project(tmp_path / "new")
    local_server.stats.reset()
    result = run("diff", str(folder), key=other_api_key)
    assert result.exit_code == 2, result.output
    assert "create project" in result.stdout
    # the key check costs one request, and only because the project was not found
    assert local_server.stats.snapshot().get(("GET", "/api/favorites")) == 1


def test_key_check_is_not_spent_when_the_project_is_found(
    run: Run, pushed: Path, api_key: str, local_server: LocalServer
) -> None:
    local_server.stats.reset()
    assert run("diff", str(pushed), key=api_key).exit_code == 0
    assert ("GET", "/api/favorites") not in local_server.stats.snapshot()


def test_favorites_tells_a_signed_in_caller_from_an_anonymous_one(
    endpoint: str, api_key: str, clean_server: None
) -> None:
    # the read the key check relies on, as PYBOSSA 4.0.2 answers it
    import requests

    assert requests.get(f"{endpoint}/api/favorites", timeout=5).status_code == 401
    wrong = requests.get(f"{endpoint}/api/favorites", headers={"Authorization": "x"}, timeout=5)
    assert wrong.status_code == 401
    right = requests.get(f"{endpoint}/api/favorites", headers={"Authorization": api_key}, timeout=5)
    assert right.status_code == 200 and right.json() == []
