"""The ticket desk: opening tickets, triage, decisions, conversation. One call, one transaction.

A refund is paid inside the same transaction that approves its ticket, so the two
commit together or not at all, and a ticket is locked while it is decided: two
moderators pressing Approve at once (even from two processes) pay one refund. Every
change also decides, in its transaction, what the triage channel and the user hear of
it (outbox items; see `diagnostics.decisions`).

Where the pieces live: `opening` (new tickets), `decisions` (the one decision path and
what each change announces), `conversation` (replies, answers, ratings), `deadlines`
(the SLA and auto-close jobs), `desk_stats` (figures), `desk_topics` (outbox topics),
`incidents` (refunding every failure of an incident, each on a ticket of its own).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from diagnostics.conversation import Answered, Rated, Replied, answer_in, rate_in, reply_in
from diagnostics.deadlines import Swept, sweep_in
from diagnostics.decisions import Decided, decide_in
from diagnostics.desk_stats import Stats, stats_of
from diagnostics.desk_topics import DECISION_NOTICE, SYSTEM
from diagnostics.incidents import IncidentRefunds, refund_incident
from diagnostics.opening import Opened, open_complaint_in, open_refund_in
from diagnostics.tickets import Problem, Refused, TicketPolicy, transition
from ledger import (
    DAY_US,
    Conflict,
    IncidentWindow,
    LedgerService,
    Ticket,
    TicketAction,
    TicketCategory,
    TicketLogEntry,
    TicketReply,
    TicketState,
    UnitOfWork,
)

log = logging.getLogger(__name__)

__all__ = [
    "DECISION_NOTICE",
    "SYSTEM",
    "Answered",
    "Decided",
    "IncidentRefunds",
    "Opened",
    "Page",
    "Rated",
    "Replied",
    "Stats",
    "Swept",
    "TicketDesk",
    "decide_in",
]

MAX_PAGE = 100
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list: its items, and how many there are in all."""

    items: list[T]
    total: int
    offset: int
    limit: int


