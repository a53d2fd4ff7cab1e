"""P6: `pbsync watch` latency, with `bench_watch.run_small`'s measurement.

`pbsync.watch` runs in a thread of this process on a 10-task project pushed by its first sync;
each of SAVES saves of presenter.html waits for the server to hold it (polled every 5 ms at the
server's own address, so the proxy's round trip is charged to the watch only), then a burst of
20 saves within 100 ms. Requests are the watch client's own count.
"""

from __future__ import annotations

from typing import Any

from bench_watch import run_small

from bench.context import Setting


def watch_round(ctx: Setting, rnd: int, saves: int) -> dict[str, Any]:
    """One round: latencies (s) of `saves` saves, their requests, the burst's figures."""
    ctx.server.reset()
    tmp = ctx.tmp / f"watch{ctx.rtt_ms:g}-r{rnd}"
    got = run_small(ctx.url, ctx.server.api_key, tmp, saves, poll_url=ctx.server.url)
    burst = got["burst"]
    return {
        "latencies": got["latencies"],
        "requests": sum(got["sent"].values()),
        "sent": got["sent"],
        "syncs": len(got["syncs"]),
        "burst": {
            "latency_s": burst["latency_s"],
            "syncs": len(burst["syncs"]),
            "sent": burst["sent"],
        },
    }
