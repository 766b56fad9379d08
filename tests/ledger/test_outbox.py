"""The outbox: decided in the deciding transaction, claimed with a lease, delivered once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from ledger.outbox import OutboxKind, OutboxOutcome
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.audit import query


async def test_an_item_exists_only_if_its_transaction_commits(ledger):
    def decide_then_fail(uow):
        uow.outbox.add(OutboxKind.DM, "failed", {"generation_id": "g"}, user_id="7")
        raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await ledger.write(decide_then_fail)
    assert await ledger.deliveries.waiting() == 0
    await ledger.write(lambda uow: uow.outbox.add(OutboxKind.DM, "failed", user_id="7"))
    assert await ledger.deliveries.waiting() == 1


async def test_a_key_decides_a_thing_once(ledger):
    first = await ledger.write(
        lambda uow: uow.outbox.add(OutboxKind.THREAD, "sla", ticket_id=3, key="sla:3")
    )
    again = await ledger.write(
        lambda uow: uow.outbox.add(OutboxKind.THREAD, "sla", ticket_id=3, key="sla:3")
    )
    assert (first, again) == (True, False)
    assert await ledger.deliveries.waiting() == 1


async def test_a_claim_holds_items_until_its_lease_runs_out(ledger, clock):
    for n in range(5):
        await ledger.write(lambda uow, n=n: uow.outbox.add(OutboxKind.DM, "t", {"n": n}))
    mine = await ledger.deliveries.claim("p1", limit=3, lease_s=30)
    theirs = await ledger.deliveries.claim("p2", limit=10, lease_s=30)
    assert [i.payload["n"] for i in mine] == [0, 1, 2]
    assert [i.payload["n"] for i in theirs] == [3, 4]
    assert await ledger.deliveries.claim("p3") == []
    await ledger.deliveries.finish(mine[0].id, OutboxOutcome.SENT)
    clock.advance(seconds=31)  # p1 died holding two: they come back, with their attempts
    back = await ledger.deliveries.claim("p3")
    assert sorted(i.id for i in back) == sorted(i.id for i in mine[1:] + theirs)
    assert all(i.attempts == 2 for i in back)
    assert await ledger.deliveries.outcome(mine[0].id) == (
        ledger.now_us() - 31_000_000,
        "sent",
        1,
    )


async def test_a_retry_waits_until_it_is_due(ledger, clock):
    await ledger.write(lambda uow: uow.outbox.add(OutboxKind.DM, "t"))
    (item,) = await ledger.deliveries.claim("p1")
    await ledger.deliveries.retry(item.id, after_s=60)
    assert await ledger.deliveries.claim("p1") == []
    clock.advance(seconds=61)
    assert [i.id for i in await ledger.deliveries.claim("p1")] == [item.id]


async def test_an_item_due_later_waits(ledger, clock):
    later = ledger.now_us() + int(timedelta(days=1).total_seconds() * 1e6)
    await ledger.write(lambda uow: uow.outbox.add(OutboxKind.DM, "warn", due_us=later))
    assert await ledger.deliveries.claim("p1") == []
    clock.advance(days=1)
    assert len(await ledger.deliveries.claim("p1")) == 1


async def test_one_lease_holder_at_a_time(ledger, clock):
    assert await ledger.deliveries.take_lease("sla", "p1", 60)
    assert not await ledger.deliveries.take_lease("sla", "p2", 60)
    assert await ledger.deliveries.take_lease("sla", "p1", 60)  # renewed by its holder
    clock.advance(seconds=61)
    assert await ledger.deliveries.take_lease("sla", "p2", 60)
    await ledger.deliveries.release_lease("sla", "p2")
    assert await ledger.deliveries.take_lease("sla", "p1", 60)


async def test_processes_claiming_at_once_each_get_different_items(any_url, clock):
    services = [LedgerService(open_database(any_url), clock) for _ in range(2)]
    try:
        for n in range(200):
            await services[0].write(lambda uow, n=n: uow.outbox.add(OutboxKind.DM, "t", {"n": n}))

        async def drain(service: LedgerService, name: str) -> list[int]:
            got = []
            while batch := await service.deliveries.claim(name, limit=7):
                got += [item.id for item in batch]
                for item in batch:
                    await service.deliveries.finish(item.id, OutboxOutcome.SENT)
            return got

        drained = await asyncio.gather(
            *(drain(service, f"p{k}") for k, service in enumerate(services * 2))
        )
        ids = [item for got in drained for item in got]
        assert len(ids) == len(set(ids)) == 200  # every item, each claimed by one process
        rows = await query(
            any_url, "SELECT COUNT(*), SUM(attempts) FROM outbox WHERE done_us IS NOT NULL"
        )
        assert tuple(rows[0]) == (200, 200)
    finally:
        for service in services:
            await service.close()
