"""The one decision path, and what every change to a ticket tells (in its transaction).

`decide_in` claims, notes, closes, approves and denies; the conversation and the timed
jobs use the same helpers. Each change journals a log entry and, unless the ticket is
`quiet`, adds outbox items in the same transaction: a TRIAGE item (bring the triage
message up to date) and a THREAD item (the entry as a line in the ticket's thread). A
ticket that ends (decided or closed) also asks its user, once, how it went.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from diagnostics.desk_topics import (
    DECISION_NOTICE,
    RATING_REQUEST,
    THREAD_LINE,
    TRIAGE_REFRESH,
)
from diagnostics.tickets import DECISIONS, Problem, Refused, transition
from ledger import (
    OutboxKind,
    Refunded,
    RefundRefusal,
    Ticket,
    TicketAction,
    TicketLogEntry,
    TicketState,
    UnitOfWork,
)

log = logging.getLogger(__name__)

__all__ = ["MAX_TEXT", "Decided", "announce", "clean_text", "decide_in", "journal", "reload"]

MAX_TEXT = 1_000


@dataclass(frozen=True)
class Decided:
    """A ticket after an action; `refund` is set when an approval paid one."""

    ticket: Ticket
    action: TicketAction
    refund: Refunded | None = None


def clean_text(text: str | None) -> str | None:
    """Text from a person, trimmed and cut to `MAX_TEXT`; None when nothing is left."""
    if text is None:
        return None
    text = text.strip()
    return text[:MAX_TEXT] or None


def reload(uow: UnitOfWork, ticket_id: int) -> Ticket:
    """The ticket as this transaction now sees it (it must exist)."""
    ticket = uow.tickets.load(ticket_id)
    assert ticket is not None
    return ticket


def journal(
    uow: UnitOfWork,
    ticket: Ticket,
    actor: str,
    action: TicketAction,
    old: TicketState | None,
    new: TicketState | None,
    note: str | None = None,
    *,
    refresh: bool = True,
    extra: dict[str, object] | None = None,
) -> TicketLogEntry:
    """Log one thing done to a ticket, and tell the triage channel about it.

    Args:
        uow: the transaction.
        ticket: the ticket as it is after the change.
        actor: who did it.
        action: what was done.
        old: the state before (None when opened).
        new: the state after.
        note: the text that goes with it (a note, a reason, a message).
        refresh: also bring the triage message up to date.
        extra: JSON-safe values the thread line needs besides the entry.
    """
    entry = TicketLogEntry(uow.now_us, actor, action, old, new, note)
    uow.tickets.log(ticket.id, entry)
    announce(uow, ticket, entry, refresh=refresh, extra=extra)
    return entry


def announce(
    uow: UnitOfWork,
    ticket: Ticket,
    entry: TicketLogEntry | None,
    *,
    refresh: bool = True,
    extra: dict[str, object] | None = None,
) -> None:
    """Outbox items for the triage channel: refresh the message, write the entry's line.

    Nothing for a `quiet` ticket (opened approved in bulk by an incident).
    """
    if ticket.quiet:
        return
    if refresh:
        uow.outbox.add(OutboxKind.TRIAGE, TRIAGE_REFRESH, {}, ticket_id=ticket.id)
    if entry is None:
        return
    line: dict[str, object] = {
        "action": entry.action.value,
        "actor": entry.actor,
        "from": None if entry.from_state is None else entry.from_state.value,
        "to": None if entry.to_state is None else entry.to_state.value,
        "note": entry.note,
        "at_us": entry.at_us,
        **(extra or {}),
    }
    uow.outbox.add(OutboxKind.THREAD, THREAD_LINE, line, ticket_id=ticket.id)


def ask_rating(uow: UnitOfWork, ticket: Ticket) -> None:
    """Ask the user, once, how it went (the key makes a second ask add nothing)."""
    if ticket.quiet:
        return
    uow.outbox.add(
        OutboxKind.DM,
        RATING_REQUEST,
        {"ticket_id": ticket.id},
        user_id=ticket.user_id,
        ticket_id=ticket.id,
        key=f"rating:{ticket.id}",
    )


def decide_in(
    uow: UnitOfWork, ticket_id: int, action: TicketAction, actor: str, text: str | None
) -> Decided | Refused:
    """Do `action` to a ticket inside a unit of work: the one decision path.

    The ticket's row is locked first, so concurrent decisions on it serialize. Its
    triage message and thread hear of it in the same transaction (see `announce`); a
    `quiet` ticket's do not.
    """
    ticket = uow.tickets.load(ticket_id, lock=True)
    if ticket is None:
        return Refused(Problem.NO_TICKET, ticket_id)
    now = uow.now_us
    if action is TicketAction.NOTE:
        note = clean_text(text)
        if not note:
            return Refused(Problem.EMPTY_NOTE, ticket_id)
        uow.tickets.save(replace(ticket, updated_us=now))
        after = reload(uow, ticket_id)
        journal(uow, after, actor, action, ticket.state, ticket.state, note, refresh=False)
        return Decided(after, action)
    new_state = transition(ticket, action)
    if isinstance(new_state, Refused):
        return new_state
    changed = replace(ticket, state=new_state, updated_us=now)
    refund: Refunded | None = None
    if action is TicketAction.APPROVE:
        paid = uow.refund(
            ticket.generation_id or "",
            reference=f"#{ticket_id}",
            actor=actor,
            account_id=ticket.account_id,
        )
        if isinstance(paid, RefundRefusal):
            return Refused(Problem(paid.problem.value), ticket_id, ticket.state, action)
        refund = paid
        changed = replace(changed, refunded=paid.total)
    if action is TicketAction.CLAIM:
        changed = replace(changed, claimed_by=actor)
    if ticket.first_response_us is None:
        changed = replace(changed, first_response_us=now)
    if not new_state.is_open:
        reason = clean_text(text)
        changed = replace(changed, resolved_us=now, decided_by=actor, decision_reason=reason)
    if action in DECISIONS:
        # The user is told by a DM decided here, in the same transaction; until it goes
        # through (DMs closed), the decision waits for them in /tickets.
        changed = replace(changed, notice_pending=True)
        uow.outbox.add(
            OutboxKind.DM,
            DECISION_NOTICE,
            {"ticket_id": ticket_id},
            user_id=ticket.user_id,
            ticket_id=ticket_id,
            key=f"decision:{ticket_id}",
        )
    uow.tickets.save(changed)
    after = reload(uow, ticket_id)
    paid = {"refunded": refund.total} if refund is not None else None
    journal(uow, after, actor, action, ticket.state, new_state, clean_text(text), extra=paid)
    if not new_state.is_open:
        ask_rating(uow, after)
    return Decided(after, action, refund)
