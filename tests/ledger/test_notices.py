"""SPEC 6 notices: decided in the transaction that applies their cause, once, for the right user."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledger.clock import FixedClock
from ledger.notices import NoticeTopic, NotifyChoices
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.audit import query
from tests.ledger.builders import Ledger, charged, created, event, failed


async def _outbox(service: LedgerService) -> list[tuple]:
    return await query(
        service.db.url,
        "SELECT topic, user_id, payload, outcome FROM outbox WHERE kind = 'dm' ORDER BY id",
    )


@pytest.fixture
async def any_book(any_url, clock):
    db = open_database(any_url)
    yield Ledger(LedgerService(db, clock), clock)
    await db.close()


async def test_a_failed_charged_generation_is_a_failed_notice_for_the_linked_user(any_book):
    book = any_book
    await book.ok(created("2026-03-10T08:00:00Z", "apprentice", discord_user_id="42"))
    await book.ok(charged("2026-03-10T09:00:00Z", "g-bad", 120))
    await book.ok(failed("2026-03-10T09:01:00Z", "g-bad", reason="timeout"))
    await book.ok(charged("2026-03-10T09:02:00Z", "g-ok", 10))
    await book.ok(event("generation.succeeded", "2026-03-10T09:03:00Z", generation_id="g-ok"))
    rows = await _outbox(book.service)
    assert [(topic, user, outcome) for topic, user, _, outcome in rows] == [("failed", "42", None)]
    assert '"generation_id":"g-bad"' in rows[0][2] and '"deducted":120' in rows[0][2]


async def test_a_failure_that_deducted_nothing_tells_nobody(book):
    await book.ok(created("2026-03-10T08:00:00Z", "free", discord_user_id="42"))
    await book.ok(charged("2026-03-10T09:00:00Z", "g-refused", 500))  # refused: over 150
    await book.ok(failed("2026-03-10T09:01:00Z", "g-refused"))
    assert await _outbox(book.service) == []


async def test_an_unlinked_account_keeps_its_notice_as_delivered_to_nobody(book):
    await book.ok(created("2026-03-10T08:00:00Z", "apprentice"))
    await book.ok(charged("2026-03-10T09:00:00Z", "g-bad", 120))
    await book.ok(failed("2026-03-10T09:01:00Z", "g-bad"))
    rows = await _outbox(book.service)
    assert [(topic, user, outcome) for topic, user, _, outcome in rows] == [
        ("failed", None, "unreachable")
    ]
    assert await book.service.deliveries.waiting() == 0  # never claimed, never retried


async def test_a_payment_failure_is_a_payment_notice(book):
    await book.ok(created("2026-03-10T08:00:00Z", "artisan", discord_user_id="42"))
    await book.ok(event("payment.failed", "2026-03-10T09:00:00Z"))
    rows = await _outbox(book.service)
    assert [(topic, user) for topic, user, _, _ in rows] == [("payment", "42")]


async def test_low_is_decided_when_a_charge_crosses_the_threshold_not_on_every_charge(any_book):
    book = any_book
    await book.ok(created("2026-03-10T08:00:00Z", "apprentice", discord_user_id="42"))
    assert await book.service.notify_choices("42") == NotifyChoices()
    chosen = await book.service.change_notify_choices("42", lambda c: c.with_threshold(8_000))
    assert chosen.low and chosen.low_threshold == 8_000
    await book.ok(charged("2026-03-10T09:00:00Z", "g1", 400))  # 8,500 -> 8,100: above
    await book.ok(charged("2026-03-10T09:01:00Z", "g2", 200))  # 8,100 -> 7,900: crosses
    await book.ok(charged("2026-03-10T09:02:00Z", "g3", 200))  # below already: nothing
    rows = await _outbox(book.service)
    assert [(topic, user) for topic, user, _, _ in rows] == [("low", "42")]
    assert '"total":7900' in rows[0][2] and '"threshold":8000' in rows[0][2]


async def test_a_moderator_deduction_across_the_threshold_is_a_low_notice(book):
    await book.ok(created("2026-03-10T08:00:00Z", "apprentice", discord_user_id="42"))
    await book.service.change_notify_choices("42", lambda c: c.with_threshold(8_000))
    await book.service.adjust("acc", 100, actor="mona", reason="goodwill")
    assert await _outbox(book.service) == []
    await book.service.adjust("acc", -1_000, actor="mona", reason="abuse")
    rows = await _outbox(book.service)
    assert [(topic, user) for topic, user, _, _ in rows] == [("low", "42")]


async def test_low_off_decides_nothing_and_the_threshold_follows_the_user(book):
    await book.ok(created("2026-03-10T08:00:00Z", "apprentice", account="a1", discord_user_id="42"))
    await book.ok(created("2026-03-10T08:00:00Z", "apprentice", account="a2"))
    await book.service.change_notify_choices("42", lambda c: c.with_threshold(8_400))
    await book.service.change_notify_choices("42", lambda c: c.toggled(NoticeTopic.LOW))
    await book.ok(charged("2026-03-10T09:00:00Z", "g1", 200, account="a1"))
    assert await _outbox(book.service) == []
    await book.service.change_notify_choices("42", lambda c: c.toggled(NoticeTopic.LOW))
    # The user moves to a2: a1 forgets the threshold, a2 takes it.
    await book.ok(event("account.linked", "2026-03-10T09:05:00Z", "a2", discord_user_id="42"))
    rows = await query(book.service.db.url, "SELECT account_id, low_below FROM accounts")
    assert sorted(rows) == [("a1", None), ("a2", 8_400)]
    await book.ok(charged("2026-03-10T09:06:00Z", "g2", 200, account="a2"))
    assert [(t, u) for t, u, _, _ in await _outbox(book.service)] == [("low", "42")]


async def test_choices_need_a_linked_account(book):
    assert await book.service.notify_choices("99") is None
    assert await book.service.change_notify_choices("99", lambda c: c.toggled("failed")) is None
    with pytest.raises(ValueError):
        NotifyChoices().with_threshold(0)


async def test_rollover_is_decided_three_days_before_a_lossy_renewal_once(any_url):
    clock = FixedClock(datetime(2026, 1, 1, 0, 0, tzinfo=UTC))
    db = open_database(any_url)
    book = Ledger(LedgerService(db, clock), clock)
    try:
        # Maestro: 60,000 a month, bank capped at 180,000. Unspent for months, the bank
        # reaches the cap and the next renewal loses what does not fit.
        await book.ok(created("2026-01-01T00:00:00Z", "maestro", discord_user_id="42"))
        await book.service.change_notify_choices("42", lambda c: c.toggled("rollover"))
        clock.set(datetime(2026, 4, 25, 12, tzinfo=UTC))  # renewal May 1: 5.5 days away
        assert await book.service.decide_rollover_notices() == 0
        clock.set(datetime(2026, 4, 28, 1, tzinfo=UTC))  # 2 days 23 hours away
        assert await book.service.decide_rollover_notices() == 1
        assert await book.service.decide_rollover_notices() == 0  # decided once
        rows = await _outbox(book.service)
        assert [(t, u) for t, u, _, _ in rows] == [("rollover", "42")]
        # At the May 1 renewal the bank holds 180,000 and 60,000 monthly roll in: all lost.
        assert '"lost":60000' in rows[0][2] and '"cap":180000' in rows[0][2]
    finally:
        await db.close()
