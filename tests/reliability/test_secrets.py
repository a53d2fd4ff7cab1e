"""The API key shows nowhere: not in any output, at any verbosity, nor in any file pbsync writes.

A user of the local server gets a key of its own, given as `--api-key`, as `PYBOSSA_API_KEY` or
by a `~/.pybossa.cfg` profile. With it, init, push (publishing too), diff, pull (with and without
`--json`) and watch run at -q, the default, -v and -vv, and so do failing runs: an invalid
folder, a key the server does not know (401), a server error (500) and a server that is down.
Then every stdout and stderr, and every file under the test's folder (the projects, pulled
copies, `.pbsync/`, the home folder; not the `.pybossa.cfg` that holds the key on purpose), is
searched for the key, its URL-encoded forms and any 12 characters of it in a row.
"""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from big_project import pbsync_command
from click.testing import CliRunner, Result

from pbclient.client import Client
from pbsync.cli import main
from pbsync.server import LocalServer

SHORT = "pbsynctest_secrets"
VERBOSITY = {"quiet": ["-q"], "default": [], "v": ["-v"], "vv": ["-vv"]}
SOURCES = ("option", "environment", "profile")
#: a key no server knows: the 401 runs use it, and it must not show either
UNKNOWN_KEY = "5f2b8c1e-unknown-key-7d41a9e0c3b6"
#: a key with characters URL encoding changes, for the runs where the encoded form could leak
ODD_KEY = "pb+sync/odd key=1&x%41"
WINDOW = 12


def forms(key: str) -> set[str]:
    """The key as it could leak: whole, URL-encoded, and every run of WINDOW characters."""
    found = {key, quote(key, safe=""), quote_plus(key), quote(key)}
    found |= {key[i : i + WINDOW] for i in range(len(key) - WINDOW + 1)}
    return found


def leaks(texts: dict[str, str | bytes], *keys: str) -> list[str]:
    """(name: form) for every text that holds a form of one of `keys`."""
    found = []
    for name, text in texts.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
        for key in keys:
            hits = sorted(f for f in forms(key) if f.encode() in data)
            if hits:
                found.append(f"{name}: {hits[0]!r}")
    return found


