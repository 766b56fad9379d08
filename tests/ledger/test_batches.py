"""A batch applied in memory ends exactly as its events applied one by one, on both databases.

That includes the notices the events call for (`failed`, `payment`, and `low` for users
whose threshold their account row carries once linked), written to the outbox.

The same random streams (the generator of `test_properties`, with re-sent ids, conflicting
ids, Discord links, unknown accounts and reused generation ids mixed in) are cut into
batches and applied three ways: as batches on SQLite, as batches on PostgreSQL, and event
by event on SQLite at the same instants. Every result, every stored row (in order) and
every balance and history must be the same.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.clock import FixedClock
from ledger.events import Event, Invalid, parse_event
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.audit import query
from tests.conftest import TABLES
from tests.ledger.test_properties import ACCOUNTS, CAT, streams

USERS = ("111", "222", "333")
EVERY_ACCOUNT = (*ACCOUNTS, "c", "zz")


@st.composite
def mixed_streams(draw) -> list[list[dict[str, Any]]]:
    """A `streams()` stream with awkward events mixed in, cut into batches."""
    events = draw(streams())
    for n in range(draw(st.integers(0, 12))):
        where = draw(st.integers(1, len(events)))
        at = events[where - 1]["at"]
        earlier = events[draw(st.integers(0, where - 1))]
        kind = draw(st.sampled_from(["resend", "conflict", "link", "open", "unknown", "reuse"]))
        body: dict[str, Any]
        if kind == "resend":
            body = dict(earlier)
        elif kind == "conflict":
            body = {**earlier, "at": at, "account_id": draw(st.sampled_from(ACCOUNTS))}
            body.setdefault("amount", 1)
        elif kind == "link":
            body = {"type": "account.linked", "account_id": draw(st.sampled_from(EVERY_ACCOUNT))}
            body |= {"id": f"x{n}", "at": at, "discord_user_id": draw(st.sampled_from(USERS))}
        elif kind == "open":
            account = draw(st.sampled_from(["c", "c", "a"]))
            body = {"id": f"x{n}", "type": "account.created", "at": at, "account_id": account}
            body |= {"plan": draw(st.sampled_from(["free", "maestro"]))}
            if draw(st.booleans()):
                body["discord_user_id"] = draw(st.sampled_from(USERS))
        elif kind == "unknown":
            body = {"id": f"x{n}", "type": "api_credits.added", "at": at, "account_id": "zz"}
            body["amount"] = 5
        else:
            gid = draw(st.sampled_from([e.get("generation_id", "g0") for e in events]))
            account = draw(st.sampled_from(["a", "b", "c"]))
            finish = draw(st.sampled_from(["generation.charged", "generation.succeeded"]))
            body = {"id": f"x{n}", "type": finish, "at": at, "account_id": account}
            body["generation_id"] = gid
            if finish == "generation.charged":
                body |= {"source": "web", "cost": draw(st.integers(1, 300))}
        events.insert(where, body)
    batches, start = [], 0
    while start < len(events):
        size = draw(st.integers(1, 25))
        batches.append(events[start : start + size])
        start += size
    return batches


def _instant(batch: list[dict[str, Any]], clock: FixedClock) -> datetime:
    """The present for a batch: its latest `at`, never going back."""
    return max(clock.now(), *(datetime.fromisoformat(e["at"]) for e in batch))


def _parsed(batch: list[dict[str, Any]]) -> list[Event]:
    out = []
    for body in batch:
        parsed = parse_event(body, CAT)
        assert not isinstance(parsed, Invalid), (body, parsed)
        out.append(parsed)
    return out


class _Fallbacks(logging.Handler):
    """Counts batches that were applied again event by event (after losing a race)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "event by event" in record.getMessage()


CHOICES = (("111", True, 150), ("222", True, 40_000), ("333", False, 1_000))
"""Users' notification choices: `low` below 150, `low` below 40,000, `low` off."""


async def _choose(url: str) -> None:
    """Store the users' choices with the test's own SQL, before any event."""
    sql = (
        "INSERT INTO notify_prefs (user_id, on_failed, on_low, low_threshold, on_rollover,"
        " on_payment, updated_us) VALUES (?, ?, ?, ?, ?, ?, 0)"
    )
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split("///", 1)[1]) as conn:
            conn.executemany(sql, [(u, True, low, n, False, True) for u, low, n in CHOICES])
        return
    for user, low, threshold in CHOICES:
        await query(url, sql, user, True, low, threshold, False, True)


