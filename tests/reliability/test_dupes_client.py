"""pbclient looks for a create whose answer was lost before posting it again."""

from __future__ import annotations

from pathlib import Path

import pytest
from dupes_kit import PNG, Hold, holding_proxy, rows

from pbclient.client import Client
from pbclient.errors import InvalidDataError, ServerError, TransportError
from pbclient.reconcile import create_once, info_contains
from pbclient.retry import RetryPolicy


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "map.png"
    path.write_bytes(PNG)
    return path


@pytest.mark.parametrize("after_id", [0, None])
def test_a_helping_upload_whose_answer_was_lost_is_adopted_given_after_id(
    after_id: int | None, png: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    with Client(endpoint, api_key) as direct:
        project = direct.projects.create(name="Lost", short_name="pbsynctestlost", description="d")
    hold = Hold("POST", "/api/helpingmaterial", count=1, forward_first=True)
    retry = RetryPolicy(retries=1)
    with (
        holding_proxy(endpoint, hold) as proxy,
        Client(proxy.url, api_key, timeout=1.0, retry=retry) as client,
    ):
        info = {"name": "map.png", "sha256": "ab"}
        if after_id is None:  # nothing tells an older identical material apart: raised
            with pytest.raises(TransportError):
                client.helping_materials.create(project, info, file_path=png)
        else:
            made = client.helping_materials.create(
                project, info, file_path=png, priority=0.5, after_id=after_id
            )
            assert made.info["name"] == "map.png" and made.priority == 0.5
    assert len(rows(endpoint, api_key, "helpingmaterial", project.id)) == 1


def test_create_once_posts_again_only_after_looking() -> None:
    calls: list[str] = []
    lost = TransportError("lost", method="POST", url="http://x/api/task", maybe_applied=True)
    answers: list[object] = [lost, "made"]

    def post() -> str:
        calls.append("post")
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    def find() -> str | None:
        calls.append("find")
        return None

    assert create_once(post, find, rounds=3) == "made"
    assert calls == ["post", "find", "post"]


def test_create_once_raises_a_definite_refusal_at_once_and_adopts_what_it_finds() -> None:
    def refused() -> str:
        raise InvalidDataError("bad")

    with pytest.raises(InvalidDataError):
        create_once(refused, lambda: "never looked for", rounds=3)

    def gateway() -> str:
        raise ServerError("502", status=502)

    assert create_once(gateway, lambda: "found", rounds=3) == "found"


def test_info_contains_compares_values_canonically() -> None:
    assert info_contains({"a": {"x": 1, "y": [1]}, "file_name": "f"}, {"a": {"y": [1], "x": 1}})
    assert not info_contains({"a": 1}, {"a": 2}) and not info_contains(None, {"a": 1})
