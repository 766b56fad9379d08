"""SPEC 1, Billing cycle: resets are lazy; reads never write; catch-up is bounded."""

import sqlite3

from tests.ledger.builders import charged, created, us


def _rows(book) -> int:
    path = book.service.db.path
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]


async def test_a_read_computes_resets_without_writing(book):
    await book.ok(created("2026-01-05T10:00:00Z", plan="apprentice"))
    stored = _rows(book)
    b = await book.balance("2026-06-05T10:00:00Z")
    assert (b.monthly, b.rollover) == (8_500, 25_500)
    assert _rows(book) == stored


async def test_history_shows_due_resets_before_they_are_written(book):
    await book.ok(created("2026-01-05T10:00:00Z", plan="apprentice"))
    book.clock.set(__import__("datetime").datetime.fromisoformat("2026-02-05T10:00:00Z"))
    rows = await book.service.history("acc", 5)
    # The renewal moved the unspent 8,500 to the bank; monthly is 8,500 again (net unchanged).
    assert [(r.kind, r.amount, r.pending) for r in rows] == [
        ("rollover", 8_500, True),
        ("grant", 8_500, False),
    ]


async def test_a_year_idle_account_catches_up_in_one_write_with_one_row_per_change(book):
    await book.ok(created("2025-03-10T10:00:00Z", plan="apprentice"))
    await book.ok(charged("2025-03-10T11:00:00Z", "g0", 8_450))  # total 50: daily top-ups
    before = _rows(book)
    await book.ok(charged("2026-03-10T12:00:00Z", "g1", 1))
    rows = (await book.journal())[before:]
    resets = [r for r in rows if r[0] != "charge"]
    # Due instants are strictly increasing per bucket and each is at most one row per bucket.
    per_instant = {}
    for kind, bucket, _amount, due in resets:
        per_instant.setdefault((due, bucket), []).append(kind)
    assert all(len(kinds) == 1 for kinds in per_instant.values())
    # Renewals are journalled at their own instants, not at the write that found them due.
    rollovers = [r for r in resets if r[0] == "rollover"]
    assert [r[3] for r in rollovers][:2] == [us("2025-04-10T10:00:00Z"), us("2025-05-10T10:00:00Z")]
    assert [r[2] for r in rollovers] == [50, 8_500, 8_500, 8_450]  # then the bank is full
    assert len(resets) <= 365 + 2 * 12
    assert await book.sums_match()
