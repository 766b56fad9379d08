"""Opening tickets inside a unit of work: a refund, or a complaint.

Opening a ticket also decides, in the same transaction, its triage message (with its
thread) and the thread's first line; a `quiet` ticket (opened approved in bulk by an
incident) gets neither, so thousands of them do not flood the triage channel.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from diagnostics.decisions import Decided, clean_text, decide_in, journal, reload
from diagnostics.desk_topics import SYSTEM
from diagnostics.tickets import Problem, Refused, TicketPolicy, refund_ticket_problem
from ledger import (
    Refunded,
    Ticket,
    TicketAction,
    TicketCategory,
    TicketKind,
    TicketState,
    UnitOfWork,
)

log = logging.getLogger(__name__)

__all__ = ["Opened", "new_ticket", "open_complaint_in", "open_refund_in"]


@dataclass(frozen=True)
class Opened:
    """A new ticket; `auto` is set when the policy approved and refunded it at once."""

    ticket: Ticket
    auto: Refunded | None = None


def new_ticket(
    kind: TicketKind,
    category: TicketCategory,
    user_id: str,
    account_id: str | None,
    now: int,
    details: str | None,
    answers: Sequence[tuple[str, str]],
    generation_id: str | None = None,
    tokens: int = 0,
    *,
    quiet: bool = False,
) -> Ticket:
    """A ticket to insert (its id is given by the database), open from `now`."""
    return Ticket(
        id=0,
        kind=kind,
        category=category,
        state=TicketState.OPEN,
        user_id=user_id,
        account_id=account_id,
        generation_id=generation_id,
        tokens=tokens,
        details=clean_text(details),
        answers=tuple((str(q), str(a)) for q, a in answers),
        created_us=now,
        updated_us=now,
        claimed_by=None,
        first_response_us=None,
        resolved_us=None,
        decided_by=None,
        decision_reason=None,
        refunded=0,
        notice_pending=False,
        quiet=quiet,
    )


def _opened(uow: UnitOfWork, ticket_id: int, user_id: str) -> Ticket:
    ticket = reload(uow, ticket_id)
    journal(uow, ticket, f"user:{user_id}", TicketAction.OPEN, None, TicketState.OPEN)
    return ticket


def open_refund_in(
    uow: UnitOfWork,
    policy: TicketPolicy,
    user_id: str,
    generation_id: str,
    details: str | None = None,
    answers: Sequence[tuple[str, str]] = (),
    *,
    quiet: bool = False,
) -> Opened | Refused:
    """Open a refund ticket for a failed, charged generation of the user's own account.

    With `quiet`, the ticket gets no triage message, thread lines or rating request.

    Raises:
        Conflict: another writer opened one for this generation at the same moment.
    """
    account = uow.account_for_user(user_id)
    account_id = account.account_id if account else None
    tickets = uow.tickets
    if account_id is not None and tickets.count_open_for_user(user_id) >= (
        policy.max_open_per_user
    ):
        return Refused(Problem.TOO_MANY_OPEN)
    gen = uow.generation(generation_id)
    open_id = tickets.open_for_generation(generation_id) if gen else None
    problem = refund_ticket_problem(gen, account_id, open_id, uow.now_us, policy)
    if problem is not None:
        return problem
    assert gen is not None
    new = new_ticket(
        TicketKind.REFUND,
        TicketCategory.REFUND,
        user_id,
        account_id,
        uow.now_us,
        details,
        answers,
        generation_id,
        gen.deducted,
        quiet=quiet,
    )
    ticket_id = tickets.insert(new)
    _opened(uow, ticket_id, user_id)
    auto = None
    if 0 < gen.deducted <= policy.auto_approve_up_to:
        decided = decide_in(uow, ticket_id, TicketAction.APPROVE, SYSTEM, "auto-approved by policy")
        auto = decided.refund if isinstance(decided, Decided) else None
    return Opened(reload(uow, ticket_id), auto)


def open_complaint_in(
    uow: UnitOfWork,
    policy: TicketPolicy,
    user_id: str,
    category: TicketCategory,
    details: str | None = None,
    answers: Sequence[tuple[str, str]] = (),
) -> Opened | Refused:
    """Open a general ticket (missing tokens, not refreshing, billing, other)."""
    if uow.tickets.count_open_for_user(user_id) >= policy.max_open_per_user:
        return Refused(Problem.TOO_MANY_OPEN)
    account = uow.account_for_user(user_id)
    new = new_ticket(
        TicketKind.COMPLAINT,
        category,
        user_id,
        account.account_id if account else None,
        uow.now_us,
        details,
        answers,
    )
    ticket_id = uow.tickets.insert(new)
    return Opened(_opened(uow, ticket_id, user_id))
