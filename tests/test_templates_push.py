"""A template pushed with `--env staging` under another short_name names no other project.

The pages learn their short_name from the page's address (`/project/<short_name>/newtask`), so
what lands on the staging project is the folder's files as they are, with no production name in
them; a browser opening the staging project's task page then runs that project's tasks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pbclient.client import Client
from pbsync.cli import main
from pbsync.folder.scaffold import list_templates, scaffold

TEMPLATE_NAMES = [info.name for info in list_templates()]
PRODUCTION = "pbsynctest-prod"
STAGING = "pbsynctest-staging"
PAGES = {"task_presenter": "presenter.html", "tutorial": "tutorial.html", "results": "results.html"}


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_staging_push_names_no_production_project(
    template: str, endpoint: str, api_key: str, clean_server: None, tmp_path: Path
) -> None:
    folder = scaffold(template, tmp_path / "project", short_name=PRODUCTION)
    with (folder / "project.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[env.staging.project]\nshort_name = "{STAGING}"\n')

    options = ["--endpoint", endpoint, "--api-key", api_key, "--env", "staging"]
    result = CliRunner().invoke(main, [*options, "push", str(folder), "--yes", "--json"])

    assert result.exit_code == 0, result.output
    notes = json.loads(result.stdout)["plan"]["notes"]
    assert not [note for note in notes if "names another project" in note]
    with Client(endpoint, api_key) as client:
        assert client.projects.by_short_name(PRODUCTION) is None
        staging = client.projects.by_short_name(STAGING)
    assert staging is not None
    for key, page in PAGES.items():
        pushed = staging.info[key]
        assert pushed == (folder / page).read_text(encoding="utf-8"), page
        assert PRODUCTION not in pushed, page
    assert "location.pathname" in staging.info["task_presenter"]
