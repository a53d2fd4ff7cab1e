"""The presenters' behaviour in a DOM: jsdom under node, the jQuery pbsync ships, a stand-in
pybossa.js. Checks answers saved through pybossa.saveTask, keyboard use, untrusted task data shown
as text, the "no more tasks" page, and that every page takes its project's short_name from the
page's address (`/project/<short_name>/newtask` ...), never from its own text.

Needs `node` and the npm package `jsdom`, found through NODE_PATH; skipped without them:

    npm install --prefix /tmp/jsd jsdom
    NODE_PATH=/tmp/jsd/node_modules pytest tests/test_templates_js.py
"""

# ruff: noqa: E501  (the embedded JavaScript below keeps its own line lengths)

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pbsync.folder.scaffold import scaffold

xstatic_jquery = pytest.importorskip("xstatic.pkg.jquery")

NODE = shutil.which("node")


def has_jsdom() -> bool:
    if NODE is None:
        return False
    probe = subprocess.run([NODE, "-e", "require('jsdom')"], capture_output=True, timeout=30)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not has_jsdom(), reason="needs node with the jsdom package")

HARNESS = r"""
const fs = require("fs");
const { JSDOM } = require("jsdom");
const jq = fs.readFileSync(process.env.JQUERY_JS, "utf8");

function page(presenterPath, tasks, url = "http://localhost/project/pbsynctest-staging/newtask") {
  const html = fs.readFileSync(presenterPath, "utf8");
  const dom = new JSDOM(`<!doctype html><html><body>${html.replace(/<script>[\s\S]*<\/script>/, "")}</body></html>`,
    { runScripts: "outside-only", url });
  const w = dom.window;
  w.eval(jq);
  const log = { saved: [], run: null, errors: [] };
  w.alert = () => log.errors.push("alert called");
  // images: fire onload soon (jsdom does not load images)
  w.Image = function () { const img = {}; Object.defineProperty(img, "src", { set(v) { setTimeout(() => img.onload && img.onload(), 0); } }); return img; };
  const $ = w.jQuery;
  let loaded, present;
  w.pybossa = {
    taskLoaded(fn) { loaded = fn; }, presentTask(fn) { present = fn; },
    saveTask(id, answer) { log.saved.push([id, JSON.parse(JSON.stringify(answer))]); return $.Deferred().resolve().promise(); },
    userProgress(sn) { return $.Deferred().resolve({ done: log.saved.length, total: tasks.length }).promise(); },
    run(sn) {
      log.run = sn;
      const queue = tasks.slice();
      const next = () => {
        const task = queue.length ? queue.shift() : {};
        const d1 = $.Deferred();
        d1.done((t) => { const d2 = $.Deferred(); d2.done(next); present(t, d2); });
        loaded(task, d1);
      };
      next();
    },
  };
  w.$.getJSON = () => $.Deferred().reject().promise();  // no network
  const scripts = html.match(/<script>([\s\S]*?)<\/script>/g).map((s) => s.replace(/<\/?script>/g, ""));
  scripts.forEach((s) => w.eval(s));
  return { w, $, log, doc: w.document };
}
const tick = () => new Promise((r) => setTimeout(r, 20));
function key(w, target, k, extra = {}) { target.dispatchEvent(new w.KeyboardEvent("keydown", Object.assign({ key: k, bubbles: true }, extra))); }
function check(cond, msg) { if (!cond) { console.log("FAIL:", msg); process.exitCode = 1; } else console.log("ok:", msg); }
const dir = process.argv[2];
const evil = "<img src=x onerror=alert(1)>";
(async () => {
  // image classification
  let p = page(dir + "/image-classification/presenter.html", [
    { id: 1, project_id: 1, info: { url: "data:image/svg+xml;base64,AAAA", title: evil, link: "javascript:alert(1)", question: evil } },
    { id: 2, project_id: 1, info: { url: "javascript:alert(2)" } },
  ]);
  await tick();
  check(p.log.run === "pbsynctest-staging", "run with the short name in the page's address");
  check(p.$("#pbs-home").attr("href") === "/project/pbsynctest-staging/", "link back to the project in the address");
  check(p.$("#pbs-title").text() === evil && p.doc.querySelectorAll("#pbs-title img").length === 0, "title as text");
  check(p.$("#pbs-question").text() === evil, "question as text");
  check(p.$("#pbs-link").prop("hidden") === true, "javascript: link hidden");
  check(p.doc.activeElement.classList.contains("pbs-answer"), "focus on first answer");
  key(p.w, p.doc.body, "y");
  await tick();
  check(JSON.stringify(p.log.saved[0]) === '[1,{"answer":"yes"}]', "Y saves yes");
  check(p.$("#pbs-image").attr("src") === "", "javascript: url not used as src");
  check(p.$("#pbs-question").text() === "Is there a circle in this picture?", "default question restored");
  check(p.$("#pbs-done").text() === "1" && p.$("#pbs-total").text() === "2", "progress shown");
  p.$(".pbs-answer[data-answer=dontknow]").trigger("click");
  await tick();
  check(JSON.stringify(p.log.saved[1]) === '[2,{"answer":"dontknow"}]', "click saves dontknow");
  check(p.$("#pbs-finished").prop("hidden") === false && p.$("#pbs-task").prop("hidden") === true, "finished shown");
  key(p.w, p.doc.body, "n"); await tick();
  check(p.log.saved.length === 2, "no save after the end");
  check(p.log.errors.length === 0, "no alert");

  // transcription
  p = page(dir + "/transcription/presenter.html", [
    { id: 5, project_id: 1, info: { text: "Tbe " + evil, hint: evil } },
    { id: 6, project_id: 1, info: { image: "data:image/png;base64,AAAA" } },
  ]);
  await tick();
  check(p.$("#pbs-text").text() === "Tbe " + evil && p.doc.querySelectorAll("#pbs-text img").length === 0, "machine text as text");
  check(p.$("#pbs-transcription").val() === "Tbe " + evil, "textarea prefilled");
  check(p.doc.activeElement.id === "pbs-transcription", "focus in textarea");
  p.$("#pbs-transcription").val("The fox");
  key(p.w, p.doc.getElementById("pbs-transcription"), "Enter", { ctrlKey: true });
  await tick();
  check(JSON.stringify(p.log.saved[0]) === '[5,{"transcription":"The fox","illegible":false}]', "ctrl+enter saves");
  check(p.$("#pbs-image").prop("hidden") === false && p.$("#pbs-text").prop("hidden") === true, "image task shows image");
  check(p.$("#pbs-transcription").val() === "", "textarea emptied");
  p.$("#pbs-task").trigger("submit"); await tick();
  check(p.log.saved.length === 1 && /Type what you read/.test(p.$("#pbs-status").text()), "empty transcription refused");
  p.$("#pbs-illegible").trigger("click"); await tick();
  check(JSON.stringify(p.log.saved[1]) === '[6,{"transcription":"","illegible":true}]', "can't read saves");
  check(p.$("#pbs-finished").prop("hidden") === false, "finished shown");

  // geo
  p = page(dir + "/geo-pinning/presenter.html", [
    { id: 7, project_id: 1, info: { place: evil, hint: "h" } },
    { id: 8, project_id: 1, info: { place: "B" } },
    { id: 9, project_id: 1, info: { place: "C" } },
  ]);
  await tick();
  check(p.$("#pbs-place").text() === evil && p.doc.querySelectorAll("#pbs-place img").length === 0, "place as text");
  const map = p.doc.getElementById("pbs-map");
  check(p.doc.activeElement === map, "map focused");
  key(p.w, map, "Enter"); await tick();
  check(p.log.saved.length === 0, "no pin, no save");
  key(p.w, map, "ArrowUp", { shiftKey: true }); key(p.w, map, "ArrowUp", { shiftKey: true }); key(p.w, map, "ArrowLeft");
  check(p.$("#pbs-lat").val() === "20" && p.$("#pbs-lon").val() === "-1", "arrows move pin and fill inputs");
  check(p.$("#pbs-pin").attr("display") === "inline" && p.$("#pbs-pin").attr("transform") === "translate(-1,-20)", "pin drawn");
  key(p.w, map, "Enter"); await tick();
  check(JSON.stringify(p.log.saved[0]) === '[7,{"lat":20,"lon":-1}]', "enter saves lat/lon");
  check(p.$("#pbs-pin").attr("display") === "none" && p.$("#pbs-lat").val() === "", "pin cleared for next task");
  p.$("#pbs-lat").val("48.8584").trigger("input"); p.$("#pbs-lon").val("2.2945").trigger("input");
  p.$("#pbs-task").trigger("submit"); await tick();
  check(JSON.stringify(p.log.saved[1]) === '[8,{"lat":48.8584,"lon":2.2945}]', "typed lat/lon saved");
  p.$("#pbs-unknown").trigger("click"); await tick();
  check(JSON.stringify(p.log.saved[2]) === '[9,{"lat":null,"lon":null,"unknown":true}]', "don't know saved");
  check(p.$("#pbs-finished").prop("hidden") === false, "finished shown");
})();
"""


