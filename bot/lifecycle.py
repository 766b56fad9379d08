"""Starting and stopping a long-running process cleanly (SPEC section 7).

On SIGTERM or SIGINT a process takes no new work, finishes the work in flight, closes
its connections and exits 0, all within `STOP_BUDGET_S`:
- `tokendesk run`: the interaction gate refuses new interactions (they go unanswered),
  those in flight finish (up to `DRAIN_S`), then the gateway, HTTP session, health
  server and database close.
- `tokendesk webhook`: the listening socket closes, requests in flight finish, then
  connections and the database close.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.http.health import Check

log = logging.getLogger(__name__)

__all__ = ["DRAIN_S", "STOP_BUDGET_S", "gateway_check", "run_until_stopped", "stop_on_signals"]

STOP_BUDGET_S = 10.0
DRAIN_S = 7.0
"""Seconds interactions in flight get to finish; the rest of the budget closes things."""


@contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Set `stop` on SIGTERM or SIGINT (instead of dying mid-work) while inside."""
    loop = asyncio.get_running_loop()

    def received(name: str) -> None:
        if not stop.is_set():
            log.info("%s received: stopping", name)
            stop.set()

    signals = (signal.SIGTERM, signal.SIGINT)
    for sig in signals:
        loop.add_signal_handler(sig, received, sig.name)
    try:
        yield
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def gateway_check(bot: Any) -> Check:
    """A health check: every gateway shard of `bot` (an AutoShardedClient) is connected."""

    async def check() -> str | None:
        shards = dict(bot.shards)
        if not shards:
            return "gateway: not connected yet"
        down = sorted(sid for sid, shard in shards.items() if shard.is_closed())
        if down:
            return f"gateway: shard {', '.join(map(str, down))} disconnected"
        return None

    return check


async def run_until_stopped(bot: Any, token: str, stop: asyncio.Event) -> None:
    """Run `bot` until it ends by itself (re-raising why) or `stop` is set (then drain).

    Raises:
        discord.LoginFailure: and whatever else `bot.start` raises.
    """
    running = asyncio.ensure_future(bot.start(token))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if running.done():
        stopping.cancel()
        running.result()
        return
    gate = bot.gate
    log.info("stopping: taking no new interactions; %d in flight", gate.in_flight)
    if not await gate.drain(DRAIN_S):
        log.warning("stopping with %d interactions unfinished after %g s", gate.in_flight, DRAIN_S)
    await bot.close()
    try:
        await asyncio.wait_for(running, STOP_BUDGET_S - DRAIN_S - 1)
    except Exception as exc:  # the bot is closed; how its connection loop ended is moot
        log.debug("bot task ended with %r", exc)
    log.info("stopped")
