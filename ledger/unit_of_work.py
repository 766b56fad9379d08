"""A unit of work for packages above the ledger: one transaction, typed operations, no SQL.

`LedgerService.write(fn)` runs `fn(uow)` in one transaction and commits it; an exception
rolls everything back. The ticket desk uses it so that approving a ticket and paying its
refund commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ledger.incidents import IncidentWindow, plan_refunds
from ledger.notices import NotifyChoices
from ledger.operations import refund_op
from ledger.outbox import OutboxKind
from ledger.plans import Catalogue
from ledger.refunds import Refunded, RefundRefusal
from ledger.state import AccountState, Generation
from ledger.store import (
    incident_records,
    notify_records,
    outbox_records,
    records,
    ticket_records,
)
from ledger.store.database import Tx
from ledger.tickets import Ticket, TicketCategory, TicketLogEntry, TicketReply, TicketState

__all__ = ["IncidentBook", "OutboxBook", "TicketBook", "UnitOfWork"]


class TicketBook:
    """Tickets and their log, inside a unit of work."""

    __slots__ = ("_tx",)

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def insert(self, ticket: Ticket) -> int:
        """Store a new ticket (its `id` is ignored) and return its number.

        Raises:
            Conflict: the generation already has an open refund ticket (another writer).
        """
        return ticket_records.insert_ticket(self._tx, ticket)

    def load(self, ticket_id: int, *, lock: bool = False) -> Ticket | None:
        """A ticket; with `lock`, other writers wait for this transaction to end."""
        return ticket_records.load_ticket(self._tx, ticket_id, lock=lock)

    def save(self, ticket: Ticket) -> None:
        """Store what changed in a ticket's life (state, claim, times, decision, notice)."""
        ticket_records.save_ticket(self._tx, ticket)

    def log(self, ticket_id: int, entry: TicketLogEntry) -> None:
        """Append one entry to a ticket's log."""
        ticket_records.log_action(self._tx, ticket_id, entry)

    def log_many(self, entries: Sequence[tuple[int, TicketLogEntry]]) -> None:
        """Append entries to tickets' logs, in order, in one statement."""
        ticket_records.log_actions(self._tx, entries)

    def insert_decided(self, tickets: Sequence[Ticket]) -> list[int]:
        """Store tickets opened already decided (an incident's); returns their numbers."""
        return incident_records.insert_decided_tickets(self._tx, tickets)

    def history(self, ticket_id: int) -> list[TicketLogEntry]:
        """A ticket's log, in order."""
        return ticket_records.ticket_log(self._tx, ticket_id)

    def histories_since(self, since_us: int) -> dict[int, list[TicketLogEntry]]:
        """The logs of the tickets opened since an instant, by ticket number."""
        return ticket_records.ticket_logs_since(self._tx, since_us)

    def count_open(self) -> int:
        """How many tickets are open or claimed."""
        return ticket_records.count_open(self._tx)

    def count_open_for_user(self, user_id: str) -> int:
        """How many open or claimed tickets a user has."""
        return ticket_records.count_open_for_user(self._tx, user_id)

    def open_for_generation(self, generation_id: str) -> int | None:
        """The open refund ticket of a generation, if there is one."""
        return ticket_records.open_ticket_for(self._tx, generation_id)

    def open_refund_generations(self, user_id: str) -> set[str]:
        """Generation ids a user has an open refund ticket for."""
        return ticket_records.open_refund_generations(self._tx, user_id)

    def of_user(self, user_id: str, limit: int, offset: int = 0) -> list[Ticket]:
        """A user's tickets, newest first."""
        return ticket_records.tickets_of_user(self._tx, user_id, limit, offset)

    def take_notices(self, user_id: str) -> list[Ticket]:
        """Decisions the user was not told about; they count as told from now."""
        return ticket_records.take_notices(self._tx, user_id)

    def queue(
        self,
        state: TicketState | None,
        category: TicketCategory | None,
        limit: int,
        offset: int = 0,
        overdue_before_us: int = -(1 << 62),
    ) -> list[Ticket]:
        """Tickets in a state (default: open and claimed): overdue ones first, then oldest.

        Overdue: open, opened before `overdue_before_us`, no staff response yet.
        """
        return ticket_records.queue(self._tx, state, category, limit, offset, overdue_before_us)

    def count_queue(self, state: TicketState | None, category: TicketCategory | None) -> int:
        """How many tickets `queue` lists over every page."""
        return ticket_records.count_queue(self._tx, state, category)

    def count_of_user(self, user_id: str) -> int:
        """How many tickets a user has, in any state."""
        return ticket_records.count_of_user(self._tx, user_id)

    def overdue_unreminded(self, overdue_before_us: int, limit: int) -> list[Ticket]:
        """Open tickets opened before an instant, with no staff response and no reminder."""
        return ticket_records.overdue_unreminded(self._tx, overdue_before_us, limit)

    def to_warn(self, replied_before_us: int, limit: int) -> list[Ticket]:
        """Open tickets waiting on the user since before an instant, not warned yet."""
        return ticket_records.tickets_to_warn(self._tx, replied_before_us, limit)

    def to_close(self, replied_before_us: int, warned_before_us: int, limit: int) -> list[Ticket]:
        """Open tickets waiting on the user since before one instant, warned before another."""
        return ticket_records.tickets_to_close(self._tx, replied_before_us, warned_before_us, limit)

    def set_message(self, ticket_id: int, message_id: str) -> bool:
        """Store the triage message's id, once; False if one was stored already."""
        return ticket_records.set_message(self._tx, ticket_id, message_id)

    def set_thread(self, ticket_id: int, thread_id: str) -> bool:
        """Store the ticket thread's id, once; False if one was stored already."""
        return ticket_records.set_thread(self._tx, ticket_id, thread_id)

    def rate(self, ticket_id: int, rating: int, at_us: int) -> bool:
        """Store the user's rating, once; False if the ticket was rated already.

        Raises:
            Conflict: `rating` is not 1 to 5 (the database's check refused it).
        """
        return ticket_records.rate_ticket(self._tx, ticket_id, rating, at_us)

    def add_reply(self, ticket_id: int, user_id: str, at_us: int, actor: str, text: str) -> int:
        """Store a message from the support team to the ticket's user; returns its number."""
        return ticket_records.add_reply(self._tx, ticket_id, user_id, at_us, actor, text)

    def reply(self, reply_id: int) -> TicketReply | None:
        """One message from the support team, or None."""
        return ticket_records.load_reply(self._tx, reply_id)

    def replies_waiting(self, user_id: str) -> list[TicketReply]:
        """Messages from the support team the user has not received yet, oldest first."""
        return ticket_records.replies_waiting(self._tx, user_id)

    def reply_received(self, reply_id: int) -> bool:
        """The user has a message now; False if they had it already."""
        return ticket_records.reply_received(self._tx, reply_id)

    def since(self, since_us: int) -> list[Ticket]:
        """Tickets opened since an instant, oldest first."""
        return ticket_records.tickets_since(self._tx, since_us)


