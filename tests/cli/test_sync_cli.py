"""`pbsync diff / push / pull` through click's CliRunner against the test server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pbclient.client import Client
from pbsync.cli import main
from pbsync.server import LocalServer

SHORT = "pbsynctest_cli"


def write_project(folder: Path, rows: int = 2, description: str = "d") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "CLI test"\nshort_name = "{SHORT}"\ndescription = "{description}"\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text("<p>hi</p>\n", encoding="utf-8")
    lines = ["url", *[f"https://example.org/{i}.png" for i in range(rows)]]
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def run(endpoint: str, api_key: str, clean_server: None, tmp_path: Path) -> object:
    runner = CliRunner()
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}

    def invoke(*args: str, input: str | None = None, connect: bool = True) -> Result:
        target = ["--endpoint", endpoint, "--api-key", api_key]
        return runner.invoke(main, [*(target if connect else []), *args], input=input, env=env)

    return invoke


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj")


def test_diff_exit_codes_and_json(run, folder: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("diff", str(folder), "--json")
    assert result.exit_code == 2, result.output
    document = json.loads(result.stdout)
    assert not document["in_sync"]
    assert [a["action"] for a in document["actions"]] == ["CreateProject", "CreateTasks"]
    assert run("push", str(folder), "--yes").exit_code == 0
    result = run("diff", str(folder))
    assert result.exit_code == 0 and "in sync" in result.stdout


def test_diff_shows_field_level_changes(run, folder: Path) -> None:  # type: ignore[no-untyped-def]
    run("push", str(folder))
    (folder / "presenter.html").write_text("<p>hi</p>\n<p>new line</p>\n", encoding="utf-8")
    result = run("diff", str(folder))
    assert result.exit_code == 2
    assert "info.task_presenter" in result.stdout and "+<p>new line</p>" in result.stdout


def test_push_json_report(run, folder: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("push", str(folder), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["report"]
    assert report["created"] == {"project": 1, "task": 2}
    assert report["requests"] >= 3


def test_dry_run_sends_nothing(run, folder: Path, local_server: LocalServer) -> None:  # type: ignore[no-untyped-def]
    result = run("push", str(folder), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "create project" in result.stdout and "Dry run, nothing sent" in result.stdout
    assert all(method == "GET" for method, _ in local_server.stats.snapshot())


def test_validation_errors_one_per_line_and_nothing_sent(
    run, tmp_path: Path, local_server: LocalServer
) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "project.toml").write_text('[project]\nshort_name = "a b"\n', encoding="utf-8")
    result = run("push", str(bad), "--yes")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) >= 2  # the bad short_name and the missing name/description
    assert local_server.stats.total() == 0


def test_deletions_need_confirmation(run, folder: Path, endpoint: str, api_key: str) -> None:  # type: ignore[no-untyped-def]
    run("push", str(folder))
    write_project(folder, rows=1)
    result = run("push", str(folder), "--prune", input="n\n")
    assert result.exit_code == 1 and "Cancelled" in result.stdout
    assert len(_tasks(endpoint, api_key)) == 2
    no_answer = run("push", str(folder), "--prune", input="")
    assert no_answer.exit_code == 1 and "not confirmed" in no_answer.stderr
    result = run("push", str(folder), "--prune", "--yes")
    assert result.exit_code == 0, result.output
    assert len(_tasks(endpoint, api_key)) == 1


def _tasks(endpoint: str, api_key: str) -> list[object]:
    """The tasks of the project SHORT."""
    with Client(endpoint, api_key) as client:
        (project,) = client.request("GET", "/api/project", params={"short_name": SHORT})
        params = {"project_id": project["id"], "limit": 100}
        return list(client.request("GET", "/api/task", params=params))


def test_conflict_is_one_red_line(run, folder: Path, endpoint: str, api_key: str) -> None:  # type: ignore[no-untyped-def]
    run("push", str(folder))
    with Client(endpoint, api_key) as client:
        pid = client.request("GET", "/api/project", params={"short_name": SHORT})[0]["id"]
        client.request("PUT", f"/api/project/{pid}", json={"description": "web"})
    write_project(folder, description="mine")
    diff = run("diff", str(folder))
    assert diff.exit_code == 2 and "conflict" in diff.stdout
    result = run("push", str(folder))
    assert result.exit_code == 1
    assert result.stderr.startswith("error:") and "both changed" in result.stderr
    assert run("push", str(folder), "--force").exit_code == 0


def test_pull_then_diff_in_sync(run, folder: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("push", str(folder))
    copy = tmp_path / "copy"
    result = run("pull", SHORT, str(copy))
    assert result.exit_code == 0, result.output
    assert (copy / "project.toml").exists()
    assert run("diff", str(copy)).exit_code == 0


def test_bad_key_is_an_error_and_stays_hidden(run, folder: Path, endpoint: str) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(
        main, ["--endpoint", endpoint, "--api-key", "not-a-key-12345", "push", str(folder)]
    )
    assert result.exit_code == 1
    assert "not-a-key-12345" not in result.output


def test_unknown_profile(run, folder: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("--profile", "nope", "diff", str(folder), connect=False)
    assert result.exit_code == 1 and "nope" in result.stderr


def test_usage_error_exits_1(run) -> None:  # type: ignore[no-untyped-def]
    assert run("push", "--no-such-option").exit_code == 1


def embedded_env(home: Path) -> dict[str, str | None]:
    """No endpoint anywhere: the embedded server, its store under `home`."""
    return {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "PYBOSSA_ENDPOINT": None,
        "PYBOSSA_API_KEY": None,
    }


def test_embedded_server_when_nothing_is_configured(tmp_path: Path, folder: Path) -> None:
    env = embedded_env(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["push", str(folder)], env=env)
    assert result.exit_code == 0, result.output
    assert "embedded local server" in result.stderr
    assert (tmp_path / "data").exists()
    again = runner.invoke(main, ["diff", str(folder)], env=env)
    assert again.exit_code == 0, again.output
    state = json.loads((folder / ".pbsync" / "state.json").read_text(encoding="utf-8"))
    assert f"embedded {SHORT}" in state["targets"]
    copy = tmp_path / "copy"
    pulled = runner.invoke(main, ["pull", SHORT, str(copy), "--json"], env=env)
    assert pulled.exit_code == 0, pulled.output
    assert json.loads(pulled.stdout)["short_name"] == SHORT
    state = json.loads((copy / ".pbsync" / "state.json").read_text(encoding="utf-8"))
    assert list(state["targets"]) == [f"embedded {SHORT}"]  # not one per random port


def test_pull_twice_and_pull_after_push_on_the_embedded_server(
    tmp_path: Path, folder: Path
) -> None:
    # the embedded server takes a new port every run: records must be filed under "embedded"
    env = embedded_env(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["push", str(folder)], env=env).exit_code == 0
    copy = tmp_path / "copy"
    for _ in range(2):  # the second pull meets its own first pull's files, untouched
        pulled = runner.invoke(main, ["pull", SHORT, str(copy)], env=env)
        assert pulled.exit_code == 0, pulled.output
    state_file = copy / ".pbsync" / "state.json"
    first = json.loads(state_file.read_text(encoding="utf-8"))
    assert list(first["targets"]) == [f"embedded {SHORT}"]
    # a push from the original folder, then a pull into the untouched copy
    (folder / "presenter.html").write_text("<p>changed upstream</p>\n", encoding="utf-8")
    assert runner.invoke(main, ["push", str(folder)], env=env).exit_code == 0
    pulled = runner.invoke(main, ["pull", SHORT, str(copy)], env=env)
    assert pulled.exit_code == 0, pulled.output
    assert (copy / "presenter.html").read_text(encoding="utf-8") == "<p>changed upstream</p>\n"
    after = json.loads(state_file.read_text(encoding="utf-8"))
    assert list(after["targets"]) == [f"embedded {SHORT}"]
    mine = json.loads((folder / ".pbsync" / "state.json").read_text(encoding="utf-8"))
    for part in ("tasks", "files"):  # the pull adds the category, which the folder leaves out
        assert (
            after["targets"][f"embedded {SHORT}"][part]
            == mine["targets"][f"embedded {SHORT}"][part]
        )
    assert runner.invoke(main, ["diff", str(copy)], env=env).exit_code == 0


def test_a_name_taken_by_another_user_is_one_clear_line(
    run, folder: Path, local_server: LocalServer
) -> None:  # type: ignore[no-untyped-def]
    bob = local_server.create_user("bob")
    with Client(local_server.url, bob) as client:  # bob's project holds the name first
        client.request(
            "POST",
            "/api/project",
            json={"name": "CLI test", "short_name": "bobs", "description": "x"},
        )
    result = run("push", str(folder), "--yes")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error:") and "both to be unique" in line and "'CLI test'" in line


def test_publishing_without_tasks_is_refused_before_any_request(
    run, tmp_path: Path, local_server: LocalServer
) -> None:  # type: ignore[no-untyped-def]
    folder = write_project(tmp_path / "pub", rows=0)
    toml = (folder / "project.toml").read_text(encoding="utf-8")
    (folder / "project.toml").write_text(toml + "published = true\n", encoding="utf-8")
    result = run("push", str(folder), "--yes")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: project.toml: project.published:")
    assert not [k for k in local_server.stats.snapshot() if k[0] != "GET"]


def test_dry_run_over_an_existing_project_sends_no_write(  # type: ignore[no-untyped-def]
    run, folder: Path, local_server: LocalServer
) -> None:
    assert run("push", str(folder), "--yes").exit_code == 0
    write_project(folder, rows=1, description="changed")
    (folder / "presenter.html").write_text("<p>changed</p>\n", encoding="utf-8")
    (folder / "tasks.csv").write_text("url\nhttps://example.org/new.png\n", encoding="utf-8")
    local_server.stats.reset()
    result = run("push", str(folder), "--dry-run", "--prune", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["plan"]["summary"]
    assert (summary["update_project"], summary["create_tasks"], summary["delete_tasks"]) == (
        1,
        1,
        2,
    )
    assert local_server.stats.total() > 0
    assert not [k for k in local_server.stats.snapshot() if k[0] != "GET"]
    assert run("diff", str(folder)).exit_code == 2  # nothing was applied


def test_env_overlay_targets_another_project(run, folder: Path) -> None:  # type: ignore[no-untyped-def]
    toml = (folder / "project.toml").read_text(encoding="utf-8")
    overlay = f'[env.staging.project]\nshort_name = "{SHORT}_staging"\n'
    (folder / "project.toml").write_text(toml + overlay, encoding="utf-8")
    staged = run("--env", "staging", "push", str(folder), "--yes", "--json")
    assert staged.exit_code == 0, staged.output
    assert json.loads(staged.stdout)["plan"]["project"] == f"{SHORT}_staging"
    assert run("diff", str(folder)).exit_code == 2  # the base project is still to create
    assert run("--env", "staging", "diff", str(folder)).exit_code == 0
    unknown = run("--env", "stage", "diff", str(folder))
    assert unknown.exit_code == 1 and "staging" in unknown.stderr


@pytest.mark.local_only
def test_push_json_counts_every_request_the_server_received(
    run, folder: Path, local_server: LocalServer
) -> None:  # type: ignore[no-untyped-def]
    assert run("push", str(folder)).exit_code == 0

    def pushed() -> tuple[int, int]:
        local_server.stats.reset()
        result = run("push", "--json", str(folder))
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["report"]["requests"], local_server.stats.total(prefix="/")

    counted, received = pushed()  # nothing changed: the planning reads alone
    assert counted == received > 0
    (folder / "presenter.html").write_text("<p>edited</p>\n", encoding="utf-8")
    counted, received = pushed()
    assert counted == received and local_server.stats.total("PUT") == 1
    with (folder / "tasks.csv").open("a", encoding="utf-8") as tasks:
        tasks.write("".join(f"https://example.org/new{i}.png\n" for i in range(3)))
    counted, received = pushed()
    assert counted == received and local_server.stats.total("POST") == 3


@pytest.mark.local_only(reason="counts requests with the local server's stats")
def test_push_says_what_it_did_not_read_and_refresh_reads_it(  # type: ignore[no-untyped-def]
    run, folder: Path, local_server: LocalServer
) -> None:
    assert run("push", str(folder)).exit_code == 0
    (folder / "presenter.html").write_text("<p>v2</p>\n", encoding="utf-8")
    result = run("push", str(folder), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["plan"]["unread"] == ["helping materials", "tasks"]
    result = run("push", str(folder))
    assert "tasks not read" in result.stdout and "--refresh" in result.stdout
    local_server.stats.reset()
    result = run("push", str(folder), "--refresh")
    assert result.exit_code == 0 and "not read" not in result.stdout
    assert local_server.stats.snapshot().get(("GET", "/api/task"), 0) == 1
