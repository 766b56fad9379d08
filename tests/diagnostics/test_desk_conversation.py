"""The desk without Discord: what each change tells (outbox), conversation, ratings, deadlines
decided once however many run them, figures, and canned replies."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from diagnostics.canned import DEFAULT_REPLIES, CannedError, load_replies
from diagnostics.desk import Answered, Rated, Replied, TicketDesk
from diagnostics.desk_stats import percentile
from diagnostics.tickets import TicketPolicy
from ledger.clock import FixedClock
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.audit import query
from tests.diagnostics.test_desk import world


async def _outbox(url: str) -> list[tuple]:
    """What the desk decided (not the `failed` DM the world's failed generation decided)."""
    sql = "SELECT kind, topic, ticket_id, key FROM outbox WHERE topic != 'failed' ORDER BY id"
    return await query(url, sql)


async def test_every_change_decides_its_triage_refresh_and_thread_line(ledger, clock):
    await world(ledger, clock)
    desk = TicketDesk(ledger)
    await desk.open_refund("111", "g-fail")
    await desk.act(1, "note", "mod:1", "looking")
    await desk.reply(1, "mod:1", "which model?")
    await desk.act(1, "approve", "mod:1")
    rows = [(kind, topic) for kind, topic, _, _ in await _outbox(ledger.db.url)]
    assert rows == [
        ("triage", "ticket"),
        ("thread", "line"),  # opened
        ("thread", "line"),  # the note (the message shows no notes: no refresh)
        ("triage", "ticket"),
        ("thread", "line"),  # the reply
        ("dm", "reply"),
        ("dm", "decision"),
        ("triage", "ticket"),
        ("thread", "line"),  # approved
        ("dm", "rating"),
    ]


async def test_only_the_tickets_user_answers_and_rates_it_and_a_rating_stays(ledger, clock):
    await world(ledger, clock)
    desk = TicketDesk(ledger)
    await desk.open_refund("111", "g-fail")
    assert isinstance(await desk.reply(1, "mod:1", "hello"), Replied)
    assert (await desk.answer(1, "222", "I am 111")).problem == "no_ticket"
    assert (await desk.answer(1, "111", "   ")).problem == "empty_message"
    assert isinstance(await desk.answer(1, "111", "hi"), Answered)
    assert (await desk.rate(1, "111", 5)).problem == "not_ended"  # still open
    await desk.act(1, "close", "mod:1")
    assert (await desk.answer(1, "111", "one more")).problem == "ended"
    assert (await desk.rate(1, "111", 6)).problem == "bad_rating"
    assert (await desk.rate(1, "222", 5)).problem == "no_ticket"
    results = await asyncio.gather(desk.rate(1, "111", 5), desk.rate(1, "111", 1))
    assert sorted(r.first for r in results if isinstance(r, Rated)) == [False, True]
    kept = (await desk.get(1)).rating
    assert {r.rating for r in results} == {kept}  # the second press is told the first
    assert [e.action for e in await desk.log(1)].count("rate") == 1


async def test_replies_wait_for_the_user_until_they_have_them_once(ledger, clock):
    await world(ledger, clock)
    desk = TicketDesk(ledger)
    await desk.open_refund("111", "g-fail")
    first = await desk.reply(1, "mod:1", "one")
    await desk.reply(1, "mod:1", "two")
    assert await desk.reply_delivered(first.reply_id)  # its DM went through
    assert not await desk.reply_delivered(first.reply_id)
    assert [r.text for r in await desk.take_replies("111")] == ["two"]
    assert await desk.take_replies("111") == []


async def _deadline_world(url: str, clock: FixedClock) -> None:
    ledger = LedgerService(open_database(url), clock)
    try:
        await world(ledger, clock)
        desk = TicketDesk(ledger)
        await desk.open_refund("111", "g-fail")  # #1: never answered
        await desk.open_complaint("222", "billing")  # #2: the support team waits on 222
        await desk.reply(2, "mod:1", "your invoice number?")
    finally:
        await ledger.db.close()


async def test_deadlines_run_by_two_processes_at_once_decide_each_thing_once(any_url):
    clock = FixedClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    await _deadline_world(any_url, clock)
    policy = TicketPolicy(sla_hours=24, auto_close_days=2)
    dbs = [open_database(any_url) for _ in range(2)]
    desks = [TicketDesk(LedgerService(db, clock), policy) for db in dbs]
    try:
        clock.advance(days=1, minutes=1)
        runs = await asyncio.gather(*(desk.sweep() for desk in desks * 3))
        assert sorted(n for run in runs for n in run.reminded) == [1]
        assert sorted(n for run in runs for n in run.warned) == [2]
        clock.advance(days=1)
        runs = await asyncio.gather(*(desk.sweep() for desk in desks * 3))
        assert sorted(n for run in runs for n in run.closed) == [2]
        assert (await desks[0].get(2)).decided_by == "system:no-answer"
    finally:
        for db in dbs:
            await db.close()
    keys = [key for _, _, _, key in await _outbox(any_url) if key]
    assert sorted(k.split(":")[0] for k in keys) == [
        "closing",
        "closing-line",
        "rating",
        "reply",
        "sla",
    ]


async def test_stats_give_percentiles_ratings_and_overdue_counts(ledger, clock):
    await world(ledger, clock)
    desk = TicketDesk(ledger, TicketPolicy(sla_hours=1))
    for n in range(3):
        await desk.open_complaint("111", "other", f"#{n}")
    clock.advance(minutes=30)
    await desk.act(1, "claim", "mod")  # 30 min: in time
    clock.advance(hours=2)
    await desk.act(2, "close", "mod")  # 2 h 30 min: late
    await desk.rate(2, "111", 4)
    stats = await desk.stats(7)
    assert stats.median_first_response_us == int(timedelta(minutes=90).total_seconds() * 1e6)
    assert stats.p90_first_response_us == int(timedelta(minutes=150).total_seconds() * 1e6)
    assert (stats.ratings, stats.rating_average) == (1, 4.0)
    assert (stats.overdue, stats.overdue_open) == (2, 1)  # #2 answered late, #3 waiting
    assert percentile([5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 0.9) == 9 and percentile([], 0.5) is None


def test_the_shipped_canned_replies_load_and_fill_in():
    replies = load_replies()
    assert len(replies.replies) >= 5 and replies.find("looking into it") is not None
    values = {"user": "<@1>", "ticket": "#2", "generation_id": "g", "balance": "3"}
    assert all(r.fill(values) for r in replies.replies)
    assert next(r.name for r in replies.matching("gener")) == "Need the generation id"
    assert DEFAULT_REPLIES.name == "replies.toml"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[reply]]\nname = 'a'\n", "needs exactly `name` and `text`"),
        ("[[reply]]\nname = 'a'\ntext = 'hi {usr}'\n", "unknown placeholder {usr}"),
        ("[[reply]]\nname = 'a'\ntext = '{user.__class__}'\n", "unknown placeholder"),
        ("[[reply]]\nname = 'a'\ntext = '{balance:>9}'\n", "unknown placeholder {balance:>9}"),
        ("[[reply]]\nname = 'a'\ntext = 'x {'\n", "write a literal brace"),
        ("[[reply]]\nname='a'\ntext='x'\n[[reply]]\nname='A'\ntext='y'\n", "another reply has"),
        ("[[reply]]\nname = ''\ntext = 'x'\n", "`name` must be 1 to 60"),
        (f"[[reply]]\nname = 'a'\ntext = '{'x' * 1001}'\n", "at most 1000"),
        ("[[answer]]\nname = 'a'\ntext = 'x'\n", "unknown table(s) answer"),
        ("[[reply]\n", "not valid TOML"),
    ],
)
def test_a_broken_replies_file_is_named_with_its_reply_and_problem(tmp_path, text, problem):
    path = tmp_path / "replies.toml"
    path.write_text(text)
    with pytest.raises(CannedError) as caught:
        load_replies(path)
    assert problem in str(caught.value) and str(path) in str(caught.value)


def test_a_missing_replies_file_says_so():
    with pytest.raises(CannedError, match="cannot read it"):
        load_replies(Path("/nonexistent/replies.toml"))
