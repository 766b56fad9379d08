"""Talking with the user about a ticket: the support team's replies, the user's answers,
and the user's rating once it ended. Each runs inside a unit of work.

A reply is stored (`ticket_replies`) and sent by DM through the outbox; until the user
has it (DMs closed), it waits for them in `/tickets`. Who wrote last decides whether a
ticket waits on the user (and may be closed for want of an answer).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from diagnostics.decisions import clean_text, journal, reload
from diagnostics.desk_topics import REPLY_NOTICE
from diagnostics.tickets import Problem, Refused
from ledger import RATINGS, OutboxKind, Ticket, TicketAction, TicketSide, UnitOfWork

log = logging.getLogger(__name__)

__all__ = ["Answered", "Rated", "Replied", "answer_in", "rate_in", "reply_in"]


@dataclass(frozen=True)
class Replied:
    """The support team's message is stored and on its way to the user."""

    ticket: Ticket
    reply_id: int
    text: str


@dataclass(frozen=True)
class Answered:
    """The user's answer is in the ticket's history and on its way to the thread."""

    ticket: Ticket
    text: str


@dataclass(frozen=True)
class Rated:
    """The ticket's rating; `first` is False when it had been rated before (unchanged)."""

    ticket: Ticket
    rating: int
    first: bool


def _open_ticket(uow: UnitOfWork, ticket_id: int, user_id: str | None) -> Ticket | Refused:
    ticket = uow.tickets.load(ticket_id, lock=True)
    if ticket is None or (user_id is not None and ticket.user_id != user_id):
        return Refused(Problem.NO_TICKET, ticket_id)  # someone else's: as if unknown
    if not ticket.open:
        return Refused(Problem.ENDED, ticket_id, ticket.state)
    return ticket


def reply_in(uow: UnitOfWork, ticket_id: int, actor: str, text: str) -> Replied | Refused:
    """The support team writes to the ticket's user (a DM from "the support team").

    It counts as a staff response (for the SLA), and the ticket now waits on the user.
    """
    message = clean_text(text)
    if not message:
        return Refused(Problem.EMPTY_MESSAGE, ticket_id)
    ticket = _open_ticket(uow, ticket_id, None)
    if isinstance(ticket, Refused):
        return ticket
    now = uow.now_us
    reply_id = uow.tickets.add_reply(ticket_id, ticket.user_id, now, actor, message)
    uow.tickets.save(
        replace(
            ticket,
            updated_us=now,
            first_response_us=ticket.first_response_us or now,
            last_reply_by=TicketSide.STAFF,
            last_reply_us=now,
            warned_us=None,  # a new wait for the user's answer begins
        )
    )
    after = reload(uow, ticket_id)
    journal(uow, after, actor, TicketAction.REPLY, ticket.state, ticket.state, message)
    uow.outbox.add(
        OutboxKind.DM,
        REPLY_NOTICE,
        {"ticket_id": ticket_id, "reply_id": reply_id},
        user_id=ticket.user_id,
        ticket_id=ticket_id,
        key=f"reply:{reply_id}",
    )
    return Replied(after, reply_id, message)


def answer_in(uow: UnitOfWork, ticket_id: int, user_id: str, text: str) -> Answered | Refused:
    """The user answers the support team on their own open ticket."""
    message = clean_text(text)
    if not message:
        return Refused(Problem.EMPTY_MESSAGE, ticket_id)
    ticket = _open_ticket(uow, ticket_id, user_id)
    if isinstance(ticket, Refused):
        return ticket
    now = uow.now_us
    uow.tickets.save(
        replace(
            ticket,
            updated_us=now,
            last_reply_by=TicketSide.USER,
            last_reply_us=now,
            warned_us=None,
        )
    )
    after = reload(uow, ticket_id)
    actor = f"user:{user_id}"
    journal(uow, after, actor, TicketAction.ANSWER, ticket.state, ticket.state, message)
    return Answered(after, message)


def rate_in(uow: UnitOfWork, ticket_id: int, user_id: str, rating: int) -> Rated | Refused:
    """The user rates their decided or closed ticket, once; a second rating changes nothing."""
    if rating not in RATINGS:
        return Refused(Problem.BAD_RATING, ticket_id)
    ticket = uow.tickets.load(ticket_id, lock=True)
    if ticket is None or ticket.user_id != user_id:
        return Refused(Problem.NO_TICKET, ticket_id)
    if ticket.open:
        return Refused(Problem.NOT_ENDED, ticket_id, ticket.state)
    if ticket.rating is not None:  # the row is locked: this is the rating that stands
        return Rated(ticket, ticket.rating, first=False)
    uow.tickets.rate(ticket_id, rating, uow.now_us)
    after = reload(uow, ticket_id)
    actor = f"user:{user_id}"
    extra = {"rating": rating}
    journal(uow, after, actor, TicketAction.RATE, ticket.state, ticket.state, extra=extra)
    return Rated(after, rating, first=True)
