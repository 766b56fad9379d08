"""Ticket rules: the lifecycle as a transition table, the desk's policy, and refusals.

Pure rules: nothing here reads the clock or the database. The names of states,
actions and categories are the ledger's (`ledger.TicketState` and friends).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ledger import (
    Generation,
    RefundProblem,
    Ticket,
    TicketAction,
    TicketKind,
    TicketState,
    refund_problem,
)

__all__ = [
    "DECISIONS",
    "TRANSITIONS",
    "Problem",
    "Refused",
    "TicketPolicy",
    "refund_ticket_problem",
    "transition",
]

DAY_US = 86_400_000_000

TRANSITIONS: dict[tuple[TicketState, TicketAction], TicketState] = {
    (TicketState.OPEN, TicketAction.CLAIM): TicketState.CLAIMED,
    (TicketState.OPEN, TicketAction.APPROVE): TicketState.APPROVED,
    (TicketState.CLAIMED, TicketAction.APPROVE): TicketState.APPROVED,
    (TicketState.OPEN, TicketAction.DENY): TicketState.DENIED,
    (TicketState.CLAIMED, TicketAction.DENY): TicketState.DENIED,
    (TicketState.OPEN, TicketAction.CLOSE): TicketState.CLOSED,
    (TicketState.CLAIMED, TicketAction.CLOSE): TicketState.CLOSED,
}
"""(state, action) -> new state. Anything else is refused; notes change no state."""

DECISIONS = frozenset({TicketAction.APPROVE, TicketAction.DENY})


class Problem(StrEnum):
    """Why something about a ticket was not done; the bot words each for people."""

    NOT_LINKED = "not_linked"
    UNKNOWN = RefundProblem.UNKNOWN.value
    NOT_FAILED = RefundProblem.NOT_FAILED.value
    NOTHING_DEDUCTED = RefundProblem.NOTHING_DEDUCTED.value
    ALREADY_REFUNDED = RefundProblem.ALREADY_REFUNDED.value
    TOO_OLD = RefundProblem.TOO_OLD.value
    TICKET_OPEN = "ticket_open"
    TOO_MANY_OPEN = "too_many_open"
    NO_TICKET = "no_ticket"
    ILLEGAL = "illegal"
    NOT_REFUND = "not_refund"
    EMPTY_NOTE = "empty_note"
    UNKNOWN_CATEGORY = "unknown_category"
    EMPTY_MESSAGE = "empty_message"
    ENDED = "ended"
    """The ticket is decided or closed: nobody writes on it any more."""
    NOT_ENDED = "not_ended"
    """Only a decided or closed ticket can be rated."""
    BAD_RATING = "bad_rating"


@dataclass(frozen=True)
class TicketPolicy:
    """Operator settings for tickets.

    Attributes:
        refund_max_age_days: a refund may be asked for this long after the charge.
        max_open_per_user: open tickets one user may have at once.
        auto_approve_up_to: refund tickets for at most this many tokens are approved at
            once by the system (0: off, the default).
        sla_hours: a ticket waiting longer than this for a first staff response is overdue.
        auto_close_days: a ticket waiting on the user this long without an answer closes.
    """

    refund_max_age_days: int = 30
    max_open_per_user: int = 3
    auto_approve_up_to: int = 0
    sla_hours: int = 24
    auto_close_days: int = 7

    @property
    def sla_us(self) -> int:
        """`sla_hours` in microseconds."""
        return self.sla_hours * 3_600_000_000


@dataclass(frozen=True)
class Refused:
    """Why an action on tickets was not done.

    Attributes:
        problem: what stood in the way.
        ticket_id: the ticket concerned, when there is one.
        state: the ticket's (or generation's) state, for `illegal` and `not_failed`.
        action: the action refused, for `illegal` and `not_refund`.
    """

    problem: Problem
    ticket_id: int | None = None
    state: str | None = None
    action: TicketAction | None = None


def transition(ticket: Ticket, action: TicketAction) -> TicketState | Refused:
    """The state `action` leads to from the ticket's state, or why it cannot."""
    if action in DECISIONS and ticket.kind is not TicketKind.REFUND:
        return Refused(Problem.NOT_REFUND, ticket.id, ticket.state, action)
    new = TRANSITIONS.get((ticket.state, action))
    if new is None:
        return Refused(Problem.ILLEGAL, ticket.id, ticket.state, action)
    return new


def refund_ticket_problem(
    generation: Generation | None,
    account_id: str | None,
    open_ticket: int | None,
    now_us: int,
    policy: TicketPolicy,
) -> Refused | None:
    """Why a refund ticket for `generation` cannot be opened by the owner of `account_id`.

    Checks, in the order a person would want to hear them: linked, then the ledger's own
    refund eligibility (which answers a generation on another account exactly as an
    unknown id), then no open ticket for it yet, then not too old.
    """
    if account_id is None:
        return Refused(Problem.NOT_LINKED)
    problem = refund_problem(generation, account_id)
    if problem is not None:
        state = generation.status if problem is RefundProblem.NOT_FAILED and generation else None
        return Refused(Problem(problem.value), state=state)
    if open_ticket is not None:
        return Refused(Problem.TICKET_OPEN, open_ticket)
    max_age = policy.refund_max_age_days * DAY_US
    if refund_problem(generation, account_id, now_us=now_us, max_age_us=max_age):
        return Refused(Problem.TOO_OLD)
    return None
