"""SPEC 1, Relaxed generation: drain, relaxed usage, the negative display, and who gets it."""

from tests.ledger.builders import charged, created, event


async def test_artisan_drains_then_runs_relaxed_with_negative_display(book):
    await book.ok(created("2026-03-10T09:00:00Z", plan="artisan"))
    result = await book.ok(charged("2026-03-10T10:00:00Z", "g1", 25_040))
    assert result.outcome == "applied"
    b = await book.balance("2026-03-10T10:00:01Z")
    assert (b.total, b.display_total) == (0, -40)
    assert (b.relaxed_eligible, b.relaxed_active, b.relaxed_used_today) == (True, True, 40)
    await book.ok(charged("2026-03-10T11:00:00Z", "g2", 12))
    b = await book.balance("2026-03-10T11:00:01Z")
    assert (b.display_total, b.relaxed_used_today) == (-52, 52)
    gen = await book.service.read(lambda uow: uow.generation("g2"))
    assert gen is not None and (gen.deducted, gen.relaxed, gen.outcome) == (0, 12, "relaxed")


async def test_relaxed_ends_with_the_midnight_top_up(book):
    await book.ok(created("2026-03-10T09:00:00Z", plan="maestro"))
    await book.ok(charged("2026-03-10T10:00:00Z", "g1", 60_100))
    b = await book.balance("2026-03-11T00:00:00Z")
    assert (b.daily, b.total, b.display_total) == (150, 150, 150)
    assert (b.relaxed_active, b.relaxed_used_today) == (False, 0)


async def test_apprentice_has_no_relaxed_mode_so_the_charge_is_refused(book):
    await book.ok(created("2026-03-10T09:00:00Z", plan="apprentice"))
    result = await book.ok(charged("2026-03-10T10:00:00Z", "g1", 9_000))
    assert result.outcome == "refused"
    b = await book.balance("2026-03-10T10:00:01Z")
    assert (b.total, b.display_total, b.relaxed_eligible) == (8_500, 8_500, False)


async def test_past_due_artisan_is_not_relaxed(book):
    await book.ok(created("2026-03-10T09:00:00Z", plan="artisan"))
    await book.ok(event("payment.failed", "2026-03-11T09:00:00Z"))
    result = await book.ok(charged("2026-03-11T10:00:00Z", "g1", 30_000))
    assert result.outcome == "refused"
    assert (await book.balance("2026-03-11T10:00:01Z")).relaxed_eligible is False


async def test_relaxed_never_applies_to_api_generations(book):
    await book.ok(created("2026-03-10T09:00:00Z", plan="maestro"))
    await book.ok(event("api_credits.added", "2026-03-10T09:01:00Z", amount=10))
    result = await book.ok(charged("2026-03-10T10:00:00Z", "g1", 11, source="api"))
    assert result.outcome == "refused"
    b = await book.balance("2026-03-10T10:00:01Z")
    assert (b.api_credits, b.monthly, b.relaxed_used_today) == (10, 60_000, 0)
