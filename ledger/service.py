"""The ledger's public face: one awaitable call per operation, one transaction each.

Callers never see a session or a transaction. Business outcomes (a refused charge,
a refused refund, a rejected event) are return values; exceptions mean violations.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from ledger.balance import Balance, balance_of
from ledger.clock import Clock
from ledger.cycles import to_us
from ledger.deliveries import Deliveries
from ledger.errors import Conflict
from ledger.events import Event
from ledger.incidents import DEFAULT_INCIDENT_THRESHOLD
from ledger.insight import MAX_USAGE_DAYS, MAX_WHY_HOURS, usage_op, why_op
from ledger.linking import LinkResult, new_link_code, normalise_code
from ledger.notices import NotifyChoices
from ledger.notify import change_choices_op, choices_op, rollover_notices_op
from ledger.operations import (
    AdjustResult,
    EventResult,
    adjust_op,
    apply_batch_op,
    apply_event_op,
    create_link_code_op,
    history_op,
    history_page_op,
    redeem_link_code_op,
)
from ledger.plans import Catalogue, load_catalogue
from ledger.refunds import Refunded, RefundProblem, RefundRefusal
from ledger.resets import catch_up
from ledger.state import AccountState, Generation, HistoryRow
from ledger.store import records
from ledger.store.database import Database, Tx, resolve_all
from ledger.unit_of_work import UnitOfWork
from ledger.usage import UsageReport
from ledger.why import WhyReport

log = logging.getLogger(__name__)

__all__ = ["LedgerService"]

T = TypeVar("T")
MAX_HISTORY = 1_000


class LedgerService:
    """Token rules over a database, at the instants a clock gives.

    Attributes:
        clock: where the present comes from.
        catalogue: the plans.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        catalogue: Catalogue | None = None,
        *,
        incident_threshold: int = DEFAULT_INCIDENT_THRESHOLD,
    ) -> None:
        self.db = db
        self.clock = clock
        self.catalogue = catalogue or load_catalogue()
        self.incident_threshold = incident_threshold
        """Failures of one model within 15 minutes that raise an incident alert."""
        self._waiting: list[tuple[Event, asyncio.Future[EventResult]]] = []
        self._waiting_loop: asyncio.AbstractEventLoop | None = None
        self._batches: set[asyncio.Future[list[EventResult]]] = set()
        self.deliveries = Deliveries(db, self.now_us)
        """The outbox, for the processes that deliver it."""

    def now_us(self) -> int:
        """The present, in ledger microseconds."""
        return to_us(self.clock.now())

    async def close(self) -> None:
        """Finish pending writes and release the database."""
        await self.db.close()

    # --- units of work for the packages above ------------------------------------------

    async def write(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run `work(uow)` in one write transaction at the present, and commit it.

        `work` is synchronous and may not await; if it raises, nothing it did is kept.

        Raises:
            Conflict: a key or check refused one of its writes (another writer won).
            DatabaseUnavailable: the database cannot be reached.
        """
        now, catalogue = self.now_us(), self.catalogue
        return await self.db.write(lambda tx: work(UnitOfWork(tx, now, catalogue)))

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run `work(uow)` on a consistent snapshot; it must not write.

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        now, catalogue = self.now_us(), self.catalogue
        return await self.db.read(lambda tx: work(UnitOfWork(tx, now, catalogue)))

    async def ping(self) -> None:
        """One round trip to the database.

        Raises:
            Exception: whatever the driver raises when the database does not answer.
        """
        await self.db.read(records.ping)

    # --- writes -------------------------------------------------------------------------

    async def apply(self, event: Event) -> EventResult:
        """Apply one validated event, as if alone.

        Events that callers hand in during the same turn of the event loop are applied
        together, in the order they came, as one batch (`apply_many`): each ends exactly
        as it would have alone, and a busy ledger pays one transaction for many of them.
        The first caller of a turn applies the batch; a lone event is applied in that
        caller's own coroutine, without a task or a callback of its own (most writes come
        one at a time).
        """
        loop = asyncio.get_running_loop()
        if self._waiting and loop is not self._waiting_loop:  # another loop: on its own
            return (await self.apply_many([event]))[0]
        future: asyncio.Future[EventResult] = loop.create_future()
        self._waiting.append((event, future))
        if len(self._waiting) > 1:
            return await future  # the turn's first caller applies it
        self._waiting_loop = loop
        try:
            await asyncio.sleep(0)  # the rest of this turn's callers join
        except asyncio.CancelledError:
            others = [(e, f) for e, f in self._take_waiting() if f is not future]
            if others:
                self._start(others)
            raise
        waiting = self._take_waiting()
        if len(waiting) == 1:
            return (await self.apply_many([event]))[0]
        self._start(waiting)
        return await future

    def _take_waiting(self) -> list[tuple[Event, asyncio.Future[EventResult]]]:
        waiting, self._waiting = self._waiting, []
        return waiting

    def _start(self, waiting: list[tuple[Event, asyncio.Future[EventResult]]]) -> None:
        """Apply these callers' events as one batch, in a task that tells each its result."""
        batch = self.apply_many([event for event, _ in waiting])
        task = asyncio.ensure_future(batch)
        task.add_done_callback(lambda done: _settle(waiting, done))
        self._batches.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._batches.discard)

    async def apply_many(self, events: Sequence[Event]) -> list[EventResult]:
        """Apply events in order in one transaction; each ends as if applied alone.

        The batch locks every account it names at once, in account id order (so that
        batches racing over the same accounts serialize instead of deadlocking), loads
        what its events name, applies the rules in memory and writes set by set. If
        another process stored one of the batch's keys meanwhile (the same event id,
        generation id or new account), nothing of the batch is kept and it is applied
        again event by event, where each event sees that write.
        """
        if len(events) > 1:
            now = self.now_us()
            catalogue, threshold = self.catalogue, self.incident_threshold
            try:
                return await self.db.write(
                    lambda tx: apply_batch_op(tx, events, now, catalogue, threshold)
                )
            except Conflict as exc:
                log.info(
                    "batch of %d lost a race (%s): applying it event by event", len(events), exc
                )
        return await self._apply_each(events)

    async def _apply_each(self, events: Sequence[Event]) -> list[EventResult]:
        """One transaction, a savepoint per event; an event that trips a key is retried.

        A lone event needs no savepoint: its transaction is its own, and if it trips a
        key, nothing of it is kept and it is applied again.
        """
        now = self.now_us()
        catalogue, threshold = self.catalogue, self.incident_threshold
        if len(events) == 1:
            return [await self._apply_alone(events[0], now)]

        def op(tx: Tx) -> list[EventResult | Conflict]:
            out: list[EventResult | Conflict] = []
            records.lock_accounts(tx, [e.account_id for e in events])
            for event in events:
                try:
                    with tx.savepoint():
                        out.append(apply_event_op(tx, event, now, catalogue, threshold))
                except Conflict as exc:
                    out.append(exc)
            return out

        results = await self.db.write(op)
        final: list[EventResult] = []
        for event, result in zip(events, results, strict=True):
            if isinstance(result, Conflict):
                log.info("retrying event %r after a concurrent write: %s", event.id, result)
                result = await self.db.write(
                    lambda tx, e=event: apply_event_op(tx, e, self.now_us(), catalogue, threshold)
                )
            final.append(result)
        return final

    async def _apply_alone(self, event: Event, now: int) -> EventResult:
        catalogue, threshold = self.catalogue, self.incident_threshold

        def op(tx: Tx, at: int) -> EventResult:
            records.lock_accounts(tx, [event.account_id])
            return apply_event_op(tx, event, at, catalogue, threshold)

        try:
            return await self.db.write(lambda tx: op(tx, now))
        except Conflict as exc:
            log.info("retrying event %r after a concurrent write: %s", event.id, exc)
            return await self.db.write(lambda tx: op(tx, self.now_us()))

    async def refund(
        self, generation_id: str, *, reference: str, actor: str, account_id: str | None = None
    ) -> Refunded | RefundRefusal:
        """Refund a failed generation's deducted tokens to their buckets, at most once."""
        try:
            return await self.write(
                lambda uow: uow.refund(
                    generation_id, reference=reference, actor=actor, account_id=account_id
                )
            )
        except Conflict:
            return RefundRefusal(generation_id, RefundProblem.ALREADY_REFUNDED)

    async def adjust(
        self, account_id: str, amount: int, *, actor: str, reason: str
    ) -> AdjustResult | None:
        """A moderator's manual grant or deduction; None for an unknown account."""
        now, catalogue = self.now_us(), self.catalogue
        return await self.db.write(
            lambda tx: adjust_op(tx, account_id, amount, actor, reason, now, catalogue)
        )

    async def create_link_code(self, account_id: str) -> str | None:
        """A one-time code, valid `LINK_CODE_TTL_US`, that links the account to its redeemer.

        Returns:
            The code, or None when there is no such account.
        """
        now, code = self.now_us(), new_link_code()
        return await self.db.write(lambda tx: create_link_code_op(tx, account_id, code, now))

    async def redeem_link_code(self, code: str, discord_user_id: str) -> LinkResult:
        """Link a Discord user to the account a code names; a code works once.

        A new link replaces the old one on either side. Too many failed codes from one
        user lately and the answer is `locked`, with the instant to try again
        (`ledger.linking` holds the limits).
        """
        now, code = self.now_us(), normalise_code(code)
        return await self.db.write(lambda tx: redeem_link_code_op(tx, code, discord_user_id, now))

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
        limit = max(1, min(limit, MAX_HISTORY))

        def op(tx: Tx) -> list[HistoryRow] | None:
            state = _find(tx, who, by_user)
            return None if state is None else history_op(tx, state, limit, now, catalogue)

        return await self.db.read(op)

    async def history_page(
        self, who: str, limit: int, offset: int, *, by_user: bool = False
    ) -> tuple[list[HistoryRow], int] | None:
        """A page of what `history` lists, newest first, and how many rows there are in all.

        Args:
            who: an account id, or a Discord user id with `by_user`.
            limit: rows per page (1 to 1,000).
            offset: rows to skip.

        Returns:
            (rows, total), or None if there is no such account.

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        now, catalogue = self.now_us(), self.catalogue
        limit, offset = max(1, min(limit, MAX_HISTORY)), max(0, offset)

        def op(tx: Tx) -> tuple[list[HistoryRow], int] | None:
            state = _find(tx, who, by_user)
            if state is None:
                return None
            return history_page_op(tx, state, limit, offset, now, catalogue)

        return await self.db.read(op)

    async def why(self, who: str, hours: int = 24, *, by_user: bool = False) -> WhyReport | None:
        """How the balance got from `hours` ago (1 to 2,160) to now; None if no such account.

        Raises:
            ValueError: `hours` is out of range.
        """
        if not 1 <= hours <= MAX_WHY_HOURS:
            raise ValueError(f"hours must be between 1 and {MAX_WHY_HOURS:,}")
        now, catalogue = self.now_us(), self.catalogue

        def op(tx: Tx) -> WhyReport | None:
            state = _find(tx, who, by_user)
            return None if state is None else why_op(tx, state, hours, now, catalogue)

        return await self.db.read(op)

    async def usage(self, who: str, days: int = 30, *, by_user: bool = False) -> UsageReport | None:
        """Use per day over the last `days` (1 to 90), by model, and the forecast.

        Raises:
            ValueError: `days` is out of range.
        """
        if not 1 <= days <= MAX_USAGE_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_USAGE_DAYS}")
        now, catalogue = self.now_us(), self.catalogue

        def op(tx: Tx) -> UsageReport | None:
            state = _find(tx, who, by_user)
            return None if state is None else usage_op(tx, state, days, now, catalogue)

        return await self.db.read(op)

    async def notify_choices(self, discord_user_id: str) -> NotifyChoices | None:
        """Which direct messages a user wants; None when they are linked to no account.

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        return await self.db.read(lambda tx: choices_op(tx, discord_user_id))

    async def change_notify_choices(
        self, discord_user_id: str, change: Callable[[NotifyChoices], NotifyChoices]
    ) -> NotifyChoices | None:
        """Change a linked user's choices as they stand now; None when they are not linked.

        Raises:
            ValueError: whatever `change` raises (a threshold out of range); nothing is kept.
            DatabaseUnavailable: the database cannot be reached.
        """
        now = self.now_us()
        return await self.db.write(lambda tx: change_choices_op(tx, discord_user_id, change, now))

    async def decide_rollover_notices(self) -> int:
        """Decide `rollover` notices for renewals at most three days away; how many are new.

        Safe to run often and from several processes: each is decided once per renewal.

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        now, catalogue = self.now_us(), self.catalogue
        return await self.db.write(lambda tx: rollover_notices_op(tx, now, catalogue))

    async def failed_generations(
        self, account_id: str, since_us: int, limit: int = 25
    ) -> list[Generation]:
        """An account's failed generations charged since `since_us`, newest first."""
        return await self.db.read(
            lambda tx: records.failed_generations(tx, account_id, since_us, limit)
        )


def _settle(waiting: list[tuple[Event, asyncio.Future[EventResult]]], done: asyncio.Future) -> None:
    """Hand each caller of `apply` its own result (or the batch's failure)."""
    error = done.exception() if not done.cancelled() else asyncio.CancelledError()
    results = done.result() if error is None else [None] * len(waiting)
    resolve_all([(f, result, error) for (_, f), result in zip(waiting, results, strict=True)])


def _find(tx: Tx, who: str, by_user: bool = False) -> AccountState | None:
    if by_user:
        return records.account_for_user(tx, who)
    return records.find_account(tx, who) or records.account_for_user(tx, who)
