"""Builders for platform events and a small harness that applies them at their instants."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from ledger.balance import Balance
from ledger.clock import FixedClock
from ledger.events import Event, Invalid, parse_event
from ledger.operations import EventResult
from ledger.service import LedgerService
from tests.audit import query, sums_match

_ids = itertools.count(1)


def event(kind: str, at: str, account: str = "acc", **fields: Any) -> dict[str, Any]:
    """A platform event as the platform would send it (a fresh id unless given)."""
    body: dict[str, Any] = {"id": fields.pop("id", f"ev-{next(_ids)}"), "type": kind, "at": at}
    body["account_id"] = account
    body.update(fields)
    return body


def created(at: str, plan: str = "free", account: str = "acc", **fields: Any) -> dict[str, Any]:
    return event("account.created", at, account, plan=plan, **fields)


def charged(
    at: str, gid: str, cost: int, account: str = "acc", source: str = "web", **fields: Any
) -> dict[str, Any]:
    return event(
        "generation.charged", at, account, generation_id=gid, source=source, cost=cost, **fields
    )


def failed(at: str, gid: str, account: str = "acc", **fields: Any) -> dict[str, Any]:
    return event("generation.failed", at, account, generation_id=gid, **fields)


def plan_change(at: str, plan: str, account: str = "acc") -> dict[str, Any]:
    return event("subscription.changed", at, account, plan=plan)


class Ledger:
    """Applies events with the clock standing at each event's instant, and reads balances."""

    def __init__(self, service: LedgerService, clock: FixedClock) -> None:
        self.service = service
        self.clock = clock

    async def send(self, body: dict[str, Any], *, now: str | None = None) -> EventResult:
        """Apply one event; the clock moves to `now` (default: the event's own `at`)."""
        self.clock.set(datetime.fromisoformat(now or body["at"]))
        parsed = parse_event(body, self.service.catalogue)
        if isinstance(parsed, Invalid):
            return EventResult(parsed.event_id, "rejected", parsed.reason)
        assert isinstance(parsed, Event)
        return await self.service.apply(parsed)

    async def ok(self, body: dict[str, Any], *, now: str | None = None) -> EventResult:
        """Apply one event that must be accepted."""
        result = await self.send(body, now=now)
        assert result.outcome in ("applied", "late", "refused"), result
        return result

    async def balance(self, at: str, who: str = "acc") -> Balance:
        self.clock.set(datetime.fromisoformat(at))
        found = await self.service.balance(who)
        assert found is not None
        return found

    async def buckets(self, at: str, who: str = "acc") -> tuple[int, int, int]:
        b = await self.balance(at, who)
        return b.daily, b.monthly, b.rollover

    async def journal(self, account: str = "acc") -> list[tuple]:
        """Every stored journal row of the account, oldest first: (kind, bucket, amount, due_us)."""
        return await journal_rows(self.service.db.url, account)

    async def sums_match(self, account: str = "acc") -> bool:
        """Each stored bucket equals the sum of its journal rows."""
        return await sums_match(self.service.db.url, account)


def us(instant: str) -> int:
    """An ISO instant as ledger microseconds."""
    from ledger.cycles import to_us

    return to_us(datetime.fromisoformat(instant))


async def journal_rows(url: str, account: str) -> list[tuple]:
    """Every stored journal row of an account, oldest first: (kind, bucket, amount, due_us)."""
    rows = await query(
        url,
        "SELECT kind, bucket, amount, due_us FROM journal WHERE account_id = ? ORDER BY id",
        account,
    )
    return [tuple(row) for row in rows]


def charge_event(
    service: LedgerService, account: str, gid: str, cost: int, source: str = "web"
) -> Event:
    """A `generation.charged` event at the service's present, with a fresh id."""
    at = service.clock.now().isoformat()
    parsed = parse_event(charged(at, gid, cost, account, source), service.catalogue)
    assert isinstance(parsed, Event), parsed
    return parsed
