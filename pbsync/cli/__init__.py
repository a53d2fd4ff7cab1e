"""The `pbsync` command line: the only package that prints.

Each command lives in its own module and is listed in `COMMANDS` below: the group shows
`pbsync --help` (and completes command names) from that table, and imports a command's module only
when the command runs or its own help is asked. `pbsync --help` and `--version` thus import neither
the local server nor rich. Exit codes: 0 success (and `diff`: in sync), 1 error, 2 `diff`: changes
pending, 130 interrupted. Errors are one red line on stderr (a validation error: one line per
problem); with `--json` they are also a JSON object on stdout (`{"error": ..., "problems": [...]}`).
The API key is never printed. The group's options are accepted after the command too (see
`global_options`).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import click

from pbsync import __version__
from pbsync.config import mask
from pbsync.errors import PbsyncError, ValidationError

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

__all__ = [
    "COMMANDS",
    "EXIT_CHANGES",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "GlobalOptions",
    "global_options",
    "main",
]

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
#: the shell's convention for a process ended by SIGINT (128 + 2)
EXIT_INTERRUPTED = 130
#: seconds a thread holds the interpreter lock before one waiting for it gets it (Python: 0.005)
SWITCH_INTERVAL = 0.0005


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
    "export": LazyCommand(
        "pbsync.cli.export", "export", "Export a project's tasks, task runs and results to files."
    ),
    "watch": LazyCommand(
        "pbsync.cli.watch", "watch", "Push every save while you edit (with a live preview)."
    ),
    "status": LazyCommand(
        "pbsync.cli.status", "status", "Show the server, profile, user and the folder's state."
    ),
    "open": LazyCommand("pbsync.cli.open", "open_", "Open the project's page in a browser."),
    "projects": LazyCommand("pbsync.cli.projects", "projects", "List your projects on the server."),
    "validate": LazyCommand(
        "pbsync.cli.validate", "validate", "Check a project folder offline (exit 0: valid)."
    ),
    "convert": LazyCommand(
        "pbsync.cli.convert", "convert", "Write a project.toml for a pbs folder."
    ),
    "login": LazyCommand(
        "pbsync.cli.login", "login", "Save a server and API key in ~/.pybossa.cfg."
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

    text = escape(one_line(_masked(message)))
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]error:[/] {text}")


@dataclass(frozen=True)
class GlobalOptions:
    """The group's options (`pbsync --endpoint URL push ...`, or after the command)."""

    endpoint: str | None
    api_key: str | None
    profile: str | None
    env: str | None
    verbosity: int


F = TypeVar("F", bound=Callable[..., Any])


def _configure_logging(verbosity: int) -> None:
    # imported here: this runs only when a command runs, never for --help or --version
    from rich.console import Console
    from rich.logging import RichHandler

    level = {1: logging.INFO}.get(verbosity, logging.DEBUG if verbosity > 1 else logging.WARNING)
    handler = RichHandler(console=Console(stderr=True), show_path=False)
    logging.basicConfig(level=level, handlers=[handler], format="%(message)s", force=True)


