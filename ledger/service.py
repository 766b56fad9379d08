"""The ledger's public face: one awaitable call per operation, one transaction each.

Callers never see a session or a transaction. Business outcomes (a refused charge,
a refused refund, a rejected event) are return values; exceptions mean violations.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.balance import Balance, balance_of
from ledger.clock import Clock
from ledger.cycles import to_us
from ledger.events import Event
from ledger.linking import LINK_CODE_TTL_US, LinkResult, redeem_op
from ledger.operations import (
    AdjustResult,
    EventResult,
    Refunded,
    RefundRefusal,
    adjust_op,
    apply_event_op,
    refund_op,
)
from ledger.plans import Catalogue, load_catalogue
from ledger.resets import catch_up
from ledger.state import AccountState, Generation
from ledger.store import records
from ledger.store.database import Database, Tx

log = logging.getLogger(__name__)

__all__ = ["HistoryRow", "LedgerService", "LinkResult"]

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One journal row as history shows it; `pending` rows are resets due but not yet written."""

    at_us: int
    kind: str
    bucket: str | None
    amount: int
    balance_after: int | None
    reference: str | None
    note: str | None
    pending: bool = False


def is_integrity_error(exc: BaseException) -> bool:
    """Whether a driver error is a constraint violation.

    sqlite3 raises `IntegrityError`; SQLAlchemy's asyncpg adapter raises subclasses of
    its own `IntegrityError` (such as `UniqueViolationError`).
    """
    return any(cls.__name__ == "IntegrityError" for cls in type(exc).__mro__)


