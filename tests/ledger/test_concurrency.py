"""Writes to one account are serialized: concurrent charges never overdraw, never get lost."""

import asyncio

import pytest

from ledger.clock import FixedClock
from ledger.events import parse_event
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.audit import journal_sums
from tests.ledger.builders import charge_event, created, journal_rows


async def _two_hundred_charges(url: str, clock: FixedClock, services: int) -> None:
    dbs = [open_database(url) for _ in range(services)]
    ledgers = [LedgerService(db, clock) for db in dbs]
    try:
        first = ledgers[0]
        body = created("2026-03-10T09:00:00Z", plan="apprentice", account="busy")
        assert (await first.apply(parse_event(body, first.catalogue))).outcome == "applied"
        # 8,500 tokens; 200 charges of 60 want 12,000: exactly 141 fit (8,460), 59 are refused.
        results = await asyncio.gather(
            *(
                ledgers[n % services].apply(charge_event(first, "busy", f"g{n}", 60))
                for n in range(200)
            )
        )
        outcomes = [r.outcome for r in results]
        assert outcomes.count("applied") == 141
        assert outcomes.count("refused") == 59
        balance = await first.balance("busy")
        assert (balance.daily, balance.monthly, balance.rollover) == (0, 40, 0)
        assert await journal_sums(url, "busy") == {"monthly": 40}
        charges = await journal_rows(url, "busy")
        assert sum(1 for row in charges if row[0] == "charge") == 141
    finally:
        for db in dbs:
            await db.close()


async def test_200_concurrent_charges_on_sqlite(sqlite_url, clock):
    await _two_hundred_charges(sqlite_url, clock, services=2)


@pytest.mark.postgres
async def test_200_concurrent_charges_on_postgres(pg_url, clock):
    await _two_hundred_charges(pg_url, clock, services=2)


async def test_a_generation_charged_from_two_connections_at_once_is_charged_once(any_url, clock):
    dbs = [open_database(any_url) for _ in range(2)]
    a, b = (LedgerService(db, clock) for db in dbs)
    try:
        body = created("2026-03-10T09:00:00Z", account="x")
        await a.apply(parse_event(body, a.catalogue))
        results = await asyncio.gather(
            *(s.apply(charge_event(a, "x", "same", 10)) for s in (a, b, a, b))
        )
        assert sorted(r.outcome for r in results) == ["applied", "rejected", "rejected", "rejected"]
        assert (await a.balance("x")).daily == 140
    finally:
        for db in dbs:
            await db.close()


async def test_charges_handed_in_together_survive_the_first_caller_being_cancelled(
    sqlite_url, clock
):
    """The first caller of a turn applies the turn's batch; if it is cancelled before it
    does, the others are still applied, and its own charge is not."""
    db = open_database(sqlite_url)
    ledger = LedgerService(db, clock)
    try:
        body = created("2026-03-10T09:00:00Z", plan="apprentice", account="busy")
        await ledger.apply(parse_event(body, ledger.catalogue))
        first = asyncio.ensure_future(ledger.apply(charge_event(ledger, "busy", "g0", 60)))
        others = [
            asyncio.ensure_future(ledger.apply(charge_event(ledger, "busy", f"g{n}", 60)))
            for n in (1, 2)
        ]
        await asyncio.sleep(0)  # all three have handed their charge in
        first.cancel()
        results = await asyncio.gather(*others)
        assert [r.outcome for r in results] == ["applied", "applied"]
        assert first.cancelled()
        charges = [row for row in await journal_rows(sqlite_url, "busy") if row[0] == "charge"]
        assert len(charges) == 2
    finally:
        await db.close()
