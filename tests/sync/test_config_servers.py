"""Which endpoints count as the server a `~/.pybossa.cfg` key was written for (issue 11, item 1).

Before, the comparison was textual: a key for `http://127.0.0.1:6123` was silently withheld from
`http://localhost:6123`, and nothing said why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pbsync.config import resolve, same_server


def _home(tmp_path: Path, server: str | None, key: str = "file-key") -> dict[str, str]:
    lines = ["[default]", f"apikey = {key}"] + ([f"server = {server}"] if server else [])
    (tmp_path / ".pybossa.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"HOME": str(tmp_path)}


@pytest.mark.parametrize(
    ("configured", "given"),
    [
        ("http://127.0.0.1:6123", "http://localhost:6123"),
        ("http://localhost:6123/", "http://127.0.0.1:6123"),
        ("http://[::1]:6123", "http://localhost:6123"),
        ("http://pb.example.org", "http://pb.example.org:80/"),
        ("https://pb.example.org:443/", "https://PB.example.org"),
        ("http://pb.example.org/pybossa/", "http://pb.example.org/pybossa"),
    ],
)
def test_same_server_spellings_get_the_key(tmp_path: Path, configured: str, given: str) -> None:
    settings = resolve(endpoint=given, environ=_home(tmp_path, configured))
    assert settings.api_key == "file-key"
    assert settings.withheld is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://pb.example.org", "https://pb.example.org"),
        ("http://localhost:6123", "http://localhost:6124"),
        ("http://pb.example.org/a", "http://pb.example.org/b"),
        ("http://evil.example.org", "http://pb.example.org"),
        ("http://localhost:6123", "http://localhost.evil.example:6123"),
    ],
)
def test_other_servers_are_other_servers(a: str, b: str) -> None:
    assert not same_server(a, b)


def test_withheld_file_key_says_why(tmp_path: Path) -> None:
    settings = resolve(
        endpoint="http://elsewhere:1", environ=_home(tmp_path, "http://127.0.0.1:6123")
    )
    assert settings.api_key is None
    assert settings.withheld is not None
    assert (
        "http://elsewhere:1" in settings.withheld and "http://127.0.0.1:6123" in settings.withheld
    )
    assert "file-key" not in settings.withheld and "file-key" not in repr(settings)


def test_withheld_key_of_a_section_without_server_says_why(tmp_path: Path) -> None:
    settings = resolve(endpoint="http://elsewhere:1", environ=_home(tmp_path, None))
    assert settings.api_key is None
    assert settings.withheld is not None and "names no server" in settings.withheld


def test_environment_key_withheld_from_a_profile_says_why(tmp_path: Path) -> None:
    (tmp_path / ".pybossa.cfg").write_text(
        "[staging]\nserver = http://staging:1\n", encoding="utf-8"
    )
    env = {"HOME": str(tmp_path), "PYBOSSA_API_KEY": "env-key"}
    settings = resolve(profile="staging", environ=env)
    assert settings.api_key is None
    assert settings.withheld is not None and "PYBOSSA_API_KEY" in settings.withheld


def test_nothing_withheld_when_a_key_is_given_or_none_configured(tmp_path: Path) -> None:
    home = _home(tmp_path, "http://127.0.0.1:6123")
    assert resolve(endpoint="http://elsewhere:1", api_key="k", environ=home).withheld is None
    empty = {"HOME": str(tmp_path / "nowhere")}
    assert resolve(endpoint="http://elsewhere:1", environ=empty).withheld is None
