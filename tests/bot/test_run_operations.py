"""`tokendesk run` as a real process: SIGTERM mid-approval, /metrics and /healthz."""

from __future__ import annotations

import asyncio
import signal
import sqlite3

import pytest

from bot.emulator import Emulator
from bot.emulator.problems import InteractionFailed
from bot.roles import STAFF_PERMISSIONS
from tests.bot.desk import fields
from tests.bot.processes import LINE, clean_env, free_port, get, metric, spawn
from tests.bot.test_bot_crash import _seed
from tests.bot.test_run import bot_env, serving


async def start_bot(emu: Emulator, sqlite_url: str, tmp_path, guild, **settings: str):
    env = clean_env(
        **bot_env(emu, sqlite_url, TOKENDESK_GUILD_ID=str(guild.id), **settings),
        TOKENDESK_MODERATOR_ROLE="Moderator",
        TOKENDESK_LOG_LEVEL="DEBUG",
    )
    running = await spawn("run", env=env, log=tmp_path / "bot.log")
    assert await serving(emu, 1, syncs=1), running.log.read_text()
    return running


async def test_sigterm_finishes_the_approval_in_flight_answers_nothing_new_and_exits_0(
    sqlite_url, tmp_path
):
    async with Emulator(ack_timeout=2.0, reply_timeout=20.0) as emu:
        guild = emu.add_guild("g")
        moderator = emu.add_role(guild, "Moderator", permissions=STAFF_PERMISSIONS.value)
        mona = emu.add_member(guild, "mona", roles=[moderator])
        user = emu.add_member(guild, "user0")
        await _seed(sqlite_url, [str(user.id)])
        running = await start_bot(emu, sqlite_url, tmp_path, guild)
        path = sqlite_url.split("///", 1)[1]
        blocker = sqlite3.connect(path, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")  # the ledger is busy: the approval waits
            approval = asyncio.ensure_future(emu.slash(mona, "ticket approve", id=1))
            await running.logged(r"interaction \d+ \(ticket approve\): handling")
            running.signal(signal.SIGTERM)
            await running.logged(r"stopping: taking no new interactions; 1 in flight")
            with pytest.raises(InteractionFailed):
                await emu.slash(user, "balance")  # arrives while stopping: not answered
            await running.logged(r"left interaction \d+ unanswered")
        finally:
            blocker.execute("COMMIT")
            blocker.close()
        reply = await approval
        assert fields(reply.embeds[0])["Refunded"] == "77 tokens"
        assert await running.exit_code(within=10) == 0
        emu.take_problems()  # the /balance left unanswered on purpose
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT state, refunded FROM tickets").fetchall() == [("approved", 77)]
    assert all(LINE.match(line) for line in running.lines())
    assert emu.token not in running.log.read_text(), "the bot token was logged"


async def test_metrics_move_with_the_work_and_healthz_names_a_disconnected_shard(
    sqlite_url, tmp_path
):
    port = free_port()
    emu = Emulator(ack_timeout=2.0, reply_timeout=10.0)
    await emu.start()
    try:
        guild = emu.add_guild("g")
        moderator = emu.add_role(guild, "Moderator", permissions=STAFF_PERMISSIONS.value)
        mona = emu.add_member(guild, "mona", roles=[moderator])
        user = emu.add_member(guild, "user0")
        await _seed(sqlite_url, [str(user.id)])
        running = await start_bot(emu, sqlite_url, tmp_path, guild, TOKENDESK_HTTP_PORT=str(port))
        base = f"http://127.0.0.1:{port}"
        assert await get(f"{base}/healthz") == (200, '{"status": "ok"}')
        _, before = await get(f"{base}/metrics")
        assert metric(before, "tokendesk_tickets_open") == 1
        assert metric(before, "tokendesk_refunded_tokens_total") == 0

        await emu.slash(user, "balance")
        approved = await emu.slash(mona, "ticket approve", id=1)
        assert fields(approved.embeds[0])["Refunded"] == "77 tokens"
        for _ in range(200):  # the approval also DMs the user after it answers: let it end
            _, after = await get(f"{base}/metrics")
            if (
                metric(after, "tokendesk_interaction_duration_seconds_count") >= 2
                and metric(after, "tokendesk_notifications_pending") == 0
            ):
                break
            await asyncio.sleep(0.05)
        assert metric(after, "tokendesk_interactions_total", command="balance", outcome="ok") == 1
        assert (
            metric(after, "tokendesk_interactions_total", command="ticket approve", outcome="ok")
            == 1
        )
        assert metric(after, "tokendesk_interaction_duration_seconds_count") == 2
        assert metric(after, "tokendesk_refunded_tokens_total") == 77
        assert metric(after, "tokendesk_tickets_open") == 0
        assert "tokendesk_notifications_pending 0.0" in after  # the decision and failed DMs
        assert "tokendesk_events_total" in after
    finally:
        await emu.stop()  # Discord goes away: the shard is disconnected
    try:
        for _ in range(600):  # up to 30 s for discord.py to see its socket gone
            status, text = await get(f"{base}/healthz")
            if status != 200:
                break
            await asyncio.sleep(0.05)
        assert status == 503 and "gateway: shard 0 disconnected" in text
        running.signal(signal.SIGINT)
        assert await running.exit_code(within=10) == 0
    finally:
        await running.stop()
