"""The presenter preview in headless Chromium: each template answers a task with its own buttons
or keyboard, the page reloads when the presenter changes, a classic-style presenter works, a
staging copy's presenter follows its own project, and a failed watch sync shows a banner.

The local server is the session's (`local_server`); the page talks to it anonymously, as a
volunteer's browser would.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pbsync
from pbclient.client import Client
from pbsync.folder.scaffold import scaffold
from pbsync.server import LocalServer

pytestmark = pytest.mark.local_only


@pytest.fixture
def client(local_server: LocalServer) -> Iterator[Client]:
    with Client(local_server.url, local_server.api_key) as c:
        yield c


def pushed_template(tmp_path: Path, client: Client, template: str, short_name: str) -> int:
    """Scaffold `template` as `short_name`, push it, and return the project id."""
    folder = tmp_path / short_name
    scaffold(template, folder, name=f"Browser {template}", short_name=short_name)
    report = pbsync.push(folder, client)
    assert report.project_id is not None
    return report.project_id


def answered(page: Any, act: Any) -> dict[str, Any]:
    """Do `act` on the page and return the task run body the presenter POSTed."""
    with page.expect_response(
        lambda r: r.url.endswith("/api/taskrun") and r.request.method == "POST"
    ) as posted:
        act()
    response = posted.value
    assert response.status == 200, response.text()
    body: dict[str, Any] = json.loads(response.request.post_data or "{}")
    return body


def runs_on_server(client: Client, project_id: int) -> list[Any]:
    return client.taskruns.find(project_id=project_id, limit=100)


def test_image_classification_answers_with_a_key(
    tmp_path: Path, client: Client, local_server: LocalServer, page: Any
) -> None:
    project_id = pushed_template(tmp_path, client, "image-classification", "pbsynctest_img")
    page.goto(f"{local_server.url}/project/pbsynctest_img/newtask")
    page.wait_for_selector(".pbs-answer:not([disabled])")
    body = answered(page, lambda: page.keyboard.press("y"))
    assert body["project_id"] == project_id and body["info"] == {"answer": "yes"}
    runs = runs_on_server(client, project_id)
    assert [r.info for r in runs] == [{"answer": "yes"}]


def test_transcription_answers_with_its_form(
    tmp_path: Path, client: Client, local_server: LocalServer, page: Any
) -> None:
    project_id = pushed_template(tmp_path, client, "transcription", "pbsynctest_tr")
    page.goto(f"{local_server.url}/project/pbsynctest_tr/newtask")
    page.wait_for_selector("#pbs-task:not([hidden])")
    page.fill("#pbs-transcription", "Dear Sir,\nthe parcel arrived.")
    body = answered(page, lambda: page.click("#pbs-send"))
    assert body["project_id"] == project_id
    assert "the parcel arrived." in json.dumps(body["info"])
    assert len(runs_on_server(client, project_id)) == 1


def test_geo_pinning_answers_with_coordinates(
    tmp_path: Path, client: Client, local_server: LocalServer, page: Any
) -> None:
    project_id = pushed_template(tmp_path, client, "geo-pinning", "pbsynctest_geo")
    page.goto(f"{local_server.url}/project/pbsynctest_geo/newtask")
    page.wait_for_selector("#pbs-task:not([hidden])")
    page.fill("#pbs-lat", "48.85")
    page.fill("#pbs-lon", "2.35")
    body = answered(page, lambda: page.click("#pbs-send"))
    assert body["project_id"] == project_id
    text = json.dumps(body["info"])
    assert "48.85" in text and "2.35" in text
    assert len(runs_on_server(client, project_id)) == 1


def test_the_page_reloads_when_the_presenter_changes(
    tmp_path: Path, client: Client, local_server: LocalServer, page: Any
) -> None:
    pushed_template(tmp_path, client, "image-classification", "pbsynctest_live")
    page.goto(f"{local_server.url}/project/pbsynctest_live/newtask")
    page.wait_for_selector(".pbs-answer")
    folder = tmp_path / "pbsynctest_live"
    presenter = folder / "presenter.html"
    presenter.write_text(
        presenter.read_text(encoding="utf-8") + '\n<p id="edited">Edited question</p>\n',
        encoding="utf-8",
    )
    with page.expect_navigation(timeout=10_000):
        pbsync.push(folder, client)
    page.wait_for_selector("#edited")
    assert page.inner_text("#edited") == "Edited question"


CLASSIC = """
<div class="row"><div class="col-md-6">
  <h3 id="question">Is there a bird?</h3>
  <img id="photo" class="img-thumbnail" src="" alt="">
  <button class="btn btn-success" id="yes" disabled>Yes</button>
  <button class="btn btn-danger" id="no" disabled>No</button>
  <p id="finished" style="display:none">Thanks!</p>