class OutboxBook:
    """The outbox, inside a unit of work: what to tell people about what it changes."""

    __slots__ = ("_now", "_tx")

    def __init__(self, tx: Tx, now_us: int) -> None:
        self._tx = tx
        self._now = now_us

    def add(
        self,
        kind: OutboxKind,
        topic: str,
        payload: dict[str, Any] | None = None,
        *,
        user_id: str | None = None,
        ticket_id: int | None = None,
        key: str | None = None,
        due_us: int | None = None,
    ) -> bool:
        """Add an item to deliver once this transaction commits.

        Args:
            kind: where it goes.
            topic: what it is about (the deliverer words it).
            payload: JSON-safe values the deliverer needs.
            user_id: the Discord user, for a DM.
            ticket_id: the ticket, for triage and thread items.
            key: a unique key; an item whose key exists is not added again.
            due_us: not before this instant (default: now).

        Returns:
            False when an item with the same key exists (nothing was added).
        """
        return outbox_records.add_item(
            self._tx,
            kind,
            topic,
            payload or {},
            self._now,
            user_id=user_id,
            ticket_id=ticket_id,
            key=key,
            due_us=due_us,
        )

    def add_many(
        self,
        kind: OutboxKind,
        topic: str,
        items: Sequence[tuple[dict[str, Any], str | None, int | None, str | None]],
    ) -> None:
        """Add items of one kind and topic in one statement: (payload, user, ticket, key)."""
        outbox_records.add_items(self._tx, kind, topic, items, self._now)

    def take_lease(self, name: str, holder: str, until_us: int) -> bool:
        """Hold a named lease until `until_us` if nobody else holds it; True if we do."""
        return outbox_records.take_lease(self._tx, name, holder, self._now, until_us)