def _merge(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Fold a global option given after the command into the command's `GlobalOptions`."""
    if value is None or value == 0:
        return
    opts: GlobalOptions = ctx.find_object(GlobalOptions) or GlobalOptions(None, None, None, None, 0)
    name = param.name or ""
    if name == "verbose":
        ctx.obj = dataclasses.replace(opts, verbosity=opts.verbosity + value)
        _configure_logging(ctx.obj.verbosity)
    elif name == "quiet":
        ctx.obj = dataclasses.replace(opts, verbosity=opts.verbosity - value)
        _configure_logging(ctx.obj.verbosity)
    else:
        if name == "api_key":
            remember_secret(value)
        ctx.obj = dataclasses.replace(opts, **{name: value})


#: the group's options, also accepted after a command (`pbsync push demo --endpoint URL`)
_GLOBAL_AFTER: tuple[tuple[Sequence[str], dict[str, Any]], ...] = (
    (("--endpoint",), {"metavar": "URL", "help": "PYBOSSA server URL (also before the command)."}),
    (("--api-key", "api_key"), {"metavar": "KEY", "help": "API key (also before the command)."}),
    (("--profile",), {"metavar": "NAME", "help": "Section of ~/.pybossa.cfg."}),
    (("--env",), {"metavar": "NAME", "help": "Apply project.toml's [env.NAME] overlay."}),
    (("-v", "--verbose", "verbose"), {"count": True, "help": "More output (-vv: debug)."}),
    (("-q", "--quiet", "quiet"), {"count": True, "help": "Less output."}),
)


def global_options(command: F) -> F:
    """Accept the group's options after the command too; the later value wins.

    Users type `pbsync push demo --endpoint URL` as often as `pbsync --endpoint URL push demo`;
    the values are folded into the command's `ctx.obj` (`GlobalOptions`) while it parses.
    """
    for decls, kwargs in reversed(_GLOBAL_AFTER):
        command = click.option(*decls, callback=_merge, expose_value=False, **kwargs)(command)
    return command


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
    """Maps errors to one red line and exit code 1 (usage errors too), interrupts to 130.

    With `--json` on the command line an error is also a JSON object on stdout, so a script
    reading stdout always gets JSON. Bare `pbsync` prints the help (exit 0).
    """

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
        argv = list(sys.argv[1:] if args is None else args)
        as_json = "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv
        try:
            code = super().main(**call, standalone_mode=False)
        except click.exceptions.NoArgsIsHelpError as exc:
            # bare `pbsync`: the help, readable, as `pbsync --help` shows it
            click.echo(exc.ctx.get_help())
            sys.exit(EXIT_OK)
        except click.UsageError as exc:
            # one line like every other error, instead of click's usage block and "Error:" line
            where = exc.ctx.command_path if exc.ctx is not None else "pbsync"
            _fail([f"{exc.format_message()} (see '{where} --help')"], as_json)
        except click.ClickException as exc:
            if as_json:
                _emit_error([exc.format_message()])
            exc.show()
            sys.exit(EXIT_ERROR)
        except click.Abort:
            # Ctrl-C (click turns KeyboardInterrupt into Abort); 130 as a shell reports SIGINT
            _fail(
                ["interrupted; run the command again to resume (nothing is duplicated)"],
                as_json,
                EXIT_INTERRUPTED,
            )
        except Exception as exc:
            lines = _error_lines(exc)
            if lines is None:
                raise
            _fail(lines, as_json)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


def _fail(lines: list[str], as_json: bool, code: int = EXIT_ERROR) -> None:
    """Print the error lines (and with --json the JSON object) and exit with `code`."""
    if as_json:
        _emit_error(lines)
    for line in lines:
        error_line(line)
    sys.exit(code)


def _emit_error(lines: list[str]) -> None:
    """`{"error": first line, "problems": [every line]}` on stdout, secrets masked."""
    masked = [_masked(line) for line in lines]
    document: dict[str, Any] = {"error": masked[0] if len(masked) == 1 else _summary(masked)}
    if len(masked) > 1:
        document["problems"] = masked
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _summary(lines: list[str]) -> str:
    return f"{len(lines)} problems, the first: {lines[0]}"


def _masked(message: str) -> str:
    for secret in _SECRETS:
        message = mask(message, secret)
    return message


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
    # pbsync's threads wait on the network (task pages read ahead, create_many's workers): one
    # whose answer came in waits for the interpreter lock up to this long while another thread
    # computes, once per request. Python's 5 ms cost `diff` of 100,000 tasks (1,001 pages
    # compared while the next is read) some 12% of its time (bench/bench_diff_memory.py)
    sys.setswitchinterval(SWITCH_INTERVAL)
    _SECRETS.clear()  # one invocation's keys (CliRunner runs many in one process)
    remember_secret(api_key)
    verbosity = verbose - quiet
    _configure_logging(verbosity)
    ctx.obj = GlobalOptions(endpoint, api_key, profile, env_name, verbosity)