def test_presenters_behave(tmp_path: Path) -> None:
    for template in ("image-classification", "transcription", "geo-pinning"):
        scaffold(template, tmp_path / template)
    script = tmp_path / "run.js"
    script.write_text(HARNESS, encoding="utf-8")
    env = {**os.environ, "JQUERY_JS": str(Path(xstatic_jquery.BASE_DIR) / "jquery.js")}
    assert NODE is not None
    result = subprocess.run(
        [NODE, str(script), str(tmp_path)], capture_output=True, text=True, env=env, timeout=60
    )
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert result.returncode == 0 and not failures, result.stdout + result.stderr
    assert result.stdout.count("ok:") >= 30


# Each case: a page, opened at an address; what the page then did with the short_name.
ADDRESS_HARNESS = r"""
const fs = require("fs");
const { JSDOM } = require("jsdom");
const jq = fs.readFileSync(process.env.JQUERY_JS, "utf8");
const cases = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const results = cases.map(([path, url]) => {
  const html = fs.readFileSync(path, "utf8");
  const body = html.replace(/<script>[\s\S]*?<\/script>/g, "");
  const dom = new JSDOM(`<!doctype html><html><body>${body}</body></html>`, { runScripts: "outside-only", url });
  const w = dom.window;
  w.eval(jq);
  const $ = w.jQuery;
  const seen = { run: null, progress: [], api: [] };
  w.pybossa = {
    taskLoaded() {}, presentTask() {}, saveTask() { return $.Deferred().promise(); },
    userProgress(sn) { seen.progress.push(sn); return $.Deferred().promise(); },
    run(sn) { seen.run = sn; },
  };
  w.$.getJSON = (u, data) => { seen.api.push([u, data]); return $.Deferred().promise(); };
  (html.match(/<script>([\s\S]*?)<\/script>/g) || []).forEach((s) => w.eval(s.replace(/<\/?script>/g, "")));
  const home = w.document.getElementById("pbs-home");
  return Object.assign(seen, {
    loading: $("#pbs-loading").text(), status: $("#pbs-results-status").text(),
    home: home ? home.href : null, links: Array.from(w.document.querySelectorAll("a.btn")).map((a) => a.href),
  });
});
console.log(JSON.stringify(results));
"""

