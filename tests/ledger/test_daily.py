"""SPEC 1, Buckets: the free daily reset, the paid top-up to 150, and the spending order."""

from tests.ledger.builders import charged, created, us


async def test_free_account_starts_with_150_and_spends_daily(book):
    await book.ok(created("2026-03-10T09:30:00Z"))
    await book.ok(charged("2026-03-10T10:00:00Z", "g1", 40))
    assert await book.buckets("2026-03-10T23:59:59Z") == (110, 0, 0)


async def test_free_daily_leftover_expires_at_midnight_and_150_come_back(book):
    await book.ok(created("2026-03-10T09:30:00Z"))
    await book.ok(charged("2026-03-10T10:00:00Z", "g1", 140))
    assert await book.buckets("2026-03-10T23:59:59.999999Z") == (10, 0, 0)
    assert await book.buckets("2026-03-11T00:00:00Z") == (150, 0, 0)
    await book.ok(charged("2026-03-11T08:00:00Z", "g2", 1))
    rows = await book.journal()
    # The reset is journalled when the next write comes, at the instant it was due.
    assert ("daily_reset", "daily", 140, us("2026-03-11T00:00:00Z")) in rows


async def test_free_tokens_never_accumulate_over_idle_days(book):
    await book.ok(created("2026-03-10T09:30:00Z"))
    assert await book.buckets("2026-03-20T12:00:00Z") == (150, 0, 0)


async def test_free_charge_beyond_daily_is_refused_and_nothing_deducted(book):
    await book.ok(created("2026-03-10T09:30:00Z"))
    result = await book.ok(charged("2026-03-10T10:00:00Z", "g1", 151))
    assert result.outcome == "refused"
    assert await book.buckets("2026-03-10T10:00:01Z") == (150, 0, 0)


async def test_paid_account_topped_up_to_150_when_below(book):
    await book.ok(created("2026-03-10T09:30:00Z", plan="apprentice"))
    await book.ok(charged("2026-03-10T10:00:00Z", "g1", 8_400))
    assert await book.buckets("2026-03-10T23:00:00Z") == (0, 100, 0)
    # Total 100 < 150 at midnight: the daily bucket makes the total exactly 150.
    assert await book.buckets("2026-03-11T00:00:00Z") == (50, 100, 0)


async def test_paid_account_at_or_above_150_gets_no_top_up(book):
    await book.ok(created("2026-03-10T09:30:00Z", plan="apprentice"))
    await book.ok(charged("2026-03-10T10:00:00Z", "g1", 8_350))
    assert await book.buckets("2026-03-11T00:00:00Z") == (0, 150, 0)


async def test_paid_top_up_expires_at_next_midnight(book):
    await book.ok(created("2026-03-10T09:30:00Z", plan="apprentice"))
    await book.ok(charged("2026-03-10T10:00:00Z", "g1", 8_500))
    assert await book.buckets("2026-03-11T00:00:00Z") == (150, 0, 0)
    await book.ok(charged("2026-03-11T10:00:00Z", "g2", 100))
    assert await book.buckets("2026-03-11T23:00:00Z") == (50, 0, 0)
    # The 50 left expire; the top-up brings the total back to exactly 150, not 200.
    assert await book.buckets("2026-03-12T00:00:00Z") == (150, 0, 0)


async def test_spending_order_is_daily_then_monthly_then_rollover(book):
    await book.ok(created("2026-01-15T12:00:00Z", plan="apprentice"))
    await book.ok(charged("2026-01-15T13:00:00Z", "g0", 8_400))  # leaves 100 monthly
    # Each midnight tops the total up to 150 with 50 daily tokens, which are spent first.
    await book.ok(charged("2026-02-14T12:00:00Z", "g1", 1))
    assert await book.buckets("2026-02-14T12:00:01Z") == (49, 100, 0)
    # Feb 15 00:00 tops up to 50 again; at 12:00 the renewal moves 100 to rollover.
    assert await book.buckets("2026-02-15T12:00:00Z") == (50, 8_500, 100)
    await book.ok(charged("2026-02-15T13:00:00Z", "g2", 8_600))
    assert await book.buckets("2026-02-15T13:00:01Z") == (0, 0, 50)
    assert await book.sums_match()
