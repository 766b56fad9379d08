"""Notices delivered by real `tokendesk run` processes: once each, even across a kill -9."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import pytest

from bot.emulator import Emulator
from ledger.clock import SystemClock
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.audit import query
from tests.bot.desk import eventually
from tests.bot.processes import fail_after_charge
from tests.bot.test_run import bot_env, serving, tokendesk


async def _fail_for(url: str, users: list[str]) -> None:
    """Each user's account has a generation that failed after it was charged."""
    db = open_database(url)
    try:
        await fail_after_charge(
            LedgerService(db, SystemClock()), users, cost=9, step=timedelta(minutes=10)
        )
    finally:
        await db.close()


async def _outcomes(url: str) -> list[tuple]:
    return await query(url, "SELECT user_id, outcome, attempts FROM outbox ORDER BY id")


async def _all_done(url: str, count: int, within: float = 60.0) -> list[tuple]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        rows = await _outcomes(url)
        if sum(1 for row in rows if row[1] is not None) >= count:
            return rows
        if asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.1)


async def test_a_bot_killed_mid_delivery_and_restarted_sends_exactly_one_dm(sqlite_url):
    async with Emulator() as emu:
        guild = emu.add_guild("g")
        erin = emu.add_member(guild, "erin")
        await _fail_for(sqlite_url, [str(erin.id)])
        env = bot_env(emu, sqlite_url, TOKENDESK_DELIVERY_LEASE_S="2")
        emu.hold_answers()  # Discord stores the DM, but the bot never hears back
        bot = await tokendesk("run", env=env)
        try:
            assert await eventually(lambda: emu.dms_to(erin), within=40)
            bot.send_signal(signal.SIGKILL)  # killed between Discord's accepting and its answer
            await bot.wait()
        finally:
            emu.release_answers()
        assert await _outcomes(sqlite_url) == [(str(erin.id), None, 1)]

        sessions = {session.id for session in emu.sessions}
        bot = await tokendesk("run", env=env)  # a new process takes the item over
        try:
            assert await serving(emu, 1, syncs=2, exclude=frozenset(sessions))
            rows = await _all_done(sqlite_url, 1)
        finally:
            bot.terminate()
            await bot.wait()
    assert rows == [(str(erin.id), "sent", 2)]
    (dm,) = emu.dms_to(erin)  # the retry carried the same nonce: Discord returned the first
    assert dm.embeds[0]["title"] == "A generation failed after it was charged"


@pytest.mark.postgres
async def test_two_bot_processes_on_postgresql_deliver_each_notice_once(pg_url):
    async with Emulator(shard_count=2) as emu:
        east, west = emu.add_guild("east", shard=(0, 2)), emu.add_guild("west", shard=(1, 2))
        people = [emu.add_member(east if n % 2 else west, f"user{n}") for n in range(60)]
        await _fail_for(pg_url, [str(p.id) for p in people])
        env = bot_env(emu, pg_url, TOKENDESK_DB_POOL_SIZE="4")
        processes = [
            await tokendesk("run", "--shard-count", "2", "--shard-ids", str(n), env=env)
            for n in range(2)
        ]
        try:
            assert await serving(emu, 2, syncs=2)
            rows = await _all_done(pg_url, len(people))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                await process.wait()
    assert sorted(rows) == sorted((str(p.id), "sent", 1) for p in people)
    assert all(len(emu.dms_to(person)) == 1 for person in people)
    holders = await query(pg_url, "SELECT COUNT(DISTINCT claimed_by) FROM outbox")
    print(f"60 notices delivered by {holders[0][0]} processes")
