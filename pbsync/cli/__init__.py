"""The `pbsync` command line: the only package that prints.

Each command lives in its own module and is listed in `COMMANDS` below: the group shows
`pbsync --help` (and completes command names) from that table, and imports a command's module only
when the command runs or its own help is asked. `pbsync --help` and `--version` thus import neither
the local server nor rich. Exit codes: 0 success (and `diff`: in sync), 1 error, 2 `diff`: changes
pending. Errors are one red line on stderr (a validation error: one line per problem); the API key
is never printed.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from pbsync import __version__
from pbsync.config import mask
from pbsync.errors import PbsyncError, ValidationError

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

__all__ = ["COMMANDS", "EXIT_CHANGES", "EXIT_ERROR", "EXIT_OK", "GlobalOptions", "main"]

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


class LazyCommand(NamedTuple):
    """Where a command is defined, and the summary `pbsync --help` shows without importing it."""

    module: str
    attribute: str
    #: must equal the command's own `short_help` (tests/cli/test_cold_start.py checks it)
    short_help: str


#: every pbsync command; a new command is one line here
COMMANDS: Mapping[str, LazyCommand] = {
    "serve": LazyCommand(
        "pbsync.cli.serve", "serve", "Run a local PYBOSSA-compatible server (Ctrl-C stops it)."
    ),
    "init": LazyCommand("pbsync.cli.init", "init", "Start a project folder from a template."),
    "diff": LazyCommand("pbsync.cli.sync", "diff", "Show what a push would change."),
    "push": LazyCommand("pbsync.cli.sync", "push", "Make the server match the folder."),
    "pull": LazyCommand("pbsync.cli.sync", "pull", "Write a server's project into a folder."),
    "watch": LazyCommand(
        "pbsync.cli.watch", "watch", "Push every save while you edit (with a live preview)."
    ),
}

#: secrets seen by this process (API keys), masked in every error line
_SECRETS: list[str] = []


def remember_secret(value: str | None) -> None:
    """Mask `value` in every error message printed from now on."""
    if value and value not in _SECRETS:
        _SECRETS.append(value)


#: longest error line printed; servers quote whole database errors (~1 kB) in their messages
MAX_ERROR = 400
#: lines of a server's error message that only repeat the SQL or point to generic docs
_NOISE = ("[SQL:", "[parameters:", "(Background on this error")


def one_line(message: str) -> str:
    """`message` on one line: blank and noise lines dropped, the rest joined, long ones cut."""
    lines = [line.strip() for line in message.splitlines()]
    text = " ".join(line for line in lines if line and not line.startswith(_NOISE))
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 3] + "..."


def error_line(message: str) -> None:
    """Print one red error line on stderr, with secrets masked."""
    # rich is imported here, not at the top: `pbsync --help` must not pay for it
    from rich.console import Console
    from rich.markup import escape

    for secret in _SECRETS:
        message = mask(message, secret)
    text = escape(one_line(message))
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]error:[/] {text}")


@dataclass(frozen=True)
class GlobalOptions:
    """The options given before the command (`pbsync --endpoint URL push ...`)."""

    endpoint: str | None
    api_key: str | None
    profile: str | None
    env: str | None
    verbosity: int


class LazyGroup(click.Group):
    """A group whose commands are imported only when used.

    Args:
        lazy: command name -> where the command is defined and its short help.
        *args, **kwargs: as for `click.Group`.
    """

    def __init__(
        self, *args: Any, lazy: Mapping[str, LazyCommand] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: Mapping[str, LazyCommand] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return self.commands.get(cmd_name)
        spec = self.lazy[cmd_name]
        command = getattr(importlib.import_module(spec.module), spec.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{spec.module}.{spec.attribute} is not a click command")
        self.commands[cmd_name] = command  # imported once per process
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.NoSuchCommand as exc:
            # click suggests names from `self.commands`, which only holds the commands loaded
            known = self.list_commands(ctx)
            raise click.NoSuchCommand(exc.command_name, possibilities=known, ctx=exc.ctx) from None

    def _summaries(self, ctx: click.Context, prefix: str = "") -> list[tuple[str, str]]:
        """(name, short help) of the visible commands starting with `prefix`, none imported."""
        rows = []
        for name in self.list_commands(ctx):
            if not name.startswith(prefix):
                continue
            if name in self.lazy:
                rows.append((name, self.lazy[name].short_help))
            elif not self.commands[name].hidden:
                rows.append((name, self.commands[name].get_short_help_str()))
        return rows

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = self._summaries(ctx)
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        from click.shell_completion import CompletionItem

        names = [
            CompletionItem(name, help=summary) for name, summary in self._summaries(ctx, incomplete)
        ]
        # click.Command's completion: the group's own options
        return names + click.Command.shell_complete(self, ctx, incomplete)


class PbsyncGroup(LazyGroup):
    """Maps pbsync and pbclient errors to one red line and exit code 1 (usage errors too)."""

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        call = {"args": args, "prog_name": prog_name, "complete_var": complete_var, **extra}
        if not standalone_mode:
            return super().main(**call, standalone_mode=False)
        try:
            code = super().main(**call, standalone_mode=False)
        except click.UsageError as exc:
            # one line like every other error, instead of click's usage block and "Error:" line
            where = exc.ctx.command_path if exc.ctx is not None else "pbsync"
            error_line(f"{exc.format_message()} (see '{where} --help')")
            sys.exit(EXIT_ERROR)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_ERROR)
        except click.Abort:
            error_line("interrupted; run the command again to resume (nothing is duplicated)")
            sys.exit(EXIT_ERROR)
        except Exception as exc:
            lines = _error_lines(exc)
            if lines is None:
                raise
            for line in lines:
                error_line(line)
            sys.exit(EXIT_ERROR)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


def _error_lines(exc: Exception) -> list[str] | None:
    """The error lines for a pbsync or pbclient error; None for any other exception."""
    if isinstance(exc, ValidationError):
        return [str(problem) for problem in exc.problems]
    if isinstance(exc, PbsyncError):
        return [str(exc)]
    # imported only now: pbclient.errors imports the pbclient package, its client and requests
    from pbclient.errors import AuthenticationError, PybossaError

    if isinstance(exc, AuthenticationError):
        return [f"{exc} (is the API key right? PYBOSSA treats a wrong key as anonymous)"]
    if isinstance(exc, PybossaError):
        return [str(exc)]
    return None


EXAMPLES = """\b
Examples:
  pbsync init demo --template image-classification
  pbsync diff demo              # what a push would change (exit 2: changes)
  pbsync push demo --yes        # make the server match the folder
  pbsync pull demo demo-copy    # write a server's project into a folder
  PYBOSSA_ENDPOINT=https://crowdcrafting.org pbsync push demo

