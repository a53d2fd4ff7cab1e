"""Round-trip properties (hypothesis, few examples): after push, diff is empty; apply(plan) then
make_plan is empty, whatever the folder held before and after."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pbsync
from pbclient.client import Client
from pbsync.server import LocalServer
from pbsync.sync.apply import apply
from pbsync.sync.planner import make_plan
from pbsync.sync.remote import RemoteProject

SHORT = "pbsynctest_prop"

text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_characters='\\"'),
    min_size=1,
    max_size=40,
)
value = st.one_of(text, st.integers(-1000, 1000), st.booleans())
row = st.fixed_dictionaries({"url": text}, optional={"label": value, "n": st.integers(0, 9)})
rows = st.lists(row, max_size=12, unique_by=lambda r: json.dumps(r, sort_keys=True))
project = st.fixed_dictionaries(
    {
        "description": text,
        "presenter": st.text(
            st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
            min_size=1,
            max_size=200,
        ),
        "rows": rows,
        "info": st.dictionaries(st.sampled_from(["sched", "thumbnail_url", "x"]), text, max_size=2),
    }
)

SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def write(folder: Path, spec: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    info = "".join(f"{k} = {json.dumps(v)}\n" for k, v in sorted(spec["info"].items()))
    (folder / "project.toml").write_text(
        f'[project]\nname = "Prop"\nshort_name = "{SHORT}"\n'
        f"description = {json.dumps(spec['description'])}\n[project.info]\n{info}",
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text(spec["presenter"], encoding="utf-8", newline="")
    (folder / "tasks.json").write_text(json.dumps(spec["rows"]), encoding="utf-8")


@SETTINGS
@given(before=project, after=project)
def test_push_then_diff_is_empty(local_server: LocalServer, before: Any, after: Any) -> None:
    local_server.reset()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Client(local_server.url, local_server.api_key) as client,
    ):
        folder = Path(tmp) / "p"
        write(folder, before)
        pbsync.push(folder, client, prune=True)
        assert pbsync.plan(folder, client).empty
        write(folder, after)
        pbsync.push(folder, client, prune=True)
        assert pbsync.plan(folder, client, prune=True).empty


@SETTINGS
@given(spec=project)
def test_apply_plan_then_make_plan_is_empty(local_server: LocalServer, spec: Any) -> None:
    local_server.reset()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Client(local_server.url, local_server.api_key) as client,
    ):
        folder = Path(tmp) / "p"
        write(folder, spec)
        local = pbsync.load(folder).state
        apply(make_plan(local, RemoteProject.fetch(client, SHORT)), client)
        assert make_plan(local, RemoteProject.fetch(client, SHORT)).empty
