"""SPEC 1, Billing cycle: renewals on the anchor, clamping, rollover cap, same-instant order."""

from datetime import UTC, datetime

from ledger.cycles import add_months
from tests.ledger.builders import charged, created, us


def test_month_end_anchor_clamps_and_returns_to_31():
    anchor = datetime(2027, 1, 31, 18, 30, tzinfo=UTC)
    days = [add_months(anchor, n).date().isoformat() for n in range(4)]
    assert days == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]


def test_leap_year_february_gets_the_29th():
    anchor = datetime(2028, 1, 30, tzinfo=UTC)
    assert add_months(anchor, 1).date().isoformat() == "2028-02-29"


def test_leap_day_anchor_renews_on_the_28th_then_29th_in_the_next_leap_year():
    anchor = datetime(2028, 2, 29, 6, tzinfo=UTC)
    assert add_months(anchor, 12).date().isoformat() == "2029-02-28"
    assert add_months(anchor, 13).date().isoformat() == "2029-03-29"
    assert add_months(anchor, 48).date().isoformat() == "2032-02-29"


async def test_renewal_happens_at_the_anchor_time_of_day_on_the_clamped_day(book):
    await book.ok(created("2028-01-31T18:30:00Z", plan="apprentice"))
    await book.ok(charged("2028-01-31T19:00:00Z", "g1", 8_000))
    b = await book.balance("2028-02-29T18:29:59Z")
    assert (b.monthly, b.rollover) == (500, 0)
    assert b.next_renewal_us == us("2028-02-29T18:30:00Z")
    assert await book.buckets("2028-02-29T18:30:00Z") == (0, 8_500, 500)
    b = await book.balance("2028-03-01T00:00:00Z")
    assert b.next_renewal_us == us("2028-03-31T18:30:00Z")


async def test_anchor_with_an_offset_is_converted_to_utc(book):
    # 2026-03-31T23:30-02:00 is 2026-04-01T01:30Z: cycles renew on the 1st at 01:30 UTC.
    await book.ok(created("2026-03-31T23:30:00-02:00", plan="apprentice"), now="2026-04-01T01:31Z")
    b = await book.balance("2026-04-02T00:00:00Z")
    assert b.next_renewal_us == us("2026-05-01T01:30:00Z")


async def test_unspent_monthly_rolls_over_and_the_bank_is_capped_at_three_times(book):
    await book.ok(created("2026-01-10T00:00:00Z", plan="apprentice"))
    # Nothing spent for four cycles: 8,500 rolls over each time until the 25,500 cap.
    assert await book.buckets("2026-02-10T00:00:00Z") == (0, 8_500, 8_500)
    assert await book.buckets("2026-04-10T00:00:00Z") == (0, 8_500, 25_500)
    assert await book.buckets("2026-05-10T00:00:00Z") == (0, 8_500, 25_500)
    await book.ok(charged("2026-05-10T01:00:00Z", "g1", 1))
    rows = await book.journal()
    rollovers = [r for r in rows if r[0] == "rollover"]
    # Three rollovers of 8,500; at the fourth renewal the bank was full so nothing changed.
    assert [r[2] for r in rollovers] == [8_500, 8_500, 8_500]
    assert await book.sums_match()


async def test_same_instant_order_is_expiry_then_renewal_then_top_up(book):
    # Anchored at midnight: renewal and the daily check share the instant.
    await book.ok(created("2026-01-01T00:00:00Z", plan="apprentice"))
    await book.ok(charged("2026-01-20T10:00:00Z", "g1", 8_480))
    # Jan 21 00:00: total 20 < 150 -> daily 130.
    assert await book.buckets("2026-01-21T00:00:00Z") == (130, 20, 0)
    # Feb 1 00:00: daily 130 expires, renewal moves 20 to rollover and grants 8,500, then the
    # top-up sees 8,520 >= 150 and adds nothing.
    assert await book.buckets("2026-02-01T00:00:00Z") == (0, 8_500, 20)


async def test_new_paid_account_gets_nothing_daily_until_the_next_midnight(book):
    await book.ok(created("2026-03-10T09:00:00Z", plan="artisan"))
    b = await book.balance("2026-03-10T09:00:00Z")
    assert (b.daily, b.monthly, b.rollover) == (0, 25_000, 0)
    assert b.next_renewal_us == us("2026-04-10T09:00:00Z")
