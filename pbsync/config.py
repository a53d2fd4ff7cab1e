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
from urllib.parse import urlsplit

from pbsync.errors import ConfigError

__all__ = [
    "CONFIG_NAME",
    "DEFAULT_PROFILE",
    "HIDDEN",
    "Settings",
    "config_path",
    "mask",
    "resolve",
    "same_server",
    "write_profile",
]

log = logging.getLogger(__name__)

CONFIG_NAME = ".pybossa.cfg"
DEFAULT_PROFILE = "default"
HIDDEN = "<hidden>"
ENV_ENDPOINT = "PYBOSSA_ENDPOINT"
ENV_API_KEY = "PYBOSSA_API_KEY"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Settings:
    """The resolved connection settings.

    Attributes:
        endpoint: the server's URL, or None for the embedded local server.
        api_key: the key (never shown: see `__repr__`).
        profile: the config-file profile used, if any.
        source: where the endpoint came from ("--endpoint", "environment", "~/.pybossa.cfg [x]",
            or "embedded").
        withheld: why a configured key is not used (one line for the CLI to show), or None.
    """

    endpoint: str | None
    api_key: str | None = field(default=None, repr=False)
    profile: str | None = None
    source: str = "embedded"
    withheld: str | None = None

    @property
    def embedded(self) -> bool:
        """True when no endpoint is configured and the embedded local server is used."""
        return self.endpoint is None

    def __repr__(self) -> str:
        key = HIDDEN if self.api_key else None
        return (
            f"Settings(endpoint={self.endpoint!r}, api_key={key!r}, profile={self.profile!r}, "
            f"source={self.source!r}, withheld={self.withheld!r})"
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
    withheld = None
    if key is None and chosen is not None:
        if file_key and same_server(chosen, server):
            key = file_key
        else:
            withheld = _withheld(chosen, server, file_key, section, from_profile, env)
    if chosen is None:
        return Settings(endpoint=None, api_key=None, profile=section, source="embedded")
    if not chosen.startswith(("http://", "https://")):
        hint = "" if "://" in chosen else f" (did you mean 'http://{chosen}'?)"
        raise ConfigError(f"endpoint {chosen!r} from {source} is not an http(s) URL{hint}")
    return Settings(
        endpoint=chosen.rstrip("/"), api_key=key, profile=section, source=source, withheld=withheld
    )


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


def _withheld(
    chosen: str,
    server: str | None,
    file_key: str | None,
    section: str | None,
    from_profile: bool,
    env: Mapping[str, str],
) -> str | None:
    """Why no configured key goes to `chosen` (None when no key is configured at all)."""
    where = f"~/{CONFIG_NAME} [{section}]"
    if file_key and server is None:
        return f"the apikey of {where} is not sent: that section names no server"
    if file_key:
        return (
            f"the apikey of {where} is not sent to {chosen}: it is for {server} "
            "(a key only goes to the server it was written down for)"
        )
    if from_profile and env.get(ENV_API_KEY):
        return (
            f"{ENV_API_KEY} is not sent to {where}'s server {chosen}, and that section has no "
            "apikey: set one there or pass --api-key"
        )
    return None


#: host names that all mean "this machine": a key for one is a key for the others
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "localhost.localdomain"})


def _server_of(url: str) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, path) with loopback names, default ports and slashes made equal."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if host in _LOOPBACK:
        host = "localhost"
    try:
        port = parts.port
    except ValueError:  # not a number: compared as given, so it matches only itself
        return scheme, host, None, url.strip().rstrip("/")
    return scheme, host, port or _DEFAULT_PORTS.get(scheme), parts.path.rstrip("/")


def same_server(a: str, b: str | None) -> bool:
    """Whether two endpoints are one server, where a key written down for one may go.

    `localhost`, `127.0.0.1` and `::1` are the same machine; `http://h` is `http://h:80`;
    a trailing slash and the case of the scheme and host do not matter. The scheme and the path
    do: `https://h` and `http://h`, or `/pybossa` and `/`, are different servers.
    """
    return b is not None and _server_of(a) == _server_of(b)
