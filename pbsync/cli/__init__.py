"""The `pbsync` command line: the only package that prints.

Each command lives in its own module and is registered on the `main` group below. Exit codes:
0 success (and `diff`: in sync), 1 error, 2 `diff`: changes pending. Errors are one red line on
stderr (a validation error: one line per problem); the API key is never printed.
"""

from __future__ import annotations

import importlib
import logging
import sys
from dataclasses import dataclass
from typing import Any

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from pbclient.errors import AuthenticationError, PybossaError
from pbsync import __version__
from pbsync.config import mask
from pbsync.errors import PbsyncError, ValidationError

__all__ = ["EXIT_CHANGES", "EXIT_ERROR", "EXIT_OK", "GlobalOptions", "main"]

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2

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


class PbsyncGroup(click.Group):
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
        except ValidationError as exc:
            for problem in exc.problems:
                error_line(str(problem))
            sys.exit(EXIT_ERROR)
        except AuthenticationError as exc:
            error_line(f"{exc} (is the API key right? PYBOSSA treats a wrong key as anonymous)")
            sys.exit(EXIT_ERROR)
        except (PbsyncError, PybossaError) as exc:
            error_line(str(exc))
            sys.exit(EXIT_ERROR)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


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
    cls=PbsyncGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES
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
    _SECRETS.clear()  # one invocation's keys (CliRunner runs many in one process)
    remember_secret(api_key)
    verbosity = verbose - quiet
    level = {1: logging.INFO}.get(verbosity, logging.DEBUG if verbosity > 1 else logging.WARNING)
    handler = RichHandler(console=Console(stderr=True), show_path=False)
    logging.basicConfig(level=level, handlers=[handler], format="%(message)s", force=True)
    ctx.obj = GlobalOptions(endpoint, api_key, profile, env_name, verbosity)


def _register() -> None:
    # each command module registers here; a module another part of pbsync has not shipped yet
    # is skipped rather than breaking every other command
    for module_name, command in (
        ("serve", "serve"),
        ("init", "init"),  # from pbsync.cli import init as init_cmd
        ("sync", "diff"),
        ("sync", "push"),
        ("sync", "pull"),
    ):
        try:
            module = importlib.import_module(f"pbsync.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pbsync.cli.{module_name}":
                raise
            continue
        main.add_command(getattr(module, command))


_register()
