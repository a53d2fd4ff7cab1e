"""Where to push: endpoint, API key and profile resolution.

Each value comes from the first of: command-line flags, the environment (`PYBOSSA_ENDPOINT`,
`PYBOSSA_API_KEY`), then pbs's `~/.pybossa.cfg` (a profile is a section with `server` and
`apikey`; the default section is `default`). With no endpoint anywhere, pbsync uses its embedded
local server (see target.py).

A key from the config file is only used with that file's server: a key must never be sent to an
endpoint it was not written down for. The key never appears in a repr, a log or an error.
"""

from __future__ import annotations

import configparser
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pbsync.errors import ConfigError

__all__ = [
    "CONFIG_NAME",
    "DEFAULT_PROFILE",
    "HIDDEN",
    "Settings",
    "config_path",
    "mask",
    "resolve",
    "write_profile",
]

log = logging.getLogger(__name__)

CONFIG_NAME = ".pybossa.cfg"
DEFAULT_PROFILE = "default"
HIDDEN = "<hidden>"
ENV_ENDPOINT = "PYBOSSA_ENDPOINT"
ENV_API_KEY = "PYBOSSA_API_KEY"


@dataclass(frozen=True)
class Settings:
    """The resolved connection settings.

    Attributes:
        endpoint: the server's URL, or None for the embedded local server.
        api_key: the key (never shown: see `__repr__`).
        profile: the config-file profile used, if any.
        source: where the endpoint came from ("--endpoint", "environment", "~/.pybossa.cfg [x]",
            or "embedded").
    """

    endpoint: str | None
    api_key: str | None = field(default=None, repr=False)
    profile: str | None = None
    source: str = "embedded"

    @property
    def embedded(self) -> bool:
        """True when no endpoint is configured and the embedded local server is used."""
        return self.endpoint is None

    def __repr__(self) -> str:
        key = HIDDEN if self.api_key else None
        return (
            f"Settings(endpoint={self.endpoint!r}, api_key={key!r}, profile={self.profile!r}, "
            f"source={self.source!r})"
        )


def mask(text: str, key: str | None) -> str:
    """`text` with every occurrence of `key` replaced by `<hidden>`."""
    return text.replace(key, HIDDEN) if key else text


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """`~/.pybossa.cfg`, with `HOME` from `environ` (default `os.environ`)."""
    home = (os.environ if environ is None else environ).get("HOME")
    return (Path(home) if home else Path.home()) / CONFIG_NAME


def _read_profile(path: Path, profile: str | None) -> tuple[str | None, str | None, str | None]:
    """(server, apikey, section) from the config file; a missing default profile is no error."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        read = parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"{path}: cannot parse: {exc}") from exc
    section = profile or DEFAULT_PROFILE
    if not read or not parser.has_section(section):
        if profile is not None:
            where = f"{path}" if read else f"{path} (no such file)"
            raise ConfigError(f"profile {profile!r} not found in {where}")
        return None, None, None
    server = parser.get(section, "server", fallback=None) or None
    apikey = parser.get(section, "apikey", fallback=None) or None
    return server, apikey, section


def resolve(
    *,
    endpoint: str | None = None,
    api_key: str | None = None,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve the endpoint and key: flags > environment > `~/.pybossa.cfg`.

    Args:
        endpoint: `--endpoint`.
        api_key: `--api-key`.
        profile: `--profile` (a section of the config file; it must exist when given).
        environ: the environment (default `os.environ`; `HOME` locates the config file).

    Raises:
        ConfigError: the profile does not exist, the file cannot be parsed, or the endpoint is
            not an http(s) URL.
    """
    env = os.environ if environ is None else environ
    server, file_key, section = _read_profile(config_path(env), profile)
    if profile is not None and endpoint is None:
        # an explicit profile wins over the environment's endpoint
        chosen, source = server, f"~/{CONFIG_NAME} [{section}]"
    elif endpoint:
        chosen, source = endpoint, "--endpoint"
    elif env.get(ENV_ENDPOINT):
        chosen, source = env[ENV_ENDPOINT], "environment"
    else:
        chosen, source = server, f"~/{CONFIG_NAME} [{section}]"
    from_profile = profile is not None and endpoint is None
    # a profile names a server and its key together: the environment's key (meant for the
    # environment's endpoint) must not be sent to the profile's server
    key = api_key or (None if from_profile else env.get(ENV_API_KEY)) or None
    if key is None and chosen is not None and _same_server(chosen, server):
        key = file_key
    if chosen is None:
        return Settings(endpoint=None, api_key=None, profile=section, source="embedded")
    if not chosen.startswith(("http://", "https://")):
        hint = "" if "://" in chosen else f" (did you mean 'http://{chosen}'?)"
        raise ConfigError(f"endpoint {chosen!r} from {source} is not an http(s) URL{hint}")
    return Settings(endpoint=chosen.rstrip("/"), api_key=key, profile=section, source=source)


def _same_server(a: str, b: str | None) -> bool:
    return b is not None and a.rstrip("/") == b.rstrip("/")


def write_profile(path: Path, profile: str, server: str, api_key: str) -> None:
    """Set the section `profile` of pbs's config file at `path` to `server` and `api_key`.

    Other sections are kept (their comments are not: configparser does not read them). The file
    is written to a temporary file created with mode 0600 and renamed over the old one, so the key
    is never readable by others, not even for a moment, and a crash leaves the old file whole.

    Raises:
        ConfigError: the existing file cannot be parsed, or `server` is not an http(s) URL.
    """
    if not server.startswith(("http://", "https://")):
        raise ConfigError(f"server {server!r} is not an http(s) URL")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"{path}: cannot parse: {exc}") from exc
    if not parser.has_section(profile):
        parser.add_section(profile)
    parser.set(profile, "server", server.rstrip("/"))
    parser.set(profile, "apikey", api_key)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            parser.write(handle)
        os.chmod(temporary, 0o600)  # O_CREAT's mode is filtered by the umask; make it exact
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