</div></div>
<script>
pybossa.taskLoaded(function (task, deferred) {
  if (!$.isEmptyObject(task)) {
    var img = $('<img />');
    img.load(function () { task.info.image = img; deferred.resolve(task); });
    img.attr('src', task.info.url);
  } else {
    deferred.resolve(task);
  }
});
pybossa.presentTask(function (task, deferred) {
  if (!$.isEmptyObject(task)) {
    $('#photo').attr('src', task.info.image.attr('src'));
    $('#yes, #no').prop('disabled', false).off('click').on('click', function () {
      $('#yes, #no').prop('disabled', true);
      pybossa.saveTask(task.id, {bird: this.id}).done(function () { deferred.resolve(); });
    });
  } else {
    $('#finished').show();
  }
});
pybossa.run('pbsynctest_classic');
</script>
"""
PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def test_a_classic_style_presenter_answers_a_task(
    tmp_path: Path, client: Client, local_server: LocalServer, page: Any
) -> None:
    folder = tmp_path / "classic"
    folder.mkdir()
    (folder / "project.toml").write_text(
        '[project]\nname = "Classic"\nshort_name = "pbsynctest_classic"\ndescription = "d"\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text(CLASSIC, encoding="utf-8")
    (folder / "tasks.json").write_text(
        json.dumps([{"url": PIXEL, "n": 1}, {"url": PIXEL, "n": 2}]), encoding="utf-8"
    )
    project_id = pbsync.push(folder, client).project_id
    page.goto(f"{local_server.url}/project/pbsynctest_classic/newtask")
    page.wait_for_selector("#yes:not([disabled])")
    body = answered(page, lambda: page.click("#yes"))
    assert body["project_id"] == project_id and body["info"] == {"bird": "yes"}
    page.wait_for_selector("#yes:not([disabled])")  # the next task came
    answered(page, lambda: page.click("#no"))
    page.wait_for_selector("#finished", state="visible")
    assert sorted(r.info["bird"] for r in runs_on_server(client, project_id or 0)) == [
        "no",
        "yes",
    ]


def test_a_staging_copy_presenter_loads_its_own_tasks(
    tmp_path: Path, client: Client, local_server: LocalServer, page: Any
) -> None:
    folder = tmp_path / "prod"
    scaffold("image-classification", folder, name="Prod", short_name="pbsynctest_prod")
    with (folder / "project.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[env.staging.project]\nname = "Staging"\nshort_name = "pbsynctest_stg"\n')
    prod = pbsync.push(folder, client).project_id
    staging_copy = tmp_path / "staging"
    shutil.copytree(folder, staging_copy, ignore=shutil.ignore_patterns(".pbsync"))
    staging = pbsync.push(staging_copy, client, env="staging").project_id
    assert prod != staging
    with page.expect_response(lambda r: "/newtask" in r.url and "/api/" in r.url) as handed:
        page.goto(f"{local_server.url}/project/pbsynctest_stg/newtask")
    assert handed.value.json()["project_id"] == staging
    page.wait_for_selector(".pbs-answer:not([disabled])")
    body = answered(page, lambda: page.keyboard.press("n"))
    assert body["project_id"] == staging
    assert runs_on_server(client, prod or 0) == []


def test_a_failed_watch_sync_shows_a_banner_until_the_next_good_one(
    tmp_path: Path, client: Client, local_server: LocalServer, page: Any
) -> None:
    pushed_template(tmp_path, client, "image-classification", "pbsynctest_banner")
    page.goto(f"{local_server.url}/project/pbsynctest_banner/newtask")
    page.wait_for_selector(".pbs-answer")
    banner = "#pbsync-preview-error"
    assert page.is_hidden(banner)
    status = "/_pbsync/preview/pbsynctest_banner/status"
    message = "project.toml:3: project.name: must be a string"
    assert client.send("POST", status, json={"error": message}).status_code == 204
    page.wait_for_selector(banner, state="visible")
    assert message in page.inner_text(banner)
    assert client.send("POST", status, json={"error": None}).status_code == 204
    page.wait_for_selector(banner, state="hidden")
