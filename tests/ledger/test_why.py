"""SPEC 3 `why` and `usage`: causes that add up exactly, per pool, and use per day."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from bot.explanations import change_sentence
from ledger.clock import FixedClock
from ledger.events import parse_event
from ledger.service import LedgerService
from ledger.store.database import open_database
from ledger.why import ChangeCause
from tests.audit import query
from tests.ledger.builders import charged, created, event, failed
from tests.ledger.test_properties import CAT, streams


def _causes(report) -> dict[tuple[str, str], tuple[int, int]]:
    return {(c.cause.value, c.pool): (c.amount, c.count) for c in report.causes}


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, UTC).isoformat()


async def test_a_free_day_charge_and_expiry_are_each_a_cause(book):
    await book.ok(created("2026-03-08T09:00:00Z"))
    settings_ = {"model": "phoenix", "width": 1024, "height": 1024}
    await book.ok(charged("2026-03-09T10:00:00Z", "gen-81", 24, settings=settings_))
    book.clock.set(datetime(2026, 3, 10, 12, tzinfo=UTC))
    report = await book.service.why("acc", 48)
    # 48 h back is Mar 8 12:00, after the account opened with 150.
    assert (report.total_before, report.total_after) == (150, 150)
    assert _causes(report) == {
        ("daily_expiry", "tokens"): (-150 - 126, 2),
        ("daily_grant", "tokens"): (300, 2),
        ("charge", "tokens"): (-24, 1),
    }
    sentences = [change_sentence(c, _iso) for c in report.changes]
    assert "gen-81 (phoenix, 1024x1024) cost 24 tokens." in sentences
    assert "At 2026-03-10T00:00:00+00:00 your 126 daily tokens expired unused." in sentences
    # Mar 9's reset replaced an untouched 150 by 150: no journal row, still told.
    assert "At 2026-03-09T00:00:00+00:00 your 150 daily tokens expired unused." in sentences
    # Nothing was written since the charge: the Mar 10 reset is due, not yet journalled.
    assert [c.pending for c in report.changes if c.at_us == report.changes[0].at_us]


async def test_a_renewal_over_the_cap_says_what_was_lost(book):
    await book.ok(created("2026-01-10T09:00:00Z", plan="apprentice"))
    # Nothing spent for four cycles: 8,500 a month into a bank capped at 25,500.
    book.clock.set(datetime(2026, 5, 10, 12, tzinfo=UTC))
    report = await book.service.why("acc", 24)
    assert _causes(report)[("rollover_cap", "tokens")] == (-8_500, 1)
    assert _causes(report)[("monthly_grant", "tokens")] == (8_500, 1)
    assert _causes(report)[("rollover", "tokens")] == (0, 1)
    assert report.total_after - report.total_before == 0
    lost = next(c for c in report.changes if c.cause is ChangeCause.ROLLOVER_CAP)
    assert change_sentence(lost, _iso).startswith(
        "8,500 rollover tokens were lost to the bank's cap at your renewal"
    )


async def test_a_ticket_refund_and_api_credits_are_apart(book):
    await book.ok(created("2026-03-10T08:00:00Z", plan="apprentice"))
    await book.ok(event("api_credits.added", "2026-03-10T08:01:00Z", amount=500))
    await book.ok(charged("2026-03-10T08:02:00Z", "g-api", 40, source="api"))
    await book.ok(charged("2026-03-10T08:03:00Z", "g-web", 120))
    await book.ok(failed("2026-03-10T08:04:00Z", "g-web"))
    book.clock.set(datetime(2026, 3, 10, 9, 30, tzinfo=UTC))
    await book.service.refund("g-web", reference="#3", actor="mod")
    book.clock.set(datetime(2026, 3, 10, 10, tzinfo=UTC))
    report = await book.service.why("acc", 1)
    assert _causes(report) == {("refund", "tokens"): (120, 1)}
    refund = report.changes[0]
    assert change_sentence(refund, _iso) == "Ticket #3 returned 120 to your monthly tokens."
    day = await book.service.why("acc", 3)
    assert (day.api_before, day.api_after) == (0, 460)
    assert _causes(day)[("api_credits", "api")] == (500, 1)
    assert _causes(day)[("charge", "api")] == (-40, 1)
    assert day.total_after - day.total_before == sum(
        c.amount for c in day.causes if c.pool == "tokens"
    )


async def test_usage_counts_charges_per_day_less_refunds_and_forecasts(book):
    await book.ok(created("2026-03-01T08:00:00Z", plan="apprentice"))
    for day in range(3, 10):  # 100 a day for the 7 full days before Mar 10
        phoenix = {"model": "phoenix"}
        await book.ok(charged(f"2026-03-0{day}T10:00:00Z", f"g{day}", 100, settings=phoenix))
    await book.ok(charged("2026-03-10T09:00:00Z", "g-fail", 300, settings={"model": "flux"}))
    await book.ok(failed("2026-03-10T09:01:00Z", "g-fail"))
    await book.service.refund("g-fail", reference="#1", actor="mod")
    await book.ok(charged("2026-03-10T09:30:00Z", "g-big", 9_999_999))  # refused
    book.clock.set(datetime(2026, 3, 10, 12, tzinfo=UTC))
    report = await book.service.usage("acc", 3)
    assert [(d.day.isoformat(), d.tokens, d.generations) for d in report.days] == [
        ("2026-03-08", 100, 1),
        ("2026-03-09", 100, 1),
        ("2026-03-10", 0, 1),  # charged 300, all of it refunded; the refused one is no use
    ]
    assert [(m.model, m.tokens, m.generations) for m in report.by_model] == [
        ("phoenix", 200, 2),
        ("flux", 0, 1),
    ]
    forecast = report.forecast
    assert forecast.pace_per_day == 100
    total = (await book.service.balance("acc")).total  # 8,500 - 700 = 7,800
    assert total == 7_800
    runs_out = datetime(2026, 3, 10, 12, tzinfo=UTC) + timedelta(days=78)
    assert forecast.runs_out_us == int(runs_out.timestamp() * 1_000_000)
    assert forecast.before_next_grant is False  # the renewal on Apr 1 comes first
    # Checked against the journal: charge rows of the window, less refunded generations.
    rows = await query(
        book.service.db.url,
        "SELECT SUM(-amount) FROM journal WHERE kind = 'charge' AND bucket <> 'api'"
        " AND due_us >= ? AND reference NOT IN (SELECT generation_id FROM refunds)",
        int(datetime(2026, 3, 8, tzinfo=UTC).timestamp() * 1_000_000),
    )
    assert rows[0][0] == sum(d.tokens for d in report.days)


def _ordered(events: list[dict]) -> list[dict]:
    """The stream with its instants made non-decreasing: nothing rewrites the past."""
    latest = None
    out = []
    for body in events:
        at = datetime.fromisoformat(body["at"])
        latest = at if latest is None else max(latest, at)
        out.append({**body, "at": latest.isoformat()})
    return out


async def _why_matches_balances(path: str, events: list[dict]) -> None:
    events = _ordered(events)
    start = datetime.fromisoformat(events[0]["at"]).replace(minute=0, second=0, microsecond=0)
    clock = FixedClock(start)
    db = open_database(f"sqlite:///{path}")
    service = LedgerService(db, clock, CAT)
    seen: dict[datetime, dict[str, tuple[int, int]]] = {}
    try:
        hour = start
        for body in events:
            at = datetime.fromisoformat(body["at"])
            while hour + timedelta(hours=7) < at:  # snapshots on whole hours between events
                hour += timedelta(hours=7)
                clock.set(hour)
                seen[hour] = {}
                for account in ("a", "b"):
                    b = await service.balance(account)
                    if b is not None:
                        seen[hour][account] = (b.total, b.api_credits)
            clock.set(max(clock.now(), at))
            await service.apply(parse_event(body, CAT))
        end = hour + timedelta(hours=7 * 3)
        clock.set(end)
        for account in ("a", "b"):
            now = await service.balance(account)
            if now is None:
                continue
            for moment, balances in seen.items():
                hours = int((end - moment) / timedelta(hours=1))
                if account not in balances or hours > 2_160:
                    continue
                report = await service.why(account, hours)
                assert (report.total_before, report.api_before) == balances[account], moment
                assert (report.total_after, report.api_after) == (now.total, now.api_credits)
                assert report.total_after - report.total_before == sum(
                    c.amount for c in report.causes if c.pool == "tokens"
                )
                assert report.api_after - report.api_before == sum(
                    c.amount for c in report.causes if c.pool == "api"
                )
    finally:
        await db.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=streams())
def test_why_sums_to_the_balance_at_both_instants(events, migrated_sqlite_template):
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "why.db")
        shutil.copy(migrated_sqlite_template, path)
        asyncio.run(_why_matches_balances(path, events))


async def test_a_run_out_beyond_any_calendar_is_the_last_nameable_day(book):
    from ledger.usage import LAST_INSTANT_US

    await book.ok(created("2026-03-01T09:00:00Z", "maestro"))
    await book.ok(event("api_credits.added", "2026-03-01T09:00:00Z", amount=1))
    await book.service.adjust("acc", 10**12, actor="mona", reason="a very large grant")
    await book.ok(charged("2026-03-09T10:00:00Z", "g-1", 1))
    book.clock.set(datetime(2026, 3, 10, 12, tzinfo=UTC))
    report = await book.service.usage("acc", 7)
    assert report.forecast.runs_out_us == LAST_INSTANT_US
    assert report.forecast.before_next_grant is False