class IncidentBook:
    """Incident refunds, a batch at a time, inside a unit of work (`ledger.incidents`)."""

    __slots__ = ("_catalogue", "_now", "_tx")

    def __init__(self, tx: Tx, now_us: int, catalogue: Catalogue) -> None:
        self._tx = tx
        self._now = now_us
        self._catalogue = catalogue

    def candidates(
        self, window: IncidentWindow, after: tuple[int, str] | None, limit: int
    ) -> list[Generation]:
        """The next failures the window refunds, in (reported instant, id) order after
        `after`: failed after a charge that deducted something, not refunded."""
        return incident_records.candidates(self._tx, window, after, limit)

    def lock_open_tickets(self, generation_ids: Sequence[str]) -> dict[str, int]:
        """The open refund ticket of each generation that has one, locked (in id order)."""
        return incident_records.open_tickets_for(self._tx, generation_ids)

    def lock_late_tickets(self, generation_ids: Sequence[str]) -> dict[str, int]:
        """Open refund tickets opened while the accounts were being locked, locked too
        (those another writer holds are left out: it is deciding them)."""
        return incident_records.open_tickets_late(self._tx, generation_ids)

    def lock_accounts(self, account_ids: set[str]) -> dict[str, AccountState]:
        """The accounts, locked in account id order (after any tickets), as they are now."""
        return incident_records.load_accounts(self._tx, account_ids)

    def generations(self, generation_ids: Sequence[str]) -> dict[str, Generation]:
        """Generations as they are now, with whether each was refunded."""
        return incident_records.load_generations(self._tx, generation_ids)

    def refund_many(self, refunds: Sequence[tuple[Generation, str]], actor: str) -> list[Refunded]:
        """Refund each (generation, reference) whose accounts this transaction locked.

        Generations that cannot be refunded any more are left out of the result.

        Raises:
            Conflict: another writer refunded one of them first (the refunds key).
        """
        accounts = incident_records.load_accounts(self._tx, {gen.account_id for gen, _ in refunds})
        plan = plan_refunds(accounts, refunds, self._now, self._catalogue)
        incident_records.write_refunds(self._tx, plan, actor, self._now)
        return plan.paid

    def alert_window(self, alert_id: int) -> IncidentWindow | None:
        """The model and window an incident alert's `Refund all` refunds, if it exists."""
        return incident_records.alert_window(self._tx, alert_id)


class UnitOfWork:
    """What one transaction may read and do. Made by `LedgerService.write` and `read`.

    Attributes:
        now_us: the instant the transaction acts at.
        tickets: tickets and their log.
        outbox: what to tell people once it commits.
        incidents: incident refunds, a batch at a time.
    """

    __slots__ = ("_catalogue", "_tx", "incidents", "now_us", "outbox", "tickets")

    def __init__(self, tx: Tx, now_us: int, catalogue: Catalogue) -> None:
        self._tx = tx
        self._catalogue = catalogue
        self.now_us = now_us
        self.tickets = TicketBook(tx)
        self.outbox = OutboxBook(tx, now_us)
        self.incidents = IncidentBook(tx, now_us, catalogue)

    def account_for_user(self, discord_user_id: str) -> AccountState | None:
        """The account linked to a Discord user, if any."""
        return records.account_for_user(self._tx, discord_user_id)

    def generation(self, generation_id: str) -> Generation | None:
        """A generation by id (with whether it was refunded), or None."""
        return records.generation(self._tx, generation_id)

    def notify_choices(self, discord_user_id: str) -> NotifyChoices:
        """Which direct messages a Discord user wants (the defaults until they chose)."""
        return notify_records.choices_of(self._tx, discord_user_id)

    def refund(
        self, generation_id: str, *, reference: str, actor: str, account_id: str | None = None
    ) -> Refunded | RefundRefusal:
        """Refund a failed generation's deducted tokens, in this transaction.

        Args:
            generation_id: the generation.
            reference: what the journal cites (a ticket `#N`).
            actor: who decided it.
            account_id: when given, the generation must be this account's.

        Raises:
            Conflict: another writer refunded it first (the refunds key refused a second).
        """
        return refund_op(
            self._tx,
            generation_id,
            reference,
            actor,
            self.now_us,
            self._catalogue,
            account_id=account_id,
        )

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Make the enclosed work atomic: on an exception it is undone, the rest stays."""
        with self._tx.savepoint():
            yield
