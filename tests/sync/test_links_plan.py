"""The warnings of `pbsync.folder.links` reach `pbsync diff` and `pbsync push` as plan notes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import pbsync
from pbclient.client import Client
from pbsync.cli import main

PRESENTER = """<div id="app"></div>
<script>
  pybossa.presentTask(function (task, deferred) {});
  pybossa.run('pbsynctest-links');
</script>
"""


def classic_folder(root: Path) -> Path:
    """A folder whose presenter names its production project, with a staging overlay."""
    root.mkdir()
    (root / "project.toml").write_text(
        '[project]\nname = "Links"\nshort_name = "pbsynctest-links"\ndescription = "d"\n\n'
        '[env.staging.project]\nshort_name = "pbsynctest-links-staging"\n',
        encoding="utf-8",
    )
    (root / "presenter.html").write_text(PRESENTER, encoding="utf-8")
    (root / "tutorial.html").write_text(
        '<a href="/project/pbsynctest-links/newtask">Go</a>\n', encoding="utf-8"
    )
    return root


def test_plan_notes_name_the_pages_that_name_another_project(
    endpoint: str, api_key: str, clean_server: None, tmp_path: Path
) -> None:
    folder = classic_folder(tmp_path / "links")
    with Client(endpoint, api_key) as client:
        production = pbsync.plan(folder, client)
        staging = pbsync.plan(folder, client, env="staging")
    assert not any("names another project" in note for note in production.notes)
    tail = "names another project than pbsynctest-links-staging (the one this push goes to)"
    assert [n for n in staging.notes if "names another project" in n] == [
        f"presenter.html:4: pybossa.run('pbsynctest-links') {tail}",
        f"tutorial.html:1: /project/pbsynctest-links/ {tail}",
    ]


def test_diff_and_push_show_the_warnings(
    endpoint: str, api_key: str, clean_server: None, tmp_path: Path
) -> None:
    folder = classic_folder(tmp_path / "links")
    options = ["--endpoint", endpoint, "--api-key", api_key, "--env", "staging"]
    runner = CliRunner()
    diff = runner.invoke(main, [*options, "diff", str(folder)])
    assert diff.exit_code == 2, diff.output
    assert "presenter.html:4: pybossa.run('pbsynctest-links') names another project" in diff.stdout
    push = runner.invoke(main, [*options, "push", str(folder), "--yes", "--json"])
    assert push.exit_code == 0, push.output
    notes = json.loads(push.stdout)["plan"]["notes"]
    assert any(n.startswith("tutorial.html:1: /project/pbsynctest-links/ names") for n in notes)
