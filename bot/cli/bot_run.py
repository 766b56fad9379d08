"""Running the bot: `run` (connects to Discord) and `sandbox` (the offline emulator).

Loaded only by those two verbs (`bot.cli.bot_verbs` registers them), so that the other
verbs start without aiohttp's server, the services or discord.py.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from bot.cli.errors import CliError
from bot.http.health import add_health_routes, database_check
from bot.http.server import HttpServer
from bot.lifecycle import gateway_check, run_until_stopped, stop_on_signals
from bot.services import Services, build_services
from bot.settings import Settings, load_settings

log = logging.getLogger(__name__)

__all__ = ["run", "sandbox", "shard_options"]


def shard_options(args: argparse.Namespace) -> dict[str, object]:
    """discord.py's sharding options from `--shard-count` and `--shard-ids`."""
    if args.shard_ids is not None and args.shard_count is None:
        raise CliError("--shard-ids needs --shard-count")
    if args.shard_count is None:
        return {}
    if args.shard_count < 1:
        raise CliError("--shard-count must be at least 1")
    ids = args.shard_ids or list(range(args.shard_count))
    if max(ids) >= args.shard_count:
        raise CliError(f"shard ids must be below --shard-count ({args.shard_count})")
    return {"shard_count": args.shard_count, "shard_ids": ids}


async def run(args: argparse.Namespace) -> int:
    import discord

    from bot.app import TokendeskBot

    settings = load_settings()
    if not settings.discord_token:
        raise CliError("DISCORD_TOKEN is not set (try `tokendesk sandbox` to use it offline)")
    options = shard_options(args)
    if settings.discord_rest_url:  # a loopback Discord (the emulator), for tests
        from bot.emulator.discordpy import configure_discordpy

        gateway = settings.discord_gateway_url or settings.discord_rest_url
        configure_discordpy(settings.discord_rest_url, gateway)
    stop = asyncio.Event()
    with stop_on_signals(stop):
        services = await build_services(settings)
        try:
            if stop.is_set():  # stopped while the schema was upgraded
                return 0
            bot = TokendeskBot(services, **options)
            health = await _serve_health(bot, services, settings, args.http_host)
            try:
                async with bot:
                    await run_until_stopped(bot, settings.discord_token, stop)
            except discord.LoginFailure:
                raise CliError("Discord rejected DISCORD_TOKEN: check the bot token") from None
            except discord.PrivilegedIntentsRequired:
                raise CliError("Discord refused the gateway intents this bot asked for") from None
            except (OSError, aiohttp.ClientError) as exc:
                raise CliError(f"cannot reach Discord: {exc}") from None
            finally:
                if health is not None:
                    await health.stop()
        finally:
            await services.close()
    return 0


async def _serve_health(
    bot: Any, services: Services, settings: Settings, host: str
) -> HttpServer | None:
    """`/healthz` and `/metrics` on TOKENDESK_HTTP_PORT, if it is set."""
    if settings.http_port is None:
        return None
    from aiohttp import web

    app = web.Application()
    checks = [gateway_check(bot), database_check(services.ledger)]
    add_health_routes(app, checks, services.metrics)
    server = HttpServer(app, shutdown_timeout=1.0)
    try:
        await server.start(host, settings.http_port)
    except OSError as exc:
        raise CliError(
            f"cannot serve /healthz on {host}:{settings.http_port}: {exc.strerror}"
        ) from None
    log.info("serving /healthz and /metrics on http://%s:%d", host, settings.http_port)
    return server


async def _delivered(services: Services, within: float = 3.0) -> None:
    """Wait (a little) until the bot delivered what it decided: the sandbox shows it."""
    deliveries = services.ledger.deliveries
    for _ in range(int(within / 0.05)):
        if not await deliveries.waiting():
            return
        await asyncio.sleep(0.05)


async def sandbox(args: argparse.Namespace) -> int:
    from bot.app import TokendeskBot
    from bot.emulator import Emulator
    from bot.roles import STAFF_PERMISSIONS
    from bot.sandbox.demo import DEMO_PEOPLE, demo_situations, load_demo
    from bot.sandbox.events import run_event
    from bot.sandbox.terminal import Terminal

    logging.getLogger("discord").setLevel(logging.ERROR)  # no voice-support warnings
    folder = Path(tempfile.mkdtemp(prefix="tokendesk-sandbox-"))
    async with Emulator() as emu:
        guild = emu.add_guild("tokendesk sandbox")
        staff = STAFF_PERMISSIONS.value  # what a server admin grants so staff see the commands
        roles = {n: emu.add_role(guild, n, permissions=staff) for n in ("Support", "Moderator")}
        people = {
            p.name: emu.add_member(guild, p.name, roles=[roles[r] for r in p.roles])
            for p in DEMO_PEOPLE
        }
        settings = dataclasses.replace(
            load_settings(environ={}),
            database_url=f"sqlite+aiosqlite:///{folder / 'sandbox.db'}",
            guild_id=guild.id,
            support_role="Support",
            moderator_role="Moderator",
            triage_channel=guild.default_channel.id,
        )
        services = await build_services(settings)
        try:
            linked = {p.name: str(people[p.name].id) for p in DEMO_PEOPLE if p.account_id}
            await load_demo(services.ledger, linked)
            bot = TokendeskBot(services, guild_ready_timeout=0.05)
            await emu.start_client(bot)
            print(f"tokendesk sandbox: the real bot on an offline Discord; ledger in {folder}")
            accounts = {p.name: p.account_id for p in DEMO_PEOPLE}

            async def event(name: str, words: list[str]) -> str:
                said = await run_event(services.ledger, accounts.get(name), words)
                bot.deliverer.poke()
                return said

            terminal = Terminal(
                emu,
                people,
                demo_situations(services.clock.now()),
                now=services.clock.now,
                triage=guild.default_channel,
                staff=frozenset(p.name for p in DEMO_PEOPLE if p.roles),
                settle=lambda: _delivered(services),
                files=folder,
                events=event,
            )
            await terminal.run(sys.stdin)
            await emu.stop_client(bot)
        finally:
            await services.close()
    return 0
