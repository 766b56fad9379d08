"""Killing the bot while it approves refunds: every ticket is approved with one refund, or open."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from datetime import timedelta

from bot.emulator import Emulator
from bot.roles import STAFF_PERMISSIONS
from diagnostics.desk import TicketDesk
from ledger.clock import SystemClock
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.audit import query
from tests.bot.desk import eventually
from tests.bot.processes import fail_after_charge
from tests.bot.test_run import bot_env, serving, tokendesk

USERS = 150


async def _seed(url: str, users: list[str]) -> None:
    db = open_database(url)
    ledger = LedgerService(db, SystemClock())
    desk = TicketDesk(ledger)
    try:
        await fail_after_charge(ledger, users, cost=77, step=timedelta(hours=1))
        for n, user in enumerate(users):
            assert (await desk.open_refund(user, f"g{n}")).ticket.id == n + 1
    finally:
        await db.close()


async def _consistent(url: str) -> tuple[int, int]:
    """Check every ticket; return (approved, open)."""
    tickets = await query(
        url,
        "SELECT t.id, t.state, t.refunded, (SELECT COUNT(*) FROM refunds r"
        " WHERE r.generation_id = t.generation_id) FROM tickets t",
    )
    balances = await query(url, "SELECT account_id, monthly FROM accounts")
    for ticket_id, state, refunded, refunds in tickets:
        assert (state, refunded, refunds) in (("approved", 77, 1), ("open", 0, 0)), ticket_id
    refunded_accounts = {f"acc-{tid - 1}" for tid, state, _, _ in tickets if state == "approved"}
    for account, monthly in balances:
        assert monthly == (8_500 if account in refunded_accounts else 8_423), account
    approved = sum(1 for t in tickets if t[1] == "approved")
    return approved, len(tickets) - approved


async def test_killing_the_bot_mid_approvals_leaves_no_half_done_ticket(sqlite_url):
    async with Emulator(ack_timeout=2.0, reply_timeout=3.0) as emu:
        guild = emu.add_guild("g")
        staff = STAFF_PERMISSIONS.value
        moderator = emu.add_role(guild, "Moderator", permissions=staff)
        mod = emu.add_member(guild, "mona", roles=[moderator])
        people = [emu.add_member(guild, f"user{n}") for n in range(USERS)]
        await _seed(sqlite_url, [str(p.id) for p in people])
        env = bot_env(
            emu,
            sqlite_url,
            TOKENDESK_GUILD_ID=str(guild.id),
            TOKENDESK_MODERATOR_ROLE="Moderator",
        )
        bot = await tokendesk("run", env=env)
        assert await serving(emu, 1, syncs=1)
        path = sqlite_url.split("///", 1)[1]

        def approved_so_far() -> int:
            with sqlite3.connect(path) as conn:
                query = "SELECT COUNT(*) FROM tickets WHERE state = 'approved'"
                return conn.execute(query).fetchone()[0]

        async def approve_all() -> None:
            for n in range(USERS):
                await asyncio.gather(
                    *(emu.slash(mod, "ticket approve", id=n + 1) for _ in range(2)),
                    return_exceptions=True,
                )

        approvals = asyncio.ensure_future(approve_all())
        await eventually(lambda: approved_so_far() >= 10, within=30)
        killed_sessions = {session.id for session in emu.sessions}
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        approvals.cancel()
        await asyncio.gather(approvals, return_exceptions=True)
        emu.take_problems()  # interactions cut off by the kill were not answered
        approved, still_open = await _consistent(sqlite_url)
        print(f"killed with {approved} tickets approved and {still_open} open")
        assert approved >= 10

        bot = await tokendesk("run", env=env)  # the restarted bot finishes the rest
        try:
            assert await eventually(
                lambda: (
                    emu.server.commands.syncs >= 2
                    and any(session.id not in killed_sessions for session in emu.sessions)
                ),
                within=30,
            )
            for n in range(USERS):
                await emu.slash(mod, "ticket approve", id=n + 1)
            assert await _consistent(sqlite_url) == (USERS, 0)
        finally:
            bot.terminate()
            await bot.wait()
