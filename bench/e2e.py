"""End-to-end benchmark: /balance through the Discord emulator, and a constant-answer baseline.

The real bot (real ledger on a SQLite file with 100,000 accounts and 1,000,000 journal rows)
and the emulator run in one process, over loopback sockets. Latency is measured from the
moment the emulator hands INTERACTION_CREATE to the gateway to the moment it accepts the
bot's callback. The baseline is a bot whose /balance answers a constant embed.

    .venv/bin/python bench/e2e.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import logging
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
from discord import app_commands  # noqa: E402
from discord.ext import commands  # noqa: E402

from bench.ledger import NOW, fresh_file, percentile, seed_accounts  # noqa: E402
from bot.app import TokendeskBot  # noqa: E402
from bot.emulator import Emulator  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from ledger.clock import FixedClock  # noqa: E402
from ledger.store.sqlite import connect  # noqa: E402

LINKED = 1_000


class ConstantBot(commands.Bot):
    """The baseline: the same command name, answered with a constant ephemeral embed."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.none(), guild_ready_timeout=0.05
        )
        self.guild_id = guild_id

    async def setup_hook(self) -> None:
        @app_commands.command(name="balance", description="constant")
        async def balance(interaction: discord.Interaction) -> None:
            embed = discord.Embed(title="Your tokens", description="**150** tokens to spend")
            await interaction.response.send_message(embed=embed, ephemeral=True)

        guild = discord.Object(id=self.guild_id)
        self.tree.add_command(balance, guild=guild)
        await self.tree.sync(guild=guild)


async def drive(emu: Emulator, members: list, count: int, in_flight: int) -> tuple[float, list]:
    """Send `count` /balance interactions, `in_flight` at a time; (per second, latencies)."""
    latencies: list[float] = []
    rng = random.Random(11)

    async def client(share: int) -> None:
        for _ in range(share):
            result = await emu.slash(rng.choice(members), "balance")
            record = result.record
            latencies.append(record.acknowledged_at - record.dispatched_at)

    for _ in range(200):  # warm-up
        await emu.slash(members[0], "balance")
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    await asyncio.gather(*(client(count // in_flight) for _ in range(in_flight)))
    elapsed = time.perf_counter() - started
    gc.unfreeze()
    return len(latencies) / elapsed, latencies


def link(path: str, ids: list[int]) -> None:
    conn = connect(path)
    conn.execute("BEGIN")
    conn.executemany(
        "UPDATE accounts SET discord_user_id = ? WHERE account_id = ?",
        [(str(uid), f"acc-{n * 97}") for n, uid in enumerate(ids)],
    )
    conn.execute("COMMIT")
    conn.close()


async def main(quick: bool) -> None:
    logging.getLogger("discord").setLevel(logging.ERROR)
    accounts, count, in_flight = (10_000, 1_000, 8) if quick else (100_000, 5_000, 8)
    folder = tempfile.mkdtemp(prefix="tokendesk-e2e-")
    try:
        path = await fresh_file(folder, "e2e.db")
        seed_accounts(path, accounts, 10)
        async with Emulator() as emu:
            guild = emu.add_guild("bench")
            members = [emu.add_member(guild, f"user{n}") for n in range(LINKED)]
            link(path, [m.id for m in members])
            settings = dataclasses.replace(
                Settings(), database_url=f"sqlite+aiosqlite:///{path}", guild_id=guild.id
            )
            services = await build_services(settings, FixedClock(NOW))
            bot = TokendeskBot(services, guild_ready_timeout=0.05)
            await emu.start_client(bot)
            reply = await emu.slash(members[0], "balance")
            assert "tokens" in reply.embeds[0]["description"], reply.embeds
            rate, lat = await drive(emu, members, count, in_flight)
            await emu.stop_client(bot)
            await services.close()

            baseline = ConstantBot(guild.id)
            await emu.start_client(baseline)
            base_rate, base_lat = await drive(emu, members, count, in_flight)
            await emu.stop_client(baseline)
        print(
            f"/balance through the emulator: {accounts:,} accounts, {accounts * 10:,} journal"
            f" rows, {count:,} interactions, {in_flight} in flight, one process"
        )
        print(
            f"  tokendesk /balance:  {rate:,.0f} interactions/s  p50"
            f" {percentile(lat, 50) * 1e3:.2f} ms  p99 {percentile(lat, 99) * 1e3:.2f} ms"
            "  (targets: >= 500/s, p99 <= 20 ms)"
        )
        print(
            f"  constant baseline:   {base_rate:,.0f} interactions/s  p50"
            f" {percentile(base_lat, 50) * 1e3:.2f} ms  p99"
            f" {percentile(base_lat, 99) * 1e3:.2f} ms"
        )
        print("  latency: INTERACTION_CREATE handed to the gateway -> callback accepted")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    os.environ.pop("DISCORD_TOKEN", None)
    asyncio.run(main(parser.parse_args().quick))
