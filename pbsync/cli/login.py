"""`pbsync login`: save a server and its API key as a profile of pbs's `~/.pybossa.cfg`."""

from __future__ import annotations

import logging

import click

from pbsync.cli import GlobalOptions, global_options, remember_secret
from pbsync.cli.common import consoles
from pbsync.config import DEFAULT_PROFILE, HIDDEN, config_path, write_profile
from pbsync.errors import ConfigError

__all__ = ["login"]

log = logging.getLogger(__name__)


@click.command(
    short_help="Save a server and API key in ~/.pybossa.cfg.",
    epilog="\b\nExamples:\n  pbsync login --endpoint https://crowdcrafting.org\n"
    "  pbsync login --profile staging --endpoint https://staging.example.org",
)
@global_options
@click.pass_context
def login(ctx: click.Context) -> None:
    """Write the profile (--profile, default: default) with the server (--endpoint) and a key.

    The key is asked for without echo (or taken from --api-key) and never printed. The file is
    pbs's format (`[NAME]` with `server` and `apikey`) and readable by you only (mode 0600).
    """
    opts: GlobalOptions = ctx.obj
    _, err = consoles(False, opts.verbosity < 0)
    server = opts.endpoint or click.prompt("Server URL", err=True)
    if not server.startswith(("http://", "https://")):
        raise ConfigError(
            f"server {server!r} is not an http(s) URL (e.g. https://crowdcrafting.org)"
        )
    key = opts.api_key or click.prompt(
        "API key (from your account page on the server)", hide_input=True, err=True
    )
    key = key.strip()
    remember_secret(key)
    if not key:
        raise ConfigError("no API key given")
    profile = opts.profile or DEFAULT_PROFILE
    path = config_path()
    write_profile(path, profile, server, key)
    err.print(
        f"Saved [{profile}] in {path} (mode 0600): server {server.rstrip('/')}, apikey {HIDDEN}.",
        markup=False,
    )
    hint = "" if profile == DEFAULT_PROFILE else f"--profile {profile} "
    err.print(f"Check it with: pbsync {hint}status", markup=False)
