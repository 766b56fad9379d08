"""SPEC 1, Plans and Plan changes and payments."""

from pathlib import Path

import pytest

from ledger.plans import CatalogueError, load_catalogue
from tests.ledger.builders import charged, created, event, plan_change


def test_catalogue_ships_the_four_plans_with_caps_at_three_times():
    catalogue = load_catalogue()
    assert [p.id for p in catalogue.ordered()] == ["free", "apprentice", "artisan", "maestro"]
    for plan in catalogue.ordered():
        assert plan.rollover_cap == 3 * plan.monthly
    assert [p.relaxed for p in catalogue.ordered()] == [False, False, True, True]
    assert catalogue.daily_allowance == 150


def test_an_edited_catalogue_is_what_the_code_uses(tmp_path: Path):
    text = (Path(__file__).parents[2] / "ledger" / "plans.toml").read_text()
    edited = tmp_path / "plans.toml"
    edited.write_text(text.replace("monthly = 8500", "monthly = 9000"))
    assert load_catalogue(edited)["apprentice"].monthly == 9000


def test_a_broken_catalogue_names_the_file_and_the_plan(tmp_path: Path):
    broken = tmp_path / "plans.toml"
    broken.write_text('[daily]\nallowance = 150\n[plans.free]\nname = "Free"\n')
    with pytest.raises(CatalogueError) as info:
        load_catalogue(broken)
    assert str(broken) in str(info.value) and "'free'" in str(info.value)


async def test_upgrade_grows_monthly_by_the_difference_and_keeps_the_anchor(book):
    await book.ok(created("2026-03-10T09:00:00Z", plan="apprentice"))
    await book.ok(charged("2026-03-12T09:00:00Z", "g1", 1_000))
    await book.ok(plan_change("2026-03-15T09:00:00Z", "artisan"))
    b = await book.balance("2026-03-15T09:00:01Z")
    assert (b.plan, b.monthly, b.rollover_cap) == ("artisan", 7_500 + 16_500, 75_000)
    assert b.next_renewal_us == (await book.balance("2026-03-15T09:00:01Z")).next_renewal_us
    assert (await book.balance("2026-04-10T08:59:59Z")).monthly == 24_000
    assert await book.buckets("2026-04-10T09:00:00Z") == (0, 25_000, 24_000)