async def _run(url: str, batches: list[list[dict[str, Any]]], *, one_by_one: bool) -> dict:
    await _choose(url)
    fallbacks = _Fallbacks()
    logger = logging.getLogger("ledger.service")
    logger.addHandler(fallbacks)
    logger.setLevel(logging.INFO)
    clock = FixedClock(datetime.fromisoformat(batches[0][0]["at"]))
    service = LedgerService(open_database(url), clock, CAT)
    results = []
    try:
        for batch in batches:
            clock.set(_instant(batch, clock))
            events = _parsed(batch)
            if one_by_one:
                results += [tuple(await service.apply(e)) for e in events]
            else:
                results += [tuple(r) for r in await service.apply_many(events)]
        clock.set(clock.now() + timedelta(days=40))
        seen = {
            who: (await service.balance(who), await service.history(who, 1_000))
            for who in (*EVERY_ACCOUNT, *USERS)
        }
        # Alone on its database, a batch never loses a race: it never falls back.
        assert fallbacks.count == 0
        return {"results": results, "tables": await _tables(url), "seen": seen}
    finally:
        logger.removeHandler(fallbacks)
        await service.close()


async def _tables(url: str) -> dict[str, list[tuple]]:
    """Every stored row that a ledger write makes, in a fixed order (journal: as written)."""
    orders = {
        "accounts": "account_id",
        "journal": "id",
        "generations": "generation_id",
        "events": "event_id",
        "refunds": "generation_id",
        "outbox": "id",
    }
    out = {}
    for table, order in orders.items():
        rows = await query(url, f"SELECT * FROM {table} ORDER BY {order}")
        out[table] = [tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows]
    return out


async def _empty(url: str) -> None:
    await query(url, f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")


@pytest.mark.postgres
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=mixed_streams())
def test_batches_end_as_events_one_by_one_on_sqlite_and_postgresql(
    migrated_sqlite_template, pg_session_url, batches
):
    with tempfile.TemporaryDirectory() as folder:
        paths = [str(Path(folder) / name) for name in ("batched.db", "single.db")]
        for path in paths:
            shutil.copy(migrated_sqlite_template, path)
        batched = asyncio.run(_run(f"sqlite:///{paths[0]}", batches, one_by_one=False))
        single = asyncio.run(_run(f"sqlite:///{paths[1]}", batches, one_by_one=True))
    asyncio.run(_empty(pg_session_url))
    on_postgres = asyncio.run(_run(pg_session_url, batches, one_by_one=False))
    assert batched["results"] == single["results"]
    assert batched["tables"] == single["tables"]
    assert batched["seen"] == single["seen"]
    assert on_postgres["results"] == batched["results"]
    assert on_postgres["tables"] == batched["tables"]
    assert on_postgres["seen"] == batched["seen"]


async def test_events_handed_in_together_end_as_if_applied_alone_in_turn(any_url, clock):
    """Callers of `apply` in the same moment share a batch; each gets its own result."""
    service = LedgerService(open_database(any_url), clock, CAT)
    at = clock.now().isoformat()

    def body(event_id: str, gid: str, cost: int) -> Event:
        return _parsed(
            [
                {
                    "id": event_id,
                    "type": "generation.charged",
                    "at": at,
                    "account_id": "a",
                    "generation_id": gid,
                    "source": "web",
                    "cost": cost,
                }
            ]
        )[0]

    try:
        opened = {"id": "open", "type": "account.created", "at": at, "account_id": "a"}
        assert (await service.apply(_parsed([opened | {"plan": "free"}])[0])).outcome == "applied"
        results = await asyncio.gather(
            service.apply(body("e1", "g1", 100)),
            service.apply(body("e1", "g1", 100)),
            service.apply(body("e2", "g1", 10)),
            service.apply(body("e3", "g3", 100)),
            service.apply(body("e4", "g4", 50)),
        )
        assert [(r.outcome, r.reason) for r in results] == [
            ("applied", None),
            ("skipped", None),
            ("rejected", "generation_id 'g1' was already charged"),
            ("refused", "not enough tokens to cover 100"),
            ("applied", None),
        ]
        assert (await service.balance("a")).daily == 0
    finally:
        await service.close()