def written_files(root: Path) -> dict[str, str | bytes]:
    """Every file under `root` but the config file that holds the key by design."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != ".pybossa.cfg"
    }


class Runs:
    """Runs pbsync with the key from one source, keeping every output."""

    def __init__(self, server_url: str, home: Path, source: str, verbosity: list[str]) -> None:
        self.url, self.home, self.source, self.verbosity = server_url, home, source, verbosity
        self.outputs: dict[str, str | bytes] = {}
        self.profiles: dict[tuple[str, str], str] = {}

    def options(self, key: str, url: str | None = None) -> tuple[list[str], dict[str, str | None]]:
        """Global options and environment that give `key` (for `url`) through the source."""
        url = url or self.url
        env: dict[str, str | None] = {
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / "data"),
            "PYBOSSA_ENDPOINT": None,
            "PYBOSSA_API_KEY": None,
        }
        if self.source == "option":
            return ["--endpoint", url, "--api-key", key, *self.verbosity], env
        if self.source == "environment":
            return self.verbosity, {**env, "PYBOSSA_ENDPOINT": url, "PYBOSSA_API_KEY": key}
        if (key, url) not in self.profiles:
            self.profiles[(key, url)] = profile = f"profile{len(self.profiles) + 1}"
            with (self.home / ".pybossa.cfg").open("a", encoding="utf-8") as cfg:
                cfg.write(f"[{profile}]\nserver: {url}\napikey: {key}\n")
        return ["--profile", self.profiles[(key, url)], *self.verbosity], env

    def cli(self, name: str, *args: str, key: str, url: str | None = None) -> Result:
        options, env = self.options(key, url)
        result = CliRunner().invoke(main, [*options, *args], env=env)
        self.outputs[f"{name} stdout"] = result.stdout
        self.outputs[f"{name} stderr"] = result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            self.outputs[f"{name} exception"] = repr(result.exception)
        return result


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def _init(runs: Runs, folder: Path, key: str) -> None:
    result = runs.cli("init", "init", str(folder), "--short-name", SHORT, key=key)
    assert result.exit_code == 0, result.output
    toml = folder / "project.toml"
    text = toml.read_text(encoding="utf-8").replace("[project]\n", "[project]\npublished = true\n")
    toml.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("verbosity", list(VERBOSITY))
@pytest.mark.parametrize("source", SOURCES)
def test_no_output_and_no_file_shows_the_key(
    local_server: LocalServer, tmp_path: Path, home: Path, source: str, verbosity: str
) -> None:
    key = local_server.create_user("keeper")
    runs = Runs(local_server.url, home, source, VERBOSITY[verbosity])
    folder = tmp_path / "project"
    _init(runs, folder, key)
    expect = {
        ("push", "push", str(folder), "--yes"): 0,
        ("diff", "diff", str(folder)): 0,
        ("diff --json", "diff", "--json", str(folder)): 0,
        ("pull", "pull", SHORT, str(tmp_path / "copy")): 0,
        ("pull --json", "pull", "--json", SHORT, str(tmp_path / "copy2")): 0,
    }
    for (name, *args), code in expect.items():
        assert runs.cli(name, *args, key=key).exit_code == code, runs.outputs[f"{name} stderr"]
    (folder / "presenter.html").write_text("<p>changed</p>\n", encoding="utf-8")
    changed = runs.cli("push --json", "push", "--json", "--yes", str(folder), key=key)
    assert changed.exit_code == 0

    # failing runs: each exits 1
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "project.toml").write_text("[project]\nname = 1\n", encoding="utf-8")
    failing = [
        runs.cli("invalid folder", "push", "--yes", str(broken), key=key),
        runs.cli("unknown key", "diff", str(folder), key=UNKNOWN_KEY),
    ]
    local_server.faults.add(1, status=500, path="/api/project", method="GET")
    failing.append(runs.cli("500 on read", "diff", str(folder), key=key))
    (folder / "presenter.html").write_text("<p>again</p>\n", encoding="utf-8")
    local_server.faults.add(1, status=500, method="PUT")
    failing.append(runs.cli("500 on write", "push", "--yes", str(folder), key=key))
    assert [r.exit_code for r in failing] == [1, 1, 1, 1]

    assert leaks(runs.outputs, key, UNKNOWN_KEY) == []
    assert leaks(written_files(tmp_path), key, UNKNOWN_KEY) == []


@pytest.mark.parametrize("source", SOURCES)
def test_a_server_that_is_down_is_told_without_the_key(
    local_server: LocalServer, tmp_path: Path, home: Path, source: str
) -> None:
    key = local_server.create_user("keeper")
    runs = Runs(local_server.url, home, source, ["-vv"])
    folder = tmp_path / "project"
    _init(runs, folder, key)
    down = f"http://127.0.0.1:{_closed_port()}"
    result = runs.cli("server down", "push", "--yes", str(folder), key=key, url=down)
    assert result.exit_code == 1 and "127.0.0.1" in result.stderr
    assert leaks(runs.outputs, key) == []
    assert leaks(written_files(tmp_path), key) == []


@pytest.mark.parametrize("source", ["option", "environment"])
def test_a_key_that_url_encoding_changes_does_not_show_either(
    local_server: LocalServer, tmp_path: Path, home: Path, source: str
) -> None:
    local_server.store.create_user("odd", api_key=ODD_KEY)
    runs = Runs(local_server.url, home, source, ["-vv"])
    folder = tmp_path / "project"
    _init(runs, folder, ODD_KEY)
    assert runs.cli("push", "push", "--yes", str(folder), key=ODD_KEY).exit_code == 0
    pulled = runs.cli("pull", "pull", SHORT, str(tmp_path / "copy"), key=ODD_KEY)
    assert pulled.exit_code == 0
    local_server.faults.add(1, status=500, path="/api/project", method="GET")
    assert runs.cli("500", "diff", str(folder), key=ODD_KEY).exit_code == 1
    assert leaks(runs.outputs, ODD_KEY) == []
    assert leaks(written_files(tmp_path), ODD_KEY) == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- watch, as a process ----------------------------------------------------------------------

WATCH_CASES = [("option", v) for v in VERBOSITY] + [("environment", "vv"), ("profile", "vv")]


@pytest.mark.parametrize(("source", "verbosity"), WATCH_CASES)
def test_watch_shows_no_key(
    local_server: LocalServer, tmp_path: Path, home: Path, source: str, verbosity: str
) -> None:
    key = local_server.create_user("keeper")
    runs = Runs(local_server.url, home, source, VERBOSITY[verbosity])
    folder = tmp_path / "project"
    _init(runs, folder, key)
    options, env = runs.options(key)
    command, base_env = pbsync_command(local_server, home, "watch", str(folder), "--preview")
    # the same interpreter and package, with this source's options instead of --endpoint/--api-key
    command = [*command[:3], *options, *command[7:]]
    environment = {k: v for k, v in {**base_env, **env}.items() if v is not None}
    stats = local_server.stats
    with _watching(command, environment, tmp_path / "watch.log") as process:
        # the first sync ends by publishing; then a save is one PUT of the project
        assert stats.wait_for(1, method="POST", path=f"/project/{SHORT}/publish", timeout=60)
        with Client(local_server.url, local_server.api_key) as client:
            project = client.projects.by_short_name(SHORT)
        assert project is not None
        (folder / "presenter.html").write_text("<p>edited while watched</p>\n", encoding="utf-8")
        assert stats.wait_for(1, method="PUT", path=f"/api/project/{project.id}", timeout=60)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
    runs.outputs["watch"] = (tmp_path / "watch.log").read_bytes()
    assert leaks(runs.outputs, key) == []
    assert leaks(written_files(tmp_path), key) == []


class _watching:
    """The watch process, its output in `log`; killed if the test fails before it stops."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.command, self.env, self.log = command, env, log

    def __enter__(self) -> subprocess.Popen[bytes]:
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=output, stderr=subprocess.STDOUT
            )
        return self.process

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
