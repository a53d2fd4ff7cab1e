"""The `pbsync` command line: the only package that prints.

Each command lives in its own module and is registered on the `main` group below. Exit codes:
0 success (and `diff`: in sync), 1 error, 2 `diff`: changes pending.
"""

from __future__ import annotations

import click

from pbsync import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pbsync")
def main() -> None:
    """PYBOSSA projects as code."""


def _register() -> None:
    from pbsync.cli import serve

    main.add_command(serve.serve)


_register()