async def test_subscribing_from_free_anchors_now_and_leaves_daily_until_midnight(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    await book.ok(charged("2026-03-10T10:00:00Z", "g1", 50))
    await book.ok(plan_change("2026-03-10T15:45:00Z", "maestro"))
    b = await book.balance("2026-03-10T15:45:01Z")
    assert (b.daily, b.monthly, b.rollover, b.plan) == (100, 60_000, 0, "maestro")
    # At midnight the free daily leftover expires; 60,000 >= 150 so no top-up.
    assert await book.buckets("2026-03-11T00:00:00Z") == (0, 60_000, 0)
    assert (await book.balance("2026-03-11T00:00:00Z")).next_renewal_us is not None


async def test_downgrade_waits_for_renewal_and_caps_the_bank_to_the_new_plan(book):
    await book.ok(created("2026-01-05T00:00:00Z", plan="maestro"))
    assert await book.buckets("2026-03-05T00:00:00Z") == (0, 60_000, 120_000)
    await book.ok(plan_change("2026-03-20T00:00:00Z", "apprentice"))
    b = await book.balance("2026-03-20T00:00:01Z")
    assert (b.plan, b.pending_plan, b.monthly) == ("maestro", "apprentice", 60_000)
    assert b.renewal_preview is not None and b.renewal_preview.rollover_after == 25_500
    b = await book.balance("2026-04-05T00:00:00Z")
    assert (b.plan, b.monthly, b.rollover, b.rollover_cap) == ("apprentice", 8_500, 25_500, 25_500)


async def test_a_later_change_replaces_a_pending_downgrade(book):
    await book.ok(created("2026-01-05T00:00:00Z", plan="maestro"))
    await book.ok(plan_change("2026-01-10T00:00:00Z", "apprentice"))
    await book.ok(plan_change("2026-01-11T00:00:00Z", "artisan"))
    assert (await book.balance("2026-02-05T00:00:00Z")).plan == "artisan"


async def test_change_to_the_current_plan_clears_a_pending_cancel(book):
    await book.ok(created("2026-01-05T00:00:00Z", plan="artisan"))
    await book.ok(plan_change("2026-01-10T00:00:00Z", "free"))
    assert (await book.balance("2026-01-10T00:00:01Z")).pending_plan == "free"
    await book.ok(plan_change("2026-01-11T00:00:00Z", "artisan"))
    b = await book.balance("2026-02-05T00:00:00Z")
    assert (b.plan, b.monthly) == ("artisan", 25_000)


async def test_free_to_free_changes_nothing(book):
    await book.ok(created("2026-01-05T00:00:00Z"))
    result = await book.ok(plan_change("2026-01-05T01:00:00Z", "free"))
    assert result.outcome == "applied"
    b = await book.balance("2026-01-05T01:00:01Z")
    assert (b.plan, b.daily, b.pending_plan) == ("free", 150, None)


async def test_cancel_keeps_the_plan_to_cycle_end_then_tokens_expire_and_daily_is_150(book):
    await book.ok(created("2025-12-05T10:00:00Z", plan="artisan"))
    await book.ok(plan_change("2026-02-01T00:00:00Z", "free"))
    b = await book.balance("2026-02-05T09:59:59Z")
    assert (b.plan, b.monthly, b.rollover) == ("artisan", 25_000, 25_000)
    assert b.next_renewal_us is not None
    b = await book.balance("2026-02-05T10:00:00Z")
    assert (b.plan, b.daily, b.monthly, b.rollover, b.status) == ("free", 150, 0, 0, "active")
    assert (b.next_renewal_us, b.rollover_cap) == (None, 0)
    await book.ok(charged("2026-02-05T11:00:00Z", "g1", 1))
    kinds = [(r[0], r[1], r[2]) for r in await book.journal()]
    assert ("expiry", "monthly", -25_000) in kinds and ("expiry", "rollover", -25_000) in kinds


async def test_a_plan_ending_at_midnight_still_gives_one_150(book):
    await book.ok(created("2026-01-05T00:00:00Z", plan="apprentice"))
    await book.ok(charged("2026-01-05T01:00:00Z", "g1", 8_450))
    await book.ok(plan_change("2026-01-06T12:00:00Z", "free"))
    assert await book.buckets("2026-02-05T00:00:00Z") == (150, 0, 0)


async def test_payment_failed_withholds_the_renewal_grant_but_rolls_over(book):
    await book.ok(created("2026-01-05T00:00:00Z", plan="apprentice"))
    await book.ok(charged("2026-01-06T00:00:00Z", "g1", 500))
    await book.ok(event("payment.failed", "2026-02-01T00:00:00Z"))
    b = await book.balance("2026-02-05T00:00:00Z")
    assert (b.status, b.daily, b.monthly, b.rollover) == ("past_due", 0, 0, 8_000)
    await book.ok(event("payment.succeeded", "2026-02-07T00:00:00Z"))
    b = await book.balance("2026-02-07T00:00:01Z")
    assert (b.status, b.monthly, b.rollover) == ("active", 8_500, 8_000)


async def test_past_due_accounts_still_get_the_daily_top_up(book):
    await book.ok(created("2026-01-05T12:00:00Z", plan="apprentice"))
    await book.ok(charged("2026-01-06T12:00:00Z", "g1", 8_500))
    await book.ok(event("payment.failed", "2026-01-07T12:00:00Z"))
    assert await book.buckets("2026-01-08T00:00:00Z") == (150, 0, 0)


async def test_upgrade_while_past_due_grants_the_difference_only_when_paid(book):
    await book.ok(created("2026-01-05T00:00:00Z", plan="apprentice"))
    await book.ok(event("payment.failed", "2026-01-10T00:00:00Z"))
    await book.ok(plan_change("2026-01-11T00:00:00Z", "artisan"))
    b = await book.balance("2026-01-11T00:00:01Z")
    assert (b.plan, b.monthly) == ("artisan", 8_500)
    await book.ok(event("payment.succeeded", "2026-01-12T00:00:00Z"))
    assert (await book.balance("2026-01-12T00:00:01Z")).monthly == 25_000


async def test_payment_succeeded_after_withheld_renewal_grants_the_current_plans_allowance(book):
    await book.ok(created("2026-01-05T00:00:00Z", plan="apprentice"))
    await book.ok(event("payment.failed", "2026-02-01T00:00:00Z"))
    await book.ok(plan_change("2026-02-10T00:00:00Z", "maestro"))  # renewal already withheld
    await book.ok(event("payment.succeeded", "2026-02-11T00:00:00Z"))
    b = await book.balance("2026-02-11T00:00:01Z")
    assert (b.plan, b.monthly, b.rollover) == ("maestro", 60_000, 8_500)


async def test_payment_events_on_a_free_account_are_rejected(book):
    await book.ok(created("2026-01-05T00:00:00Z"))
    result = await book.send(event("payment.failed", "2026-01-06T00:00:00Z"))
    assert result.outcome == "rejected" and "free" in (result.reason or "")


async def test_an_ended_plan_makes_a_past_due_account_active(book):
    await book.ok(created("2026-01-05T00:00:00Z", plan="apprentice"))
    await book.ok(event("payment.failed", "2026-01-10T00:00:00Z"))
    await book.ok(plan_change("2026-01-11T00:00:00Z", "free"))
    b = await book.balance("2026-02-05T00:00:00Z")
    assert (b.plan, b.status) == ("free", "active")
