"""Incident refunds through the desk: a ticket per refund, once each, however it races."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from diagnostics.desk import Decided, TicketDesk
from ledger import IncidentWindow
from ledger.clock import FixedClock
from ledger.cycles import to_us
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.audit import query
from tests.diagnostics.test_desk import charged, created, feed, finished

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SINCE, UNTIL = "2026-03-10T09:00:00Z", "2026-03-10T10:00:00Z"
WINDOW = IncidentWindow(to_us(datetime.fromisoformat(SINCE)), to_us(datetime.fromisoformat(UNTIL)))


async def outage(ledger: LedgerService, clock: FixedClock, users: int = 6) -> None:
    """Each user's account had two generations fail in the window (one of them API)."""
    events = []
    for n in range(users):
        account, user = f"acc-{n}", str(1000 + n)
        events += [
            created(account, "apprentice", user),
            charged(account, f"g-{n}-a", 40 + n, "2026-03-10T08:50:00Z"),
            charged(account, f"g-{n}-b", 10, "2026-03-10T08:51:00Z"),
            finished(account, f"g-{n}-a", "2026-03-10T09:10:00Z"),
            finished(account, f"g-{n}-b", "2026-03-10T09:20:00Z"),
        ]
    await feed(ledger, clock, *events)


async def test_an_incident_refunds_each_failure_on_its_own_ticket_and_tells_each_user(
    ledger, clock
):
    await outage(ledger, clock, users=3)
    desk = TicketDesk(ledger)
    done = await desk.refund_incident(WINDOW, "discord:9", "outage of 9:00")
    assert (done.generations, len(done.accounts), done.tokens) == (6, 3, 40 + 41 + 42 + 30)
    tickets = await desk.export()
    assert len(tickets) == 6
    for ticket, log in tickets:
        assert (ticket.state, ticket.quiet, ticket.decided_by) == ("approved", True, "discord:9")
        assert ticket.decision_reason == "outage of 9:00"
        assert [e.action for e in log] == ["open", "approve"]
    history = await ledger.history("acc-0", 3)
    assert {r.reference for r in history if r.kind == "refund"} == {
        f"#{done.tickets['g-0-a']}",
        f"#{done.tickets['g-0-b']}",
    }
    dms = await query(ledger.db.url, "SELECT user_id, topic FROM outbox WHERE kind = 'dm'")
    decisions = sorted(u for u, topic in dms if topic == "decision")
    assert decisions == ["1000", "1000", "1001", "1001", "1002", "1002"]
    kinds = {kind for (kind,) in await query(ledger.db.url, "SELECT kind FROM outbox")}
    assert kinds == {"dm"}  # quiet: nothing for the triage channel


async def test_running_an_incident_twice_refunds_nothing_twice(ledger, clock):
    await outage(ledger, clock)
    desk = TicketDesk(ledger)
    first = await desk.refund_incident(WINDOW, "discord:9")
    before = await ledger.balance("acc-0")
    again = await desk.refund_incident(WINDOW, "discord:9")
    assert first.generations == 12 and again.generations == 0
    assert (await ledger.balance("acc-0")).total == before.total
    assert len(await query(ledger.db.url, "SELECT * FROM refunds")) == 12


async def test_an_open_refund_ticket_is_approved_instead_of_a_new_one(ledger, clock):
    await outage(ledger, clock, users=2)
    desk = TicketDesk(ledger)
    opened = await desk.open_refund("1000", "g-0-a", "it failed")
    done = await desk.refund_incident(WINDOW, "discord:9")
    assert done.tickets["g-0-a"] == opened.ticket.id
    ticket = await desk.get(opened.ticket.id)
    assert (ticket.state, ticket.quiet, ticket.refunded) == ("approved", False, 40)
    assert len(await desk.export()) == 4


async def _race(url: str, clock: FixedClock, engines: int) -> None:
    dbs = [open_database(url) for _ in range(engines)]
    ledgers = [LedgerService(db, clock) for db in dbs]
    desks = [TicketDesk(ledger) for ledger in ledgers]
    try:
        await outage(ledgers[0], clock, users=8)
        before = sum([(await ledgers[0].balance(f"acc-{n}")).total for n in range(8)])
        for n in range(8):  # every user opened a ticket for their first failure
            await desks[0].open_refund(str(1000 + n), f"g-{n}-a")
        approvals = [desks[n % engines].act(n + 1, "approve", f"discord:{n}") for n in range(8)]
        incidents = [desks[n % engines].refund_incident(WINDOW, "discord:99") for n in range(2)]
        results = await asyncio.gather(*incidents, *approvals)
        paid_by_incidents = sum(r.generations for r in results[:2])
        paid_by_moderators = sum(1 for r in results[2:] if isinstance(r, Decided))
        assert paid_by_incidents + paid_by_moderators == 16
        refunds = await query(url, "SELECT generation_id FROM refunds")
        assert len(refunds) == len({gid for (gid,) in refunds}) == 16
        after = sum([(await ledgers[0].balance(f"acc-{n}")).total for n in range(8)])
        assert after - before == sum(40 + n + 10 for n in range(8))
        open_left = await query(url, "SELECT id FROM tickets WHERE state IN ('open', 'claimed')")
        assert open_left == []
    finally:
        for db in dbs:
            await db.close()


async def test_incidents_racing_approvals_refund_each_generation_once(any_url, clock):
    await _race(any_url, clock, engines=1 if "sqlite" in any_url else 2)


@pytest.mark.postgres
async def test_a_ticket_opened_while_an_incident_waits_for_the_account_is_the_one_approved(
    pg_url, clock
):
    """A user opens a refund ticket while the incident waits for their account's lock: the
    incident approves that ticket instead of paying through a second one."""
    db = open_database(pg_url)
    try:
        ledger = LedgerService(db, clock)
        await outage(ledger, clock, users=1)
        desk = TicketDesk(ledger)
        url = make_url(pg_url)
        holder = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username, database=url.database
        )
        try:
            async with holder.transaction():  # another writer holds the account's row
                await holder.execute("SELECT 1 FROM accounts WHERE account_id = 'acc-0' FOR UPDATE")
                incident = asyncio.ensure_future(desk.refund_incident(WINDOW, "discord:9"))
                waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                for _ in range(500):
                    if (await query(pg_url, waiting))[0][0]:
                        break
                    await asyncio.sleep(0.01)
                assert (await query(pg_url, waiting))[0][0] == 1  # the incident, at the lock
                opened = await desk.open_refund("1000", "g-0-a", "it failed")
        finally:
            await holder.close()
        done = await incident
        assert done.generations == 2 and done.tickets["g-0-a"] == opened.ticket.id
        ticket = await desk.get(opened.ticket.id)
        assert (ticket.state, ticket.refunded) == ("approved", 40)
        tickets = await query(pg_url, "SELECT generation_id, state FROM tickets ORDER BY id")
        assert tickets == [("g-0-a", "approved"), ("g-0-b", "approved")]
        assert len(await query(pg_url, "SELECT * FROM refunds")) == 2
    finally:
        await db.close()
