"""End-to-end benchmark: /balance, /why and /usage through the Discord emulator, /balance
while 10,000 notifications drain, and a constant-answer baseline.

The real bot (real ledger on a SQLite file with 100,000 accounts and 1,000,000 journal rows)
and the emulator run in one process, over loopback sockets. Latency is measured from the
moment the emulator hands INTERACTION_CREATE to the gateway to the moment the answer is
there: the callback accepted (a deferred answer: its follow-up, so a /usage chart is always
included). The baseline is a bot whose /balance answers a constant embed.

    .venv/bin/python bench/e2e.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
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
from ledger.cycles import DAY_US, to_us  # noqa: E402
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


async def drive(
    emu: Emulator,
    members: list,
    count: int,
    in_flight: int,
    command: str = "balance",
    **options: object,
) -> tuple[float, list]:
    """Send `count` interactions, `in_flight` at a time; (per second, latencies)."""
    latencies: list[float] = []
    rng = random.Random(11)

    async def client(share: int) -> None:
        for _ in range(share):
            result = await emu.slash(rng.choice(members), command, **options)
            record = result.record
            if result.response_type == 4:  # answered in the callback itself
                latencies.append(record.acknowledged_at - record.dispatched_at)
            else:  # deferred: the answer is the follow-up, there by now
                latencies.append(time.perf_counter() - record.dispatched_at)

    for _ in range(min(200, count)):  # warm-up
        await emu.slash(members[0], command, **options)
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    await asyncio.gather(*(client(count // in_flight) for _ in range(in_flight)))
    elapsed = time.perf_counter() - started
    gc.unfreeze()
    return len(latencies) / elapsed, latencies


def link(path: str, ids: list[int], accounts: int) -> None:
    conn = connect(path)
    conn.execute("BEGIN")
    conn.executemany(
        "UPDATE accounts SET discord_user_id = ? WHERE account_id = ?",
        [(str(uid), f"acc-{n * 97 % accounts}") for n, uid in enumerate(ids)],
    )
    conn.execute("COMMIT")
    conn.close()


def seed_generations(
    path: str, linked: int, accounts: int, per_day: int = 2, days: int = 30
) -> None:
    """Charged generations over the last `days` days for the linked accounts (for /usage)."""
    now = to_us(NOW)
    models = ("phoenix", "kino", "lightning", None)
    conn = connect(path)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO generations (generation_id, account_id, source, cost, outcome, status,"
        " daily, monthly, rollover, api, relaxed, charged_us, finished_us, reason, settings)"
        " VALUES (?, ?, 'web', ?, 'charged', 'succeeded', 0, ?, 0, 0, 0, ?, ?, NULL, ?)",
        (
            (
                f"bench-g-{n}-{d}-{k}",
                f"acc-{n * 97 % accounts}",
                10 + k,
                10 + k,
                now - d * DAY_US - k * 3_600_000_000,
                now - d * DAY_US - k * 3_600_000_000 + 30_000_000,
                json.dumps({"model": models[(d + k) % 4]} if models[(d + k) % 4] else {}),
            )
            for n in range(linked)
            for d in range(days)
            for k in range(per_day)
        ),
    )
    conn.execute("COMMIT")
    conn.close()


def seed_notifications(path: str, user_ids: list[int], count: int) -> None:
    """`count` failed-generation DMs waiting in the outbox for the linked users."""
    now = to_us(NOW)
    conn = connect(path)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO outbox (kind, topic, payload, user_id, created_us, due_us)"
        " VALUES ('dm', 'failed', ?, ?, ?, ?)",
        (
            (
                json.dumps(
                    {
                        "account_id": "bench",
                        "generation_id": f"bench-fail-{n}",
                        "source": "web",
                        "deducted": 12,
                        "reason": None,
                    }
                ),
                str(user_ids[n % len(user_ids)]),
                now,
                now,
            )
            for n in range(count)
        ),
    )
    conn.execute("COMMIT")
    conn.close()


def figures(name: str, rate: float, latencies: list[float]) -> str:
    p50, p99 = percentile(latencies, 50) * 1e3, percentile(latencies, 99) * 1e3
    return f"  {name:<34} {rate:>7,.0f}/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"


async def main(quick: bool) -> None:
    logging.getLogger("discord").setLevel(logging.ERROR)
    accounts, count, in_flight = (10_000, 1_000, 8) if quick else (100_000, 5_000, 8)
    charts = 200 if quick else 1_000
    notices = 10_000
    folder = tempfile.mkdtemp(prefix="tokendesk-e2e-")
    try:
        path = await fresh_file(folder, "e2e.db")
        seed_accounts(path, accounts, 10)
        async with Emulator() as emu:
            guild = emu.add_guild("bench")
            members = [emu.add_member(guild, f"user{n}") for n in range(LINKED)]
            link(path, [m.id for m in members], accounts)
            seed_generations(path, LINKED, accounts)
            settings = dataclasses.replace(
                Settings(), database_url=f"sqlite+aiosqlite:///{path}", guild_id=guild.id
            )
            services = await build_services(settings, FixedClock(NOW))
            bot = TokendeskBot(services, guild_ready_timeout=0.05)
            await emu.start_client(bot)
            reply = await emu.slash(members[0], "balance")
            assert "tokens" in reply.embeds[0]["description"], reply.embeds
            usage = await emu.slash(members[0], "usage")
            assert usage.message.attachments, usage.embeds
            rate, lat = await drive(emu, members, count, in_flight)
            why_rate, why_lat = await drive(emu, members, count, in_flight, "why", hours=720)
            use_rate, use_lat = await drive(emu, members, charts, in_flight, "usage")
            one_rate, one_lat = await drive(emu, members, charts // 4, 1, "usage")
            seed_notifications(path, [m.id for m in members], notices)
            bot.deliverer.poke()
            dms_before = sum(len(emu.dms_to(m)) for m in members[:50])
            drain_rate, drain_lat = await drive(emu, members, count, in_flight)
            waiting = await services.ledger.deliveries.waiting()
            sent = notices - waiting
            dms_after = sum(len(emu.dms_to(m)) for m in members[:50])
            await emu.stop_client(bot)
            await services.close()

            baseline = ConstantBot(guild.id)
            await emu.start_client(baseline)
            base_rate, base_lat = await drive(emu, members, count, in_flight)
            await emu.stop_client(baseline)
        p99 = percentile(lat, 99)
        print(
            f"through the emulator: {accounts:,} accounts, {accounts * 10:,} journal rows,"
            f" {LINKED:,} linked users with {LINKED * 60:,} generations over 30 days; one process"
        )
        print(figures(f"/balance ({in_flight} in flight)", rate, lat))
        print(figures(f"/why hours:720 ({in_flight} in flight)", why_rate, why_lat))
        print(figures(f"/usage, chart ({in_flight} in flight)", use_rate, use_lat))
        print(figures("/usage, chart (1 at a time)", one_rate, one_lat))
        print(figures(f"/balance, {notices:,} DMs draining", drain_rate, drain_lat))
        print(figures("constant baseline /balance", base_rate, base_lat))
        print(
            f"  ratios to /balance p99: /why {percentile(why_lat, 99) / p99:.2f}x (target <= 2),"
            f" /usage {percentile(use_lat, 99) / p99:.2f}x at {in_flight} in flight,"
            f" {percentile(one_lat, 99) / p99:.2f}x one at a time (target <= 10),"
            f" /balance while draining {percentile(drain_lat, 99) / p99:.2f}x (target <= 1.2)"
        )
        print(
            f"  while draining: {sent:,} of {notices:,} DMs sent by the end of that run"
            f" ({dms_after - dms_before} to the first 50 users during it)"
        )
        print("  latency: INTERACTION_CREATE handed to the gateway -> the answer is there")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    os.environ.pop("DISCORD_TOKEN", None)
    asyncio.run(main(parser.parse_args().quick))