class TicketDesk:
    """Tickets over the ledger's database and clock."""

    def __init__(self, ledger: LedgerService, policy: TicketPolicy | None = None) -> None:
        self.ledger = ledger
        self.policy = policy or TicketPolicy()

    # --- opening ------------------------------------------------------------------------

    async def open_refund(
        self,
        user_id: str,
        generation_id: str,
        details: str | None = None,
        answers: Sequence[tuple[str, str]] = (),
    ) -> Opened | Refused:
        """Open a refund ticket for a failed, charged generation of the user's own account.

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        policy = self.policy
        try:
            return await self.ledger.write(
                lambda uow: open_refund_in(uow, policy, user_id, generation_id, details, answers)
            )
        except Conflict:  # another writer opened one for this generation at the same moment
            return Refused(Problem.TICKET_OPEN)

    async def open_complaint(
        self,
        user_id: str,
        category: TicketCategory | str,
        details: str | None = None,
        answers: Sequence[tuple[str, str]] = (),
    ) -> Opened | Refused:
        """Open a general ticket (missing tokens, not refreshing, billing, other).

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        try:
            chosen = TicketCategory(category)
        except ValueError:
            return Refused(Problem.UNKNOWN_CATEGORY)
        if chosen is TicketCategory.REFUND:
            return Refused(Problem.UNKNOWN_CATEGORY)
        policy = self.policy
        return await self.ledger.write(
            lambda uow: open_complaint_in(uow, policy, user_id, chosen, details, answers)
        )

    # --- triage, decisions and conversation ---------------------------------------------

    async def act(
        self, ticket_id: int, action: TicketAction | str, actor: str, text: str | None = None
    ) -> Decided | Refused:
        """Claim, note, close, approve or deny a ticket, journalled with actor and time.

        The one path every decision takes, whoever asks (a command, a button, the
        system). Approving refunds the generation in the same transaction.

        Raises:
            ValueError: `action` is not a ticket action.
            DatabaseUnavailable: the database cannot be reached.
        """
        chosen = TicketAction(action)
        return await self.ledger.write(lambda uow: decide_in(uow, ticket_id, chosen, actor, text))

    async def refund_incident(
        self, window: IncidentWindow, actor: str, reason: str | None = None
    ) -> IncidentRefunds:
        """Refund every failure of an incident's window, each through its own ticket.

        See `diagnostics.incidents`: an open refund ticket of one of them is approved,
        the others get tickets opened approved (`quiet`); nothing is refunded twice.

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        return await refund_incident(self.ledger, window, actor, reason)

    async def incident_window(self, alert_id: int) -> IncidentWindow | None:
        """The model and window an incident alert's `Refund all` refunds, if it exists."""
        return await self.ledger.read(lambda uow: uow.incidents.alert_window(alert_id))

    async def reply(self, ticket_id: int, actor: str, text: str) -> Replied | Refused:
        """The support team writes to the ticket's user (by DM, or in `/tickets`).

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        return await self.ledger.write(lambda uow: reply_in(uow, ticket_id, actor, text))

    async def answer(self, ticket_id: int, user_id: str, text: str) -> Answered | Refused:
        """The user answers the support team on their own open ticket.

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        return await self.ledger.write(lambda uow: answer_in(uow, ticket_id, user_id, text))

    async def rate(self, ticket_id: int, user_id: str, rating: int) -> Rated | Refused:
        """The user rates their ended ticket from 1 to 5, once.

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        return await self.ledger.write(lambda uow: rate_in(uow, ticket_id, user_id, rating))

    async def sweep(self) -> Swept:
        """Decide the SLA reminders, warnings and auto-closes due now (see `deadlines`).

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        policy = self.policy
        return await self.ledger.write(lambda uow: sweep_in(uow, policy))

    async def mark_told(self, ticket_id: int) -> None:
        """The user has been told of the decision (its DM went through)."""

        def work(uow: UnitOfWork) -> None:
            ticket = uow.tickets.load(ticket_id)
            if ticket is not None and ticket.notice_pending:
                uow.tickets.save(replace(ticket, notice_pending=False))

        await self.ledger.write(work)

    async def take_notices(self, user_id: str) -> list[Ticket]:
        """Decided tickets the user has not been told about yet; they count as told now."""
        return await self.ledger.write(lambda uow: uow.tickets.take_notices(user_id))

    async def take_replies(self, user_id: str) -> list[TicketReply]:
        """Messages from the support team the user has not received; received from now."""

        def work(uow: UnitOfWork) -> list[TicketReply]:
            waiting = uow.tickets.replies_waiting(user_id)
            for reply in waiting:
                uow.tickets.reply_received(reply.id)
            return waiting

        return await self.ledger.write(work)

    async def reply_delivered(self, reply_id: int) -> bool:
        """The reply's DM went through; False if the user had it already (in `/tickets`)."""
        return await self.ledger.write(lambda uow: uow.tickets.reply_received(reply_id))

    async def set_triage_message(self, ticket_id: int, message_id: str) -> bool:
        """Store where the ticket's triage message is, once; False if it was stored before."""
        return await self.ledger.write(lambda uow: uow.tickets.set_message(ticket_id, message_id))

    async def set_thread(self, ticket_id: int, thread_id: str) -> bool:
        """Store the ticket's thread, once; False if it was stored before."""
        return await self.ledger.write(lambda uow: uow.tickets.set_thread(ticket_id, thread_id))

    # --- reading ------------------------------------------------------------------------

    async def get(self, ticket_id: int) -> Ticket | None:
        """One ticket, or None."""
        return await self.ledger.read(lambda uow: uow.tickets.load(ticket_id))

    async def get_reply(self, reply_id: int) -> TicketReply | None:
        """One message from the support team, or None."""
        return await self.ledger.read(lambda uow: uow.tickets.reply(reply_id))

    async def log(self, ticket_id: int) -> list[TicketLogEntry]:
        """The ticket's history, in order."""
        return await self.ledger.read(lambda uow: uow.tickets.history(ticket_id))

    async def of_user(self, user_id: str, limit: int = 10, offset: int = 0) -> list[Ticket]:
        """A user's own tickets, newest first."""
        return (await self.user_page(user_id, limit, offset)).items

    async def user_page(self, user_id: str, limit: int = 10, offset: int = 0) -> Page[Ticket]:
        """A page of a user's own tickets, newest first, and how many they have."""
        limit, offset = max(1, min(limit, MAX_PAGE)), max(0, offset)

        def work(uow: UnitOfWork) -> Page[Ticket]:
            items = uow.tickets.of_user(user_id, limit, offset)
            return Page(items, uow.tickets.count_of_user(user_id), offset, limit)

        return await self.ledger.read(work)

    async def open_refund_generations(self, user_id: str) -> set[str]:
        """Generation ids the user already has an open refund ticket for."""
        return await self.ledger.read(lambda uow: uow.tickets.open_refund_generations(user_id))

    async def open_count(self) -> int:
        """How many tickets are open or claimed (for the `tokendesk_tickets_open` gauge)."""
        return await self.ledger.read(lambda uow: uow.tickets.count_open())

    async def queue(
        self,
        state: TicketState | str | None = None,
        category: TicketCategory | str | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> list[Ticket]:
        """Tickets waiting for support (open and claimed by default): overdue, then oldest."""
        return (await self.queue_page(state, category, limit, offset)).items

    async def queue_page(
        self,
        state: TicketState | str | None = None,
        category: TicketCategory | str | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> Page[Ticket]:
        """A page of the queue (overdue tickets first, then oldest), and its length.

        Raises:
            ValueError: `state` or `category` is not one of the ledger's.
        """
        chosen_state = None if state is None else TicketState(state)
        chosen_category = None if category is None else TicketCategory(category)
        limit, offset = max(1, min(limit, MAX_PAGE)), max(0, offset)
        sla = self.policy.sla_us

        def work(uow: UnitOfWork) -> Page[Ticket]:
            items = uow.tickets.queue(
                chosen_state, chosen_category, limit, offset, uow.now_us - sla
            )
            total = uow.tickets.count_queue(chosen_state, chosen_category)
            return Page(items, total, offset, limit)

        return await self.ledger.read(work)

    async def actionable(self, action: TicketAction | str, typed: str = "") -> list[Ticket]:
        """Up to 25 tickets `action` applies to now, whose number starts with `typed`.

        Overdue tickets first, then oldest, as in the queue. A note or a reply applies to
        any open ticket; the other actions follow the transition table.
        """
        chosen = TicketAction(action)
        digits = typed.strip().lstrip("#")
        if digits and not digits.isdigit():
            return []
        exact = await self.get(int(digits)) if digits and len(digits) <= 15 else None
        found = await self.queue_page(limit=MAX_PAGE)
        out: list[Ticket] = []
        for ticket in ([exact] if exact else []) + found.items:
            if ticket.id in {t.id for t in out} or not str(ticket.id).startswith(digits):
                continue
            fits = (
                ticket.open
                if chosen in (TicketAction.NOTE, TicketAction.REPLY)
                else not isinstance(transition(ticket, chosen), Refused)
            )
            if fits:
                out.append(ticket)
        return out[:25]

    async def stats(self, days: int) -> Stats:
        """Counts, refunded tokens, times, ratings and SLA figures over the last `days`."""
        now = self.ledger.now_us()
        tickets = await self.ledger.read(lambda uow: uow.tickets.since(now - days * DAY_US))
        return stats_of(tickets, days, now, self.policy.sla_us)

    async def export(self, since_us: int | None = None) -> list[tuple[Ticket, list]]:
        """Every ticket (created since `since_us`) with its history, oldest first."""
        since = -(1 << 62) if since_us is None else since_us

        def work(uow: UnitOfWork) -> list[tuple[Ticket, list]]:
            tickets = uow.tickets.since(since)
            logs = uow.tickets.histories_since(since)
            return [(t, logs.get(t.id, [])) for t in tickets]

        return await self.ledger.read(work)
