"""Incidents in the ledger: which failures a window selects, and alerts decided with them."""

from __future__ import annotations

from ledger import IncidentWindow
from tests.audit import query
from tests.ledger.builders import charged, created, failed, us


def _charged(at: str, gid: str, cost: int, model: str | None = "phoenix", **kw):
    settings = {"model": model, "width": 512} if model else {"width": 512}
    return charged(at, gid, cost, settings=settings, **kw)


async def _selected(book, since: str, until: str, model: str | None = None) -> list[str]:
    window = IncidentWindow(us(since), us(until), model)
    found = await book.service.read(lambda uow: uow.incidents.candidates(window, None, 1_000))
    return [g.generation_id for g in found]


async def _world(book) -> None:
    await book.ok(created("2026-03-01T09:00:00Z", plan="apprentice"))
    await book.ok(_charged("2026-03-10T11:00:00Z", "early", 10))
    await book.ok(failed("2026-03-10T11:59:59Z", "early"))
    await book.ok(_charged("2026-03-10T11:01:00Z", "start", 10))
    await book.ok(failed("2026-03-10T12:00:00Z", "start"))  # the window's first instant
    await book.ok(_charged("2026-03-10T11:02:00Z", "other", 10, model="kino"))
    await book.ok(failed("2026-03-10T12:10:00Z", "other"))
    await book.ok(_charged("2026-03-10T11:03:00Z", "ok", 10))
    await book.ok(charged("2026-03-10T12:11:00Z", "ok2", 10))  # succeeded: never selected
    await book.ok(failed("2026-03-10T12:15:00Z", "ok"))
    await book.ok(_charged("2026-03-10T11:04:00Z", "end", 10))
    await book.ok(failed("2026-03-10T12:30:00Z", "end"))  # the window's last instant
    await book.ok(_charged("2026-03-10T11:05:00Z", "late", 10))
    await book.ok(failed("2026-03-10T12:30:00.000001Z", "late"))


async def test_a_window_includes_both_ends_and_nothing_outside(book):
    await _world(book)
    selected = await _selected(book, "2026-03-10T12:00:00Z", "2026-03-10T12:30:00Z")
    assert selected == ["start", "other", "ok", "end"]


async def test_a_model_selects_only_its_own_failures(book):
    await _world(book)
    since, until = "2026-03-10T12:00:00Z", "2026-03-10T12:30:00Z"
    assert await _selected(book, since, until, "kino") == ["other"]
    assert await _selected(book, since, until, "phoenix") == ["start", "ok", "end"]
    assert await _selected(book, since, until, "nobody") == []


async def test_refunded_and_uncharged_failures_are_not_selected(book):
    await book.ok(created("2026-03-01T09:00:00Z"))  # free: 150 a day, relaxed not allowed
    await book.ok(_charged("2026-03-10T11:00:00Z", "paid", 100))
    await book.ok(failed("2026-03-10T12:01:00Z", "paid"))
    await book.ok(_charged("2026-03-10T11:01:00Z", "refunded", 50))
    await book.ok(failed("2026-03-10T12:02:00Z", "refunded"))
    await book.ok(_charged("2026-03-10T12:03:00Z", "refused", 500))  # more than the 0 left
    await book.ok(failed("2026-03-10T12:04:00Z", "refused"))
    # A failure reported before its charge is rejected (no such generation yet); the
    # charge that follows stays pending, never failed.
    early = await book.send(failed("2026-03-10T12:05:00Z", "backwards"))
    assert early.outcome == "rejected"
    await book.ok(_charged("2026-03-10T12:06:00Z", "backwards", 5), now="2026-03-10T12:06:00Z")
    await book.service.refund("refunded", reference="#1", actor="mod")
    selected = await _selected(book, "2026-03-10T12:00:00Z", "2026-03-10T13:00:00Z")
    assert selected == ["paid"]


async def _alerts(url: str) -> list[tuple]:
    return [
        tuple(row)
        for row in await query(url, "SELECT kind, topic, key FROM outbox WHERE kind = 'channel'")
    ]


async def test_failures_over_the_threshold_within_15_minutes_raise_one_alert(book):
    book.service.incident_threshold = 3
    await book.ok(created("2026-03-01T09:00:00Z", plan="apprentice"))
    for n in range(6):
        await book.ok(_charged(f"2026-03-10T12:0{n}:00Z", f"g{n}", 10))
    await book.ok(failed("2026-03-10T12:10:00Z", "g0"))
    await book.ok(failed("2026-03-10T12:20:00Z", "g1"))  # g0 is 10 minutes before
    assert await _alerts(book.service.db.url) == []
    await book.ok(failed("2026-03-10T12:21:00Z", "g2"))  # three within 15 minutes
    await book.ok(failed("2026-03-10T12:22:00Z", "g3"))
    await book.ok(failed("2026-03-10T12:23:00Z", "g4"))
    assert len(await _alerts(book.service.db.url)) == 1
    # An hour and more after the first alert, a new burst may raise another.
    for n in range(6, 9):
        await book.ok(_charged(f"2026-03-10T13:2{n}:00Z", f"g{n}", 10))
        await book.ok(failed(f"2026-03-10T13:2{n}:30Z", f"g{n}"))
    assert len(await _alerts(book.service.db.url)) == 2


async def test_two_processes_applying_failures_at_once_raise_one_alert(any_url, clock):
    """Two writers (two engines: two processes on PostgreSQL) apply bursts of one model's
    failures at the same moment; the threshold is crossed in both, and one alert is made."""
    import asyncio
    from datetime import datetime

    from ledger.events import parse_event
    from ledger.service import LedgerService
    from ledger.store.database import open_database

    dbs = [open_database(any_url) for _ in range(2)]
    services = [LedgerService(db, clock, incident_threshold=5) for db in dbs]
    try:
        clock.set(datetime.fromisoformat("2026-03-10T12:30:00Z"))

        def parsed(body):
            return parse_event(body, services[0].catalogue)

        setup = [
            parsed(created("2026-03-01T09:00:00Z", "maestro", account=f"a{n}")) for n in (0, 1)
        ]
        for n in range(16):
            account = f"a{n % 2}"
            setup.append(
                parsed(_charged(f"2026-03-10T12:00:{n:02}Z", f"g{n}", 10, account=account))
            )
        await services[0].apply_many(setup)
        bursts = [
            [
                parsed(failed(f"2026-03-10T12:10:{n:02}Z", f"g{n}", account=f"a{n % 2}"))
                for n in range(k, 16, 2)
            ]
            for k in (0, 1)
        ]
        for _ in range(2):  # the second round finds the alert made and adds none
            await asyncio.gather(*(s.apply_many(b) for s, b in zip(services, bursts, strict=True)))
        alerts = await _alerts(any_url)
        assert [key for _, _, key in alerts] == ["incident:1"]
        rows = await query(any_url, "SELECT model, failures FROM incident_alerts")
        assert [tuple(r) for r in rows] in ([("phoenix", 8)], [("phoenix", 16)])
    finally:
        for db in dbs:
            await db.close()