TEMPLATES = ("image-classification", "transcription", "geo-pinning")
SERVER = "http://pb.example"
# where PYBOSSA (and pbsync's preview) shows each page; the short_name is the part after /project/
ADDRESSES = {
    "presenter.html": (
        "/project/pbsynctest-staging/newtask",
        "/project/pbsynctest-staging/task/12",
        "/project/pbsynctest-staging/presenter",
        "/project/pbsynctest-staging/newtask?lang=en#top",
    ),
    "results.html": ("/project/pbsynctest-staging/results",),
    "tutorial.html": ("/project/pbsynctest-staging/tutorial",),
}
ELSEWHERE = ("/presenter.html", "/project/", "/projects/pbsynctest-staging")

Opened = dict[tuple[str, str, str], dict[str, Any]]


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Opened:
    """Every template's pages opened at each address (one node run): what each page did.

    The folders' own short_name is "production": no page may use it.
    """
    root = tmp_path_factory.mktemp("addresses")
    cases = [
        (template, page, path)
        for template in TEMPLATES
        for page in ADDRESSES
        for path in (*ADDRESSES[page], *ELSEWHERE)
    ]
    for template in TEMPLATES:
        scaffold(template, root / template, short_name="production")
    listing = [[str(root / template / page), SERVER + path] for template, page, path in cases]
    (root / "cases.json").write_text(json.dumps(listing), encoding="utf-8")
    (root / "addresses.js").write_text(ADDRESS_HARNESS, encoding="utf-8")
    env = {**os.environ, "JQUERY_JS": str(Path(xstatic_jquery.BASE_DIR) / "jquery.js")}
    assert NODE is not None
    result = subprocess.run(
        [NODE, str(root / "addresses.js"), str(root / "cases.json")],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(zip(cases, json.loads(result.stdout), strict=True))


@pytest.mark.parametrize("template", TEMPLATES)
def test_pages_take_the_short_name_from_the_address(template: str, opened: Opened) -> None:
    for path in ADDRESSES["presenter.html"]:
        seen = opened[template, "presenter.html", path]
        assert seen["run"] == "pbsynctest-staging", (path, seen)
        assert seen["home"] == SERVER + "/project/pbsynctest-staging/"
        assert seen["loading"] != "" and "<short_name>" not in seen["loading"]
    results = opened[template, "results.html", ADDRESSES["results.html"][0]]
    assert results["api"] == [["/api/project", {"short_name": "pbsynctest-staging", "all": 1}]]
    tutorial = opened[template, "tutorial.html", ADDRESSES["tutorial.html"][0]]
    assert tutorial["links"] == [SERVER + "/project/pbsynctest-staging/newtask"]


@pytest.mark.parametrize("template", TEMPLATES)
def test_pages_opened_elsewhere_say_where_they_run(template: str, opened: Opened) -> None:
    for page in ("presenter.html", "results.html"):
        for path in ELSEWHERE:
            seen = opened[template, page, path]
            assert seen["run"] is None and seen["api"] == [] and seen["progress"] == [], seen
            assert "/project/<short_name>/" in seen["loading"] + seen["status"], (page, path)
