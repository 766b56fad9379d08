"""Run an unmodified discord.py client against the emulator.

discord.py reads its REST base from ``discord.http.Route.BASE`` and, for non-autosharded
clients and some reconnects, the gateway from ``DiscordWebSocket.DEFAULT_GATEWAY``; both are
class attributes meant to be overridable. Nothing else of discord.py is touched.
"""

from __future__ import annotations

import asyncio
import logging
import time

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.emulator.problems import EmulatorError

log = logging.getLogger(__name__)

_ORIGINAL = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)


def configure_discordpy(rest_url: str, gateway_url: str) -> None:
    """Point every discord.py client of this process at an emulator.

    Args:
        rest_url: REST base, e.g. ``http://127.0.0.1:PORT/api/v10``.
        gateway_url: Gateway websocket URL, e.g. ``ws://127.0.0.1:PORT/gateway``.
    """
    Route.BASE = rest_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    log.info("discord.py now talks to %s / %s", rest_url, gateway_url)


def restore_discordpy(rest_url: str | None = None) -> None:
    """Point discord.py back at the real Discord.

    Args:
        rest_url: Only restore if discord.py still points at this emulator URL.
    """
    if rest_url is None or rest_url == Route.BASE:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = _ORIGINAL


async def run_until_ready(
    client: discord.Client, token: str, *, within: float
) -> asyncio.Task[None]:
    """Start ``client.start(token)`` in a task and wait until the client is ready.

    Returns:
        The task running the client (await it after ``client.close()``).

    Raises:
        EmulatorError: if the client stopped or was not ready within ``timeout`` seconds;
            the client's own exception (e.g. ``LoginFailure``) is chained.
    """
    task = asyncio.create_task(client.start(token), name=f"discord-client-{id(client):x}")
    deadline = time.monotonic() + within
    # ``wait_until_ready`` needs the client's loop, which only exists after login starts.
    while not client.is_ready():
        if task.done():
            error = task.exception()
            raise EmulatorError(f"{client!r} stopped before it was ready: {error!r}") from error
        if time.monotonic() > deadline:
            await stop_client_task(client, task)
            raise EmulatorError(f"{client!r} was not ready after {within:g} s")
        await asyncio.sleep(0.005)
    return task


async def stop_client_task(client: discord.Client, task: asyncio.Task[None]) -> None:
    """Close a client started by :func:`run_until_ready` and wait for its task to end."""
    await client.close()
    done, _ = await asyncio.wait({task}, timeout=5.0)
    if not done:
        log.warning("%r did not stop within 5 s; cancelling it", client)
        task.cancel()
    elif not task.cancelled() and task.exception() is not None:
        log.error("%r ended with an error", client, exc_info=task.exception())
