"""Endpoint / key / profile resolution: flags > environment > ~/.pybossa.cfg (HOME in tmp_path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbsync.config import HIDDEN, mask, resolve
from pbsync.errors import ConfigError

CFG = """
[default]
server: https://default.example.org
apikey: default-key

[staging]
server = https://staging.example.org/
apikey = staging-key
"""


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    (tmp_path / ".pybossa.cfg").write_text(CFG, encoding="utf-8")
    return {"HOME": str(tmp_path)}


def test_config_file_default_profile(home: dict[str, str]) -> None:
    settings = resolve(environ=home)
    assert (settings.endpoint, settings.api_key, settings.profile) == (
        "https://default.example.org",
        "default-key",
        "default",
    )


def test_named_profile(home: dict[str, str]) -> None:
    settings = resolve(profile="staging", environ=home)
    assert (settings.endpoint, settings.api_key) == ("https://staging.example.org", "staging-key")


def test_environment_beats_file(home: dict[str, str]) -> None:
    env = {**home, "PYBOSSA_ENDPOINT": "http://env:5000", "PYBOSSA_API_KEY": "env-key"}
    settings = resolve(environ=env)
    assert (settings.endpoint, settings.api_key, settings.source) == (
        "http://env:5000",
        "env-key",
        "environment",
    )


def test_flags_beat_environment(home: dict[str, str]) -> None:
    env = {**home, "PYBOSSA_ENDPOINT": "http://env:5000", "PYBOSSA_API_KEY": "env-key"}
    settings = resolve(endpoint="http://flag:1", api_key="flag-key", environ=env)
    assert (settings.endpoint, settings.api_key) == ("http://flag:1", "flag-key")


def test_file_key_never_goes_to_another_server(home: dict[str, str]) -> None:
    settings = resolve(endpoint="http://elsewhere:1", environ=home)
    assert settings.api_key is None


def test_unknown_profile_is_an_error(home: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="nope"):
        resolve(profile="nope", environ=home)


def test_nothing_configured_means_embedded(tmp_path: Path) -> None:
    settings = resolve(environ={"HOME": str(tmp_path)})
    assert settings.embedded and settings.endpoint is None


def test_bad_endpoint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="http"):
        resolve(endpoint="ftp://x", environ={"HOME": str(tmp_path)})


def test_key_is_masked(home: dict[str, str]) -> None:
    settings = resolve(environ=home)
    assert "default-key" not in repr(settings) and HIDDEN in repr(settings)
    assert mask("url?api_key=default-key", settings.api_key) == f"url?api_key={HIDDEN}"


def test_profile_key_beats_the_environments_key(home: dict[str, str]) -> None:
    env = {**home, "PYBOSSA_ENDPOINT": "http://env:5000", "PYBOSSA_API_KEY": "env-key"}
    settings = resolve(profile="staging", environ=env)
    assert (settings.endpoint, settings.api_key) == ("https://staging.example.org", "staging-key")
    flagged = resolve(profile="staging", api_key="flag-key", environ=env)
    assert flagged.api_key == "flag-key"


def test_pbs_config_format_with_colons_and_case(tmp_path: Path) -> None:
    # pbs 3.0.0 reads `server` and `apikey` from the section `--credentials` names (default
    # "default") with configparser, so `key: value` and `Key = value` both work
    (tmp_path / ".pybossa.cfg").write_text(
        "[default]\nServer: http://pb.local:5000/\nAPIKEY = k1\n", encoding="utf-8"
    )
    settings = resolve(environ={"HOME": str(tmp_path)})
    assert (settings.endpoint, settings.api_key) == ("http://pb.local:5000", "k1")
