"""Two bot processes, one shard each, sharing one PostgreSQL ledger through the emulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.emulator import Emulator
from bot.roles import STAFF_PERMISSIONS
from ledger.clock import SystemClock
from ledger.events import parse_event
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.audit import query
from tests.bot.desk import fields
from tests.bot.test_run import bot_env, serving, tokendesk

pytestmark = pytest.mark.postgres


async def _seed(url: str, users: dict[str, str]) -> None:
    db = open_database(url)
    ledger = LedgerService(db, SystemClock())
    now = datetime.now(UTC)
    events = [
        (
            "account.created",
            now - timedelta(hours=3),
            "acc-e",
            {"plan": "apprentice", "discord_user_id": users["erin"]},
        ),
        (
            "account.created",
            now - timedelta(hours=3),
            "acc-f",
            {"plan": "maestro", "discord_user_id": users["finn"]},
        ),
        (
            "generation.charged",
            now - timedelta(hours=2),
            "acc-e",
            {"generation_id": "g-fail", "source": "web", "cost": 120},
        ),
        ("generation.failed", now - timedelta(hours=1), "acc-e", {"generation_id": "g-fail"}),
    ]
    try:
        for n, (kind, at, account, extra) in enumerate(events):
            body = {"id": f"seed-{n}", "type": kind, "at": at.isoformat(), "account_id": account}
            result = await ledger.apply(parse_event({**body, **extra}, ledger.catalogue))
            assert result.outcome == "applied", result
    finally:
        await db.close()


async def test_two_processes_decide_tickets_and_read_balances_with_one_refund(pg_url):
    async with Emulator(shard_count=2) as emu:
        # east is the support server, on shard 0; erin opens her ticket from west, shard 1.
        east, west = emu.add_guild("east", shard=(0, 2)), emu.add_guild("west", shard=(1, 2))
        moderator = emu.add_role(east, "Moderator", permissions=STAFF_PERMISSIONS.value)
        erin, finn = emu.add_member(west, "erin"), emu.add_member(west, "finn")
        mods = [emu.add_member(east, f"mod-{n}", roles=[moderator]) for n in range(50)]
        await _seed(pg_url, {"erin": str(erin.id), "finn": str(finn.id)})
        env = bot_env(
            emu,
            pg_url,
            TOKENDESK_GUILD_ID=str(east.id),
            TOKENDESK_MODERATOR_ROLE="Moderator",
            TOKENDESK_DB_POOL_SIZE="4",
        )
        processes = [
            await tokendesk("run", "--shard-count", "2", "--shard-ids", str(n), env=env)
            for n in range(2)
        ]
        try:
            assert await serving(emu, 2, syncs=2), "both bot processes should come up"
            assert {(s.shard_id, s.shard_count) for s in emu.sessions} == {(0, 2), (1, 2)}

            east_balance = await emu.slash(erin, "balance")
            west_balance = await emu.slash(finn, "balance")
            assert fields(east_balance.embeds[0])["Monthly"] == "8,380"
            assert fields(west_balance.embeds[0])["Monthly"] == "60,000"

            opened = await emu.slash(erin, "refund", generation_id="g-fail")
            assert opened.embeds[0]["title"] == "Ticket #1: refund"
            replies = await asyncio.gather(
                *(emu.slash(mod, "ticket approve", id=1) for mod in mods)
            )
            paid = [r for r in replies if fields(r.embeds[0]).get("Refunded") == "120 tokens"]
            assert len(paid) == 1
            assert all(r.acknowledgements == 1 for r in replies)
            after = await emu.slash(erin, "balance")
            assert fields(after.embeds[0])["Monthly"] == "8,500"
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                await process.wait()

    refunds = await query(pg_url, "SELECT generation_id FROM refunds")
    assert refunds == [("g-fail",)]
