"""Tickets without Discord: the journey, the rules, and one refund however many approve."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from diagnostics.desk import Decided, Opened, TicketDesk
from diagnostics.tickets import Refused, TicketPolicy
from ledger.clock import FixedClock
from ledger.events import parse_event
from ledger.service import LedgerService
from ledger.store.database import open_database

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def feed(ledger: LedgerService, clock: FixedClock, *events: dict) -> None:
    for n, body in enumerate(events):
        clock.set(datetime.fromisoformat(body["at"]))
        body = {"id": f"{body['type']}-{body['at']}-{n}-{body.get('generation_id')}", **body}
        result = await ledger.apply(parse_event(body, ledger.catalogue))
        assert result.outcome in ("applied", "refused"), result
    clock.set(NOW)


def created(account: str, plan: str, user: str, at: str = "2026-03-01T09:00:00Z") -> dict:
    return {
        "type": "account.created",
        "at": at,
        "account_id": account,
        "plan": plan,
        "discord_user_id": user,
    }


def charged(account: str, gid: str, cost: int, at: str) -> dict:
    return {
        "type": "generation.charged",
        "at": at,
        "account_id": account,
        "generation_id": gid,
        "source": "web",
        "cost": cost,
    }


def finished(account: str, gid: str, at: str, ok: bool = False) -> dict:
    kind = "generation.succeeded" if ok else "generation.failed"
    return {"type": kind, "at": at, "account_id": account, "generation_id": gid}


async def world(ledger: LedgerService, clock: FixedClock) -> None:
    """alice (apprentice) has a failed charged generation spread over two buckets."""
    await feed(
        ledger,
        clock,
        created("acc-a", "apprentice", "111"),
        charged("acc-a", "g-warm", 8_400, "2026-03-01T10:00:00Z"),
        charged("acc-a", "g-fail", 120, "2026-03-10T08:00:00Z"),  # 50 daily + 70 monthly
        finished("acc-a", "g-fail", "2026-03-10T08:01:00Z"),
        charged("acc-a", "g-ok", 5, "2026-03-10T08:02:00Z"),
        finished("acc-a", "g-ok", "2026-03-10T08:03:00Z", ok=True),
        created("acc-b", "artisan", "222"),
        charged("acc-b", "g-b", 25_000, "2026-03-02T10:00:00Z"),
        charged("acc-b", "g-drain", 150, "2026-03-10T08:59:00Z"),  # the daily top-up
        charged("acc-b", "g-relaxed", 300, "2026-03-10T09:00:00Z"),  # wholly relaxed
        finished("acc-b", "g-relaxed", "2026-03-10T09:01:00Z"),
        charged("acc-b", "g-theirs", 5, "2026-03-10T09:03:00Z"),
        finished("acc-b", "g-theirs", "2026-03-10T09:04:00Z"),
    )


@pytest.fixture
async def desk(ledger, clock) -> TicketDesk:
    await world(ledger, clock)
    return TicketDesk(ledger)


async def test_the_refund_journey_restores_the_exact_tokens_to_their_buckets(desk, ledger):
    before = await ledger.balance("acc-a")
    opened = await desk.open_refund("111", "g-fail", "it timed out", [("What happened?", "failed")])
    assert isinstance(opened, Opened) and opened.ticket.id == 1
    assert [t.id for t in await desk.queue()] == [1]
    claimed = await desk.act(1, "claim", "mod:9")
    assert isinstance(claimed, Decided) and claimed.ticket.state == "claimed"
    approved = await desk.act(1, "approve", "mod:9")
    assert approved.refund.amounts == {"daily": 50, "monthly": 70}
    after = await ledger.balance("acc-a")
    assert (after.daily - before.daily, after.monthly - before.monthly) == (50, 70)
    ticket = approved.ticket
    assert (ticket.state, ticket.refunded, ticket.decided_by, ticket.notice_pending) == (
        "approved",
        120,
        "mod:9",
        True,
    )
    actions = [(row[1], row[2], row[3], row[4]) for row in await desk.log(1)]
    assert actions == [
        ("user:111", "open", None, "open"),
        ("mod:9", "claim", "open", "claimed"),
        ("mod:9", "approve", "claimed", "approved"),
    ]
    stats = await desk.stats(7)
    assert stats.by_state == {"approved": 1} and stats.refunded_tokens == 120
    assert stats.median_resolution_us == 0 and stats.by_category == {"refund": 1}
    history = await ledger.history("acc-a", 2)
    assert {r.reference for r in history} == {"#1"}


@pytest.mark.parametrize(
    ("user", "gid", "problem"),
    [
        ("111", "g-theirs", "unknown"),  # someone else's: as if it did not exist
        ("222", "g-relaxed", "nothing_deducted"),
        ("111", "g-ok", "not_failed"),
        ("111", "nope", "unknown"),
        ("999", "g-fail", "not_linked"),
    ],
)
async def test_refund_tickets_are_refused_with_the_reason(desk, user, gid, problem):
    refused = await desk.open_refund(user, gid)
    assert isinstance(refused, Refused) and refused.problem == problem
    assert await desk.queue() == []


async def test_already_refunded_open_and_too_old_are_refused(desk, ledger, clock):
    await desk.open_refund("111", "g-fail")
    again = await desk.open_refund("111", "g-fail")
    assert (again.problem, again.ticket_id) == ("ticket_open", 1)
    await desk.act(1, "approve", "mod")
    assert (await desk.open_refund("111", "g-fail")).problem == "already_refunded"
    await feed(
        ledger,
        clock,
        charged("acc-a", "g-old", 10, "2026-03-10T12:30:00Z"),
        finished("acc-a", "g-old", "2026-03-10T12:31:00Z"),
    )
    clock.set(datetime(2026, 4, 9, 12, 30, tzinfo=UTC))
    assert (await desk.open_refund("111", "g-old")).ticket.state == "open"
    await desk.act(2, "close", "mod")
    clock.set(datetime(2026, 4, 9, 12, 30, 1, tzinfo=UTC))
    assert (await desk.open_refund("111", "g-old")).problem == "too_old"


async def test_a_user_cannot_pile_up_open_tickets(desk):
    for n in range(3):
        assert isinstance(await desk.open_complaint("111", "billing", f"#{n}"), Opened)
    assert (await desk.open_complaint("111", "other")).problem == "too_many_open"
    assert (await desk.open_refund("111", "g-fail")).problem == "too_many_open"


async def test_illegal_transitions_are_refused_and_change_nothing(desk):
    await desk.open_complaint("111", "missing_tokens", "where did they go")
    assert (await desk.act(1, "approve", "mod")).problem == "not_refund"
    await desk.act(1, "close", "mod", "answered in chat")
    refused = await desk.act(1, "claim", "mod")
    assert (refused.problem, refused.state, refused.action) == ("illegal", "closed", "claim")
    assert (await desk.get(1)).state == "closed"
    assert (await desk.act(42, "claim", "mod")).problem == "no_ticket"


async def test_the_auto_approve_policy_refunds_small_failures_as_the_system(ledger, clock):
    await world(ledger, clock)
    desk = TicketDesk(ledger, TicketPolicy(auto_approve_up_to=200))
    opened = await desk.open_refund("111", "g-fail")
    assert opened.auto is not None and opened.ticket.state == "approved"
    assert opened.ticket.decided_by == "system"
    assert [row[1] for row in await desk.log(opened.ticket.id)] == ["user:111", "system"]


async def test_export_has_every_ticket_with_its_history(desk):
    await desk.open_refund("111", "g-fail")
    await desk.act(1, "deny", "mod:3", "the image was delivered")
    exported = await desk.export()
    assert len(exported) == 1
    ticket, log = exported[0]
    assert ticket.decision_reason == "the image was delivered"
    assert [row[2] for row in log] == ["open", "deny"]


async def _fifty_approvals(url: str, clock: FixedClock, processes: int) -> None:
    dbs = [open_database(url) for _ in range(processes)]
    ledgers = [LedgerService(db, clock) for db in dbs]
    desks = [TicketDesk(ledger) for ledger in ledgers]
    try:
        await world(ledgers[0], clock)
        before = await ledgers[0].balance("acc-a")
        await desks[0].open_refund("111", "g-fail")
        results = await asyncio.gather(
            *(desks[n % processes].act(1, "approve", f"mod:{n}") for n in range(50))
        )
        paid = [r for r in results if isinstance(r, Decided)]
        assert len(paid) == 1
        assert all(
            r.problem == "illegal" and r.state == "approved"
            for r in results
            if isinstance(r, Refused)
        )
        after = await ledgers[0].balance("acc-a")
        assert after.total - before.total == 120
        refunds = await dbs[0].read(lambda tx: tx.all_sql("SELECT * FROM refunds", {}))
        assert len(refunds) == 1
    finally:
        for db in dbs:
            await db.close()


async def test_fifty_concurrent_approvals_pay_one_refund_on_sqlite(sqlite_url, clock):
    await _fifty_approvals(sqlite_url, clock, processes=1)


@pytest.mark.postgres
async def test_fifty_concurrent_approvals_from_two_engines_pay_one_refund_on_postgres(
    pg_url, clock
):
    await _fifty_approvals(pg_url, clock, processes=2)


def test_tickets_export_prints_every_ticket_with_history_as_json_and_csv(tmp_path):
    """`tokendesk tickets export` as a real process, on a ledger with one denied ticket."""
    import csv
    import io
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from ledger.clock import SystemClock

    url = f"sqlite+aiosqlite:///{tmp_path / 'export.db'}"

    async def prepare() -> None:
        from ledger.store.migrate import upgrade

        await upgrade(url)
        db = open_database(url)
        ledger = LedgerService(db, SystemClock())
        now = datetime.now(UTC)
        for n, (kind, extra) in enumerate(
            [
                ("account.created", {"plan": "free", "discord_user_id": "7"}),
                ("generation.charged", {"generation_id": "g", "source": "web", "cost": 9}),
                ("generation.failed", {"generation_id": "g"}),
            ]
        ):
            body = {"id": f"e{n}", "type": kind, "account_id": "a", "at": now.isoformat(), **extra}
            await ledger.apply(parse_event(body, ledger.catalogue))
        desk = TicketDesk(ledger)
        await desk.open_refund("7", "g", "pls", [("Q?", "A")])
        await desk.act(1, "deny", "mod:1", "delivered")
        await db.close()

    asyncio.run(prepare())
    env = {**os.environ, "TOKENDESK_DATABASE_URL": url}
    root = Path(__file__).parents[2]

    def export(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "tickets", "export", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=root,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    records = json.loads(export())
    assert [r["state"] for r in records] == ["denied"]
    assert [h["action"] for h in records[0]["history"]] == ["open", "deny"]
    assert records[0]["answers"] == [["Q?", "A"]] and records[0]["decision_reason"] == "delivered"
    rows = list(csv.DictReader(io.StringIO(export("--format", "csv"))))
    assert rows[0]["id"] == "1" and json.loads(rows[0]["history"])[1]["actor"] == "mod:1"
    assert json.loads(export("--since", "2999-01-01")) == []
