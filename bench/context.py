"""One measurement setting: the server, the address the tools use, the round trip, the tools."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.infra import Proxy, Server, timed, tool_env, total, writes
from bench.peers import Peers


@dataclass
class Setting:
    """Where and how the tools run.

    Attributes:
        server: the server (its own address for checks and polling).
        proxy: the latency proxy the tools go through (None: straight to the server, 0 ms).
        rtt_ms: the round trip measurements see.
        tmp: a scratch directory (folders, HOME).
        peers: pbs and pybossa-client 3.0.0 (None: `--no-peers`).
    """

    server: Server
    proxy: Proxy | None
    rtt_ms: float
    tmp: Path
    peers: Peers | None

    @property
    def url(self) -> str:
        """The address the tools use."""
        return self.proxy.url if self.proxy else self.server.url

    @property
    def env(self) -> dict[str, str]:
        """The tools' environment (a HOME of their own under tmp)."""
        home = self.tmp / "home"
        home.mkdir(exist_ok=True)
        return tool_env(home)

    def pbsync(self, *args: str) -> list[str]:
        """`pbsync -q --endpoint URL --api-key KEY ARGS` of this checkout."""
        where = ["--endpoint", self.url, "--api-key", self.server.api_key]
        return [sys.executable, "-m", "pbsync", "-q", *where, *args]

    def pbs(self, *args: str) -> list[str]:
        """`pbs --server URL --api-key KEY ARGS` of the peers' venv (run in the pbs folder)."""
        assert self.peers is not None
        return [self.peers.pbs, "--server", self.url, "--api-key", self.server.api_key, *args]

    @contextmanager
    def setup(self) -> Iterator[None]:
        """Run the block at 0 ms (set-up work, not measured), through the same address."""
        if self.proxy:
            self.proxy.set_rtt(0)
        try:
            yield
        finally:
            if self.proxy:
                self.proxy.set_rtt(self.rtt_ms)

    def measure(
        self, argv: list[str], cwd: Path | None = None, keep_out: bool = False
    ) -> dict[str, Any]:
        """Run one tool command: wall seconds, exit code, peak RSS, requests the server got
        (and its output with `keep_out`)."""
        self.server.clear()
        run = timed(argv, env=self.env, cwd=cwd)
        counts = self.server.counts()
        if run.code not in (0, 2):  # 2: `diff` found changes
            raise SystemExit(f"{' '.join(argv[:6])}... exited {run.code}:\n{run.out[-2000:]}")
        return {
            "seconds": run.seconds,
            "code": run.code,
            "rss_mb": run.rss_mb,
            "requests": total(counts),
            "writes": writes(counts),
            "counts": counts,
        } | ({"out": run.out} if keep_out else {})


def rotated(items: list[str], rnd: int) -> list[str]:
    """`items` starting at a different one each round (each tool goes first in turn)."""
    k = rnd % len(items)
    return items[k:] + items[:k]
