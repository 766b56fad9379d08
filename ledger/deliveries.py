"""Claiming and settling outbox items, and leases for jobs that must run once.

Delivery is the bot's job; this is its side of the ledger: one call, one transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.outbox import OutboxItem, OutboxKind, OutboxOutcome
from ledger.store import outbox_records
from ledger.store.database import Database

__all__ = ["Deliveries"]

SECOND_US = 1_000_000


class Deliveries:
    """The outbox as the processes that deliver it see it."""

    def __init__(self, db: Database, now_us: Callable[[], int]) -> None:
        self._db = db
        self._now = now_us

    async def claim(
        self, holder: str, *, limit: int = 20, lease_s: float = 60.0
    ) -> list[OutboxItem]:
        """Claim up to `limit` due items for `lease_s` seconds, oldest first.

        An item whose previous holder's lease ran out (the process died) is claimed again.

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        now, lease = self._now(), int(lease_s * SECOND_US)
        return await self._db.write(
            lambda tx: outbox_records.claim_items(tx, holder, now, lease, limit)
        )

    async def finish(self, item_id: int, outcome: OutboxOutcome) -> bool:
        """Record how delivering an item ended; False if it had already ended."""
        now = self._now()
        return await self._db.write(
            lambda tx: outbox_records.finish_item(tx, item_id, outcome, now)
        )

    async def retry(self, item_id: int, after_s: float) -> None:
        """Give an item back, to be tried again after `after_s` seconds."""
        due = self._now() + int(after_s * SECOND_US)
        await self._db.write(lambda tx: outbox_records.retry_item(tx, item_id, due))

    async def waiting(self, kind: OutboxKind | None = None) -> int:
        """How many items (of `kind`, if given) are not delivered yet.

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        return await self._db.read(lambda tx: outbox_records.waiting_count(tx, kind))

    async def item(self, item_id: int) -> OutboxItem | None:
        """An item by its number, delivered or not (what a message's button refers to).

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        return await self._db.read(lambda tx: outbox_records.item(tx, item_id))

    async def outcome(self, item_id: int) -> tuple[int | None, str | None, int] | None:
        """(done_us, outcome, attempts) of an item, or None if there is no such item."""
        return await self._db.read(lambda tx: outbox_records.item_outcome(tx, item_id))

    async def take_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Hold the named lease for `seconds` if nobody else holds it; True if we do now."""
        now = self._now()
        until = now + int(seconds * SECOND_US)
        return await self._db.write(
            lambda tx: outbox_records.take_lease(tx, name, holder, now, until)
        )

    async def release_lease(self, name: str, holder: str) -> None:
        """Let a lease go before it runs out (a clean shutdown)."""
        await self._db.write(lambda tx: outbox_records.release_lease(tx, name, holder))
