"""The triage channel across bot processes on one PostgreSQL: a message one process posted is
brought up to date by another, and two processes sharing the shards keep every ticket's
message and thread whole (one message, one thread, every line once)."""

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
from tests.bot.desk import eventually, fields
from tests.bot.processes import clean_env, spawn
from tests.bot.test_run import bot_env, serving

pytestmark = pytest.mark.postgres

FAILED = 4


async def _seed(url: str, erin: str) -> None:
    ledger = LedgerService(open_database(url), SystemClock())
    now = datetime.now(UTC)
    created = {"plan": "maestro", "discord_user_id": erin}
    events = [("account.created", now - timedelta(hours=3), created)]
    for n in range(FAILED):
        gid = {"generation_id": f"g-{n}"}
        charged = {**gid, "source": "web", "cost": 100 + n}
        events.append(("generation.charged", now - timedelta(hours=2, minutes=-n), charged))
        events.append(("generation.failed", now - timedelta(hours=1, minutes=-n), gid))
    events.sort(key=lambda event: event[1])
    try:
        for n, (kind, at, extra) in enumerate(events):
            body = {"id": f"seed-{n}", "type": kind, "at": at.isoformat(), "account_id": "acc-e"}
            result = await ledger.apply(parse_event({**body, **extra}, ledger.catalogue))
            assert result.outcome == "applied", result
    finally:
        await ledger.db.close()


def _message(emu, channel, ticket_id: int):
    title = f"Ticket #{ticket_id}: refund"
    found = [m for m in emu.channel_messages(channel) if m.embeds[0]["title"] == title]
    return found


async def _stop(*running) -> None:
    for process in running:
        process.signal()
    for process in running:
        assert await process.exit_code(within=30) == 0, "\n".join(process.lines()[-20:])


async def test_one_process_posts_another_updates_and_two_together_keep_it_whole(pg_url, tmp_path):
    async with Emulator(shard_count=2) as emu:
        east, west = emu.add_guild("east", shard=(0, 2)), emu.add_guild("west", shard=(1, 2))
        staff = STAFF_PERMISSIONS.value
        support = emu.add_role(east, "Support", permissions=staff)
        moderator = emu.add_role(east, "Moderator", permissions=staff)
        sam = emu.add_member(east, "sam", roles=[support])
        mona = emu.add_member(east, "mona", roles=[moderator])
        erin = emu.add_member(west, "erin")
        triage = emu.add_channel(east, "triage")
        await _seed(pg_url, str(erin.id))
        env = clean_env(
            **bot_env(
                emu,
                pg_url,
                TOKENDESK_GUILD_ID=str(east.id),
                TOKENDESK_SUPPORT_ROLE="Support",
                TOKENDESK_MODERATOR_ROLE="Moderator",
                TOKENDESK_TRIAGE_CHANNEL=str(triage.id),
                TOKENDESK_MAX_OPEN_TICKETS="10",
                TOKENDESK_DB_POOL_SIZE="3",
            )
        )

        # One process alone posts ticket #1's message and thread, then stops.
        first = await spawn("run", "--shard-count", "1", env=env, log=tmp_path / "first.log")
        try:
            assert await serving(emu, 1, syncs=2)
            await emu.slash(erin, "refund", generation_id="g-0")

            def opened() -> bool:
                found = _message(emu, triage, 1)
                return bool(found) and len(emu.thread_messages(found[0])) == 1

            assert await eventually(opened, within=15), first.lines()[-20:]
        finally:
            await _stop(first)
        (message,) = _message(emu, triage, 1)

        # Another process, started afterwards, claims it: the same message shows the claim.
        gone = frozenset(s.id for s in emu.server.gateway.sessions.values())
        second = await spawn("run", "--shard-count", "1", env=env, log=tmp_path / "second.log")
        try:
            assert await serving(emu, 1, syncs=4, exclude=gone)  # 2 syncs per process
            claimed = await emu.slash(sam, "ticket claim", id=1)
            assert fields(claimed.embeds[0])["Claimed by"] == f"<@{sam.id}>"
            shown = await eventually(
                lambda: "Claimed by" in fields(message.embeds[0]) and message, within=15
            )
            assert shown, second.lines()[-20:]
            assert fields(message.embeds[0])["Claimed by"] == f"<@{sam.id}>"
            assert [b["label"] for b in message.components[0]["components"]] == [
                "Approve",
                "Deny",
                "Close",
            ]
            said = await eventually(lambda: len(emu.thread_messages(message)) == 2, within=15)
            assert said, second.lines()[-20:]
        finally:
            await _stop(second)

        # Two processes, one shard each: erin's tickets open through one (west, shard 1)
        # and are decided through the other (east, shard 0), all at once.
        gone = frozenset(s.id for s in emu.server.gateway.sessions.values())
        env2 = {**env, "TOKENDESK_LOG_LEVEL": "WARNING"}
        both = [
            await spawn(
                "run",
                "--shard-count",
                "2",
                "--shard-ids",
                str(n),
                env=env2,
                log=tmp_path / f"{n}.log",
            )
            for n in range(2)
        ]
        try:
            assert await serving(emu, 2, syncs=8, exclude=gone)
            await asyncio.gather(
                *(emu.slash(erin, "refund", generation_id=f"g-{n}") for n in range(1, FAILED))
            )
            decisions = [emu.slash(mona, "ticket approve", id=n) for n in range(1, FAILED + 1)]
            await asyncio.gather(*decisions)

            def settled() -> bool:
                messages = [_message(emu, triage, n) for n in range(1, FAILED + 1)]
                return all(
                    len(found) == 1
                    and fields(found[0].embeds[0])["State"] == "approved"
                    and not found[0].components
                    and len(emu.thread_messages(found[0])) >= (3 if n == 0 else 2)
                    for n, found in enumerate(messages)
                )

            assert await eventually(settled, within=30), [p.lines()[-10:] for p in both]
            waiting = "SELECT kind, topic, attempts FROM outbox WHERE done_us IS NULL"
            for _ in range(300):  # and the DMs (decisions, ratings) go out too
                if not (left := await query(pg_url, waiting)):
                    break
                await asyncio.sleep(0.1)
            assert left == [], left
        finally:
            await _stop(*both)

    for n in range(1, FAILED + 1):
        (found,) = _message(emu, triage, n)
        lines = [m.content for m in emu.thread_messages(found)]
        assert sum("Approved by" in line for line in lines) == 1, lines
        assert sum("Opened by" in line for line in lines) == 1, lines
    assert len(emu.world.guilds[east.id].threads) == FAILED  # one thread per ticket
    outcomes = await query(pg_url, "SELECT DISTINCT outcome FROM outbox")
    assert outcomes == [("sent",)]  # every item delivered once, none given up
    refunds = await query(pg_url, "SELECT COUNT(*) FROM refunds")
    assert refunds == [(FAILED,)]