\b
The API key comes from --api-key, PYBOSSA_API_KEY or ~/.pybossa.cfg (pbs's file).
With no endpoint anywhere, pbsync uses its embedded local server (`pbsync serve`
runs the same server for other clients). `pbsync COMMAND --help` shows a command's options."""


@click.group(
    cls=PbsyncGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXAMPLES,
)
@click.version_option(__version__, prog_name="pbsync")
@click.option("--endpoint", metavar="URL", help="PYBOSSA server URL [env: PYBOSSA_ENDPOINT].")
@click.option("--api-key", metavar="KEY", help="API key [env: PYBOSSA_API_KEY].")
@click.option("--profile", metavar="NAME", help="Section of ~/.pybossa.cfg (default: default).")
@click.option("--env", "env_name", metavar="NAME", help="Apply project.toml's [env.NAME] overlay.")
@click.option("-v", "--verbose", count=True, help="More output (-vv: debug).")
@click.option("-q", "--quiet", count=True, help="Less output.")
@click.pass_context
def main(
    ctx: click.Context,
    endpoint: str | None,
    api_key: str | None,
    profile: str | None,
    env_name: str | None,
    verbose: int,
    quiet: int,
) -> None:
    """PYBOSSA projects as code."""
    # imported here: this callback runs only when a command runs, never for --help or --version
    from rich.console import Console
    from rich.logging import RichHandler

    _SECRETS.clear()  # one invocation's keys (CliRunner runs many in one process)
    remember_secret(api_key)
    verbosity = verbose - quiet
    level = {1: logging.INFO}.get(verbosity, logging.DEBUG if verbosity > 1 else logging.WARNING)
    handler = RichHandler(console=Console(stderr=True), show_path=False)
    logging.basicConfig(level=level, handlers=[handler], format="%(message)s", force=True)
    ctx.obj = GlobalOptions(endpoint, api_key, profile, env_name, verbosity)