class LedgerService:
    """Token rules over a database, at the instants a clock gives."""

    def __init__(self, db: Database, clock: Clock, catalogue: Catalogue | None = None) -> None:
        self.db = db
        self.clock = clock
        self.catalogue = catalogue or load_catalogue()

    def now_us(self) -> int:
        """The present, in ledger microseconds."""
        return to_us(self.clock.now())

    # --- writes -------------------------------------------------------------------------

    async def apply(self, event: Event) -> EventResult:
        """Apply one validated event in its own transaction."""
        return (await self.apply_many([event]))[0]

    async def apply_many(self, events: Sequence[Event]) -> list[EventResult]:
        """Apply events in order in one transaction, each atomic in its own savepoint.

        On PostgreSQL the batch first locks every account it names, in account id order,
        so that batches racing over the same accounts serialize instead of deadlocking.
        An event whose write trips a constraint (another process wrote the same id at
        the same moment) is retried once on its own, and then sees that write.
        """
        now = self.now_us()
        catalogue = self.catalogue
        lock_first = self.db.dialect == "postgresql" and len(events) > 1

        def op(tx: Tx) -> list[EventResult | BaseException]:
            out: list[EventResult | BaseException] = []
            if lock_first:  # row locks in one order: concurrent batches cannot deadlock
                tx.all("accounts_lock_many", {"ids": sorted({e.account_id for e in events})})
            for event in events:
                try:
                    with tx.savepoint():
                        out.append(apply_event_op(tx, event, now, catalogue))
                except Exception as exc:
                    if not is_integrity_error(exc):
                        raise
                    out.append(exc)
            return out

        results = await self.db.write(op)
        final: list[EventResult] = []
        for event, result in zip(events, results, strict=True):
            if isinstance(result, BaseException):
                log.info("retrying event %r after a concurrent write: %s", event.id, result)
                result = await self.db.write(
                    lambda tx, e=event: apply_event_op(tx, e, self.now_us(), catalogue)
                )
            final.append(result)
        return final

    async def charge(
        self,
        account_id: str,
        generation_id: str,
        cost: int,
        *,
        source: str = "web",
        settings: str | None = None,
    ) -> EventResult:
        """Charge a generation now (what a `generation.charged` event does, without the event).

        Returns:
            `applied` or `refused`, or `rejected` for an unknown account or a known generation.
        """
        now = self.now_us()
        event = Event(
            id=generation_id,
            type="generation.charged",
            at_us=now,
            account_id=account_id,
            digest="",
            generation_id=generation_id,
            source=source,
            cost=cost,
            settings=settings,
        )
        catalogue = self.catalogue
        try:
            return await self.db.write(
                lambda tx: apply_event_op(tx, event, now, catalogue, remember=False)
            )
        except Exception as exc:
            if not is_integrity_error(exc):
                raise
            return EventResult(generation_id, "rejected", "generation_id was already charged")

    async def refund(
        self, generation_id: str, *, reference: str, actor: str, account_id: str | None = None
    ) -> Refunded | RefundRefusal:
        """Refund a failed generation's deducted tokens to their buckets, at most once."""
        now, catalogue = self.now_us(), self.catalogue
        try:
            return await self.db.write(
                lambda tx: refund_op(
                    tx, generation_id, reference, actor, now, catalogue, account_id=account_id
                )
            )
        except Exception as exc:
            if not is_integrity_error(exc):
                raise
            return RefundRefusal(generation_id, "already_refunded")

    async def adjust(
        self, account_id: str, amount: int, *, actor: str, reason: str
    ) -> AdjustResult | None:
        """A moderator's manual grant or deduction; None for an unknown account."""
        now, catalogue = self.now_us(), self.catalogue
        return await self.db.write(
            lambda tx: adjust_op(tx, account_id, amount, actor, reason, now, catalogue)
        )

    async def create_link_code(self, account_id: str) -> str | None:
        """A one-time code that links the account to whoever redeems it, for `LINK_CODE_TTL_US`."""
        now = self.now_us()
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))

        def op(tx: Tx) -> str | None:
            if records.find_account(tx, account_id) is None:
                return None
            tx.run(
                "link_code_insert",
                {"code": code, "account_id": account_id, "expires_us": now + LINK_CODE_TTL_US},
            )
            return code

        return await self.db.write(op)

    async def redeem_link_code(self, code: str, discord_user_id: str) -> LinkResult:
        """Link a Discord user to the account a code names; a code works once.

        A new link replaces the old one on either side. Too many failed codes from one
        user lately and the answer is `locked`, with the instant to try again
        (`ledger.linking` holds the limits).
        """
        now = self.now_us()
        code = code.strip().upper()
        return await self.db.write(lambda tx: redeem_op(tx, code, discord_user_id, now))

    # --- reads --------------------------------------------------------------------------

    async def account(self, who: str, *, by_user: bool = False) -> AccountState | None:
        """The stored account for an account id or a linked Discord user id.

        With `by_user`, `who` is only ever taken as a Discord user id: what the bot uses, so
        that nobody reaches an account whose id happens to look like their user id.
        """
        return await self.db.read(lambda tx: _find(tx, who, by_user))

    async def balance(self, who: str, *, by_user: bool = False) -> Balance | None:
        """The balance now, for an account id or a linked Discord user id (None if neither)."""
        now, catalogue = self.now_us(), self.catalogue

        def op(tx: Tx) -> Balance | None:
            state = _find(tx, who, by_user)
            if state is None:
                return None
            current, _ = catch_up(state, now, catalogue)
            return balance_of(current, now, catalogue)

        return await self.db.read(op)

    async def history(
        self, who: str, limit: int = 10, *, by_user: bool = False
    ) -> list[HistoryRow] | None:
        """The latest journal rows, newest first, including resets due but not yet written."""
        now, catalogue = self.now_us(), self.catalogue
        limit = max(1, min(limit, 1000))

        def op(tx: Tx) -> list[HistoryRow] | None:
            state = _find(tx, who, by_user)
            if state is None:
                return None
            _, due = catch_up(state, now, catalogue)
            pending = [
                HistoryRow(e.due_us, e.kind, e.bucket, e.amount, e.balance_after, None, None, True)
                for e in reversed(due[-limit:])
            ]
            rows = tx.all("journal_latest", {"id": state.account_id, "limit": limit})
            stored = [HistoryRow(r[5], r[1], r[2], r[3], r[4], r[7], r[8]) for r in rows]
            return (pending + stored)[:limit]

        return await self.db.read(op)

    async def generation(self, generation_id: str) -> Generation | None:
        """A generation by id."""
        return await self.db.read(lambda tx: records.generation(tx, generation_id))

    async def failed_generations(
        self, account_id: str, since_us: int, limit: int = 25
    ) -> list[Generation]:
        """An account's failed generations charged since `since_us`, newest first."""
        return await self.db.read(
            lambda tx: records.failed_generations(tx, account_id, since_us, limit)
        )


def _find(tx: Tx, who: str, by_user: bool = False) -> AccountState | None:
    if by_user:
        return records.account_for_user(tx, who)
    return records.find_account(tx, who) or records.account_for_user(tx, who)
