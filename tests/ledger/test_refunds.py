"""SPEC 1, Generations and refunds; API credits; Adjustments."""

from tests.ledger.builders import charged, created, event, failed, plan_change


async def _refund(book, gid, at, **kw):
    book.clock.set(__import__("datetime").datetime.fromisoformat(at))
    return await book.service.refund(gid, reference=kw.pop("reference", "#1"), actor="mod", **kw)


async def test_refund_returns_exactly_the_charged_tokens_to_their_buckets(book):
    await book.ok(created("2026-01-05T12:00:00Z", plan="apprentice"))
    await book.ok(charged("2026-01-05T13:00:00Z", "g0", 8_400))
    await book.ok(charged("2026-02-04T12:00:00Z", "g1", 40))  # 40 daily... only 50 daily exist
    await book.ok(charged("2026-02-05T12:30:00Z", "g2", 8_560))  # 50 daily + 8,500 monthly + 10
    before = await book.buckets("2026-02-05T12:30:01Z")
    assert before == (0, 0, 90)
    await book.ok(failed("2026-02-05T12:31:00Z", "g2"))
    paid = await _refund(book, "g2", "2026-02-05T13:00:00Z")
    assert paid.amounts == {"daily": 50, "monthly": 8_500, "rollover": 10}
    assert await book.buckets("2026-02-05T13:00:01Z") == (50, 8_500, 100)
    assert await book.sums_match()


async def test_a_refund_is_paid_once(book):
    await book.ok(created("2026-01-05T12:00:00Z"))
    await book.ok(charged("2026-01-05T13:00:00Z", "g1", 30))
    await book.ok(failed("2026-01-05T13:01:00Z", "g1"))
    first = await _refund(book, "g1", "2026-01-05T14:00:00Z")
    second = await _refund(book, "g1", "2026-01-05T14:00:01Z", reference="#2")
    assert first.total == 30
    assert second.problem == "already_refunded"
    assert await book.buckets("2026-01-05T14:00:02Z") == (150, 0, 0)


async def test_reset_buckets_take_the_refund_in_the_current_bucket_of_the_same_kind(book):
    await book.ok(created("2026-01-05T12:00:00Z"))
    await book.ok(charged("2026-01-05T13:00:00Z", "g1", 100))
    await book.ok(failed("2026-01-05T13:01:00Z", "g1"))
    # The daily bucket was reset since; the 100 go to today's daily bucket.
    await _refund(book, "g1", "2026-01-07T09:00:00Z")
    assert await book.buckets("2026-01-07T09:00:01Z") == (250, 0, 0)


async def test_monthly_tokens_refunded_on_a_now_free_account_go_to_daily(book):
    await book.ok(created("2026-01-05T12:00:00Z", plan="apprentice"))
    await book.ok(charged("2026-01-05T13:00:00Z", "g1", 300))
    await book.ok(failed("2026-01-05T13:01:00Z", "g1"))
    await book.ok(plan_change("2026-01-06T00:00:00Z", "free"))
    paid = await _refund(book, "g1", "2026-02-06T09:00:00Z")
    assert paid.amounts == {"daily": 300}
    assert await book.buckets("2026-02-06T09:00:01Z") == (450, 0, 0)


async def test_a_refund_may_exceed_the_rollover_cap_until_the_next_renewal(book):
    await book.ok(created("2026-01-05T00:00:00Z", plan="apprentice"))
    assert await book.buckets("2026-04-05T00:00:00Z") == (0, 8_500, 25_500)
    await book.ok(charged("2026-04-06T00:00:00Z", "g1", 8_600))  # 100 from rollover
    await book.ok(failed("2026-04-06T00:01:00Z", "g1"))
    await book.ok(charged("2026-04-06T00:02:00Z", "g2", 25_400))  # rollover empty now
    assert await book.buckets("2026-04-06T00:03:00Z") == (0, 0, 0)
    await book.ok(plan_change("2026-04-06T00:04:00Z", "apprentice"))
    paid = await _refund(book, "g1", "2026-04-06T01:00:00Z")
    assert paid.amounts == {"monthly": 8_500, "rollover": 100}


async def test_only_the_deducted_part_of_a_relaxed_generation_is_refundable(book):
    await book.ok(created("2026-03-10T09:00:00Z", plan="artisan"))
    await book.ok(charged("2026-03-10T10:00:00Z", "g1", 25_000))
    await book.ok(charged("2026-03-10T10:01:00Z", "g2", 500))  # wholly relaxed
    await book.ok(failed("2026-03-10T10:02:00Z", "g2"))
    refusal = await _refund(book, "g2", "2026-03-10T11:00:00Z")
    assert refusal.problem == "nothing_deducted"


async def test_refund_refusals_say_why(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    await book.ok(created("2026-03-10T09:00:00Z", account="other"))
    await book.ok(charged("2026-03-10T10:00:00Z", "ok", 5))
    await book.ok(charged("2026-03-10T10:00:00Z", "theirs", 5, account="other"))
    await book.ok(failed("2026-03-10T10:05:00Z", "theirs", account="other"))
    assert (await _refund(book, "nope", "2026-03-10T11:00:00Z")).problem == "unknown"
    assert (await _refund(book, "ok", "2026-03-10T11:00:00Z")).problem == "not_failed"
    mine = await _refund(book, "theirs", "2026-03-10T11:00:00Z", account_id="acc")
    assert mine.problem == "unknown"  # another account's generation is not revealed


async def test_api_credits_are_a_separate_pool_charged_and_refunded_apart(book):
    await book.ok(created("2026-03-10T09:00:00Z", plan="artisan"))
    await book.ok(event("api_credits.added", "2026-03-10T09:10:00Z", amount=500))
    await book.ok(charged("2026-03-10T10:00:00Z", "api-1", 120, source="api"))
    b = await book.balance("2026-03-10T10:00:01Z")
    assert (b.api_credits, b.monthly, b.total) == (380, 25_000, 25_000)
    await book.ok(failed("2026-03-10T10:01:00Z", "api-1"))
    paid = await _refund(book, "api-1", "2026-03-10T11:00:00Z")
    assert paid.amounts == {"api": 120}
    assert (await book.balance("2026-03-10T11:00:01Z")).api_credits == 500
    assert await book.sums_match()


async def test_positive_adjustment_goes_to_daily_on_free_and_monthly_on_paid(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    await book.ok(created("2026-03-10T09:00:00Z", plan="maestro", account="paid"))
    book.clock.set(__import__("datetime").datetime.fromisoformat("2026-03-10T10:00:00Z"))
    await book.service.adjust("acc", 25, actor="mod:1", reason="outage")
    await book.service.adjust("paid", 25, actor="mod:1", reason="outage")
    assert await book.buckets("2026-03-10T10:00:01Z") == (175, 0, 0)
    assert await book.buckets("2026-03-10T10:00:01Z", "paid") == (0, 60_025, 0)
    # The free daily bucket's rule then applies: it expires at midnight.
    assert await book.buckets("2026-03-11T00:00:00Z") == (150, 0, 0)


async def test_negative_adjustment_takes_in_order_and_never_below_zero(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    book.clock.set(__import__("datetime").datetime.fromisoformat("2026-03-10T10:00:00Z"))
    result = await book.service.adjust("acc", -400, actor="mod:1", reason="abuse")
    assert (result.requested, result.applied) == (-400, -150)
    assert await book.buckets("2026-03-10T10:00:01Z") == (0, 0, 0)
    rows = await book.journal()
    assert rows[-1][:3] == ("adjustment", "daily", -150)
    assert await book.service.adjust("ghost", 5, actor="m", reason="r") is None
