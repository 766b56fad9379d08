"""The ticket desk: opening tickets, triage, decisions. One call, one transaction.

A refund is paid inside the same transaction that approves its ticket, so the two
commit together or not at all, and a ticket is locked while it is decided: two
moderators pressing Approve at once (even from two processes) pay one refund.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from diagnostics.tickets import (
    DECISIONS,
    Problem,
    Refused,
    TicketPolicy,
    refund_ticket_problem,
    transition,
)
from ledger import (
    DAY_US,
    Conflict,
    LedgerService,
    OutboxKind,
    Refunded,
    RefundRefusal,
    Ticket,
    TicketAction,
    TicketCategory,
    TicketKind,
    TicketLogEntry,
    TicketState,
    UnitOfWork,
)

log = logging.getLogger(__name__)

__all__ = ["DECISION_NOTICE", "SYSTEM", "Decided", "Opened", "Stats", "TicketDesk"]

SYSTEM = "system"
DECISION_NOTICE = "decision"
"""Outbox topic: tell a user their refund ticket was approved or denied."""
MAX_TEXT = 1_000
MAX_PAGE = 100


@dataclass(frozen=True)
class Opened:
    """A new ticket; `auto` is set when the policy approved and refunded it at once."""

    ticket: Ticket
    auto: Refunded | None = None


@dataclass(frozen=True)
class Decided:
    """A ticket after an action; `refund` is set when an approval paid one."""

    ticket: Ticket
    action: TicketAction
    refund: Refunded | None = None


@dataclass(frozen=True)
class Stats:
    """Ticket figures over a window of days."""

    days: int
    by_category: dict[TicketCategory, int]
    by_state: dict[TicketState, int]
    refunded_tokens: int
    median_first_response_us: int | None
    median_resolution_us: int | None


def _new_ticket(
    kind: TicketKind,
    category: TicketCategory,
    user_id: str,
    account_id: str | None,
    now: int,
    details: str | None,
    answers: Sequence[tuple[str, str]],
    generation_id: str | None = None,
    tokens: int = 0,
) -> Ticket:
    return Ticket(
        id=0,
        kind=kind,
        category=category,
        state=TicketState.OPEN,
        user_id=user_id,
        account_id=account_id,
        generation_id=generation_id,
        tokens=tokens,
        details=_text(details),
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
    )


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

        def work(uow: UnitOfWork) -> Opened | Refused:
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
            new = _new_ticket(
                TicketKind.REFUND,
                TicketCategory.REFUND,
                user_id,
                account_id,
                uow.now_us,
                details,
                answers,
                generation_id,
                gen.deducted,
            )
            ticket_id = tickets.insert(new)
            _log(uow, ticket_id, f"user:{user_id}", TicketAction.OPEN, None, TicketState.OPEN)
            auto = None
            if 0 < gen.deducted <= policy.auto_approve_up_to:
                decided = decide_in(
                    uow, ticket_id, TicketAction.APPROVE, SYSTEM, "auto-approved by policy"
                )
                auto = decided.refund if isinstance(decided, Decided) else None
            return Opened(_reload(uow, ticket_id), auto)

        try:
            return await self.ledger.write(work)
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

        def work(uow: UnitOfWork) -> Opened | Refused:
            if uow.tickets.count_open_for_user(user_id) >= policy.max_open_per_user:
                return Refused(Problem.TOO_MANY_OPEN)
            account = uow.account_for_user(user_id)
            new = _new_ticket(
                TicketKind.COMPLAINT,
                chosen,
                user_id,
                account.account_id if account else None,
                uow.now_us,
                details,
                answers,
            )
            ticket_id = uow.tickets.insert(new)
            _log(uow, ticket_id, f"user:{user_id}", TicketAction.OPEN, None, TicketState.OPEN)
            return Opened(_reload(uow, ticket_id))

        return await self.ledger.write(work)

    # --- triage and decisions -----------------------------------------------------------

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

    # --- reading ------------------------------------------------------------------------

    async def get(self, ticket_id: int) -> Ticket | None:
        """One ticket, or None."""
        return await self.ledger.read(lambda uow: uow.tickets.load(ticket_id))

    async def log(self, ticket_id: int) -> list[TicketLogEntry]:
        """The ticket's history, in order."""
        return await self.ledger.read(lambda uow: uow.tickets.history(ticket_id))

    async def of_user(self, user_id: str, limit: int = 10, offset: int = 0) -> list[Ticket]:
        """A user's own tickets, newest first."""
        limit = max(1, min(limit, MAX_PAGE))
        return await self.ledger.read(lambda uow: uow.tickets.of_user(user_id, limit, offset))

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
        """Tickets waiting for support (open and claimed by default), oldest first."""
        chosen_state = None if state is None else TicketState(state)
        chosen_category = None if category is None else TicketCategory(category)
        limit = max(1, min(limit, MAX_PAGE))
        return await self.ledger.read(
            lambda uow: uow.tickets.queue(chosen_state, chosen_category, limit, offset)
        )

    async def stats(self, days: int) -> Stats:
        """Counts by category and state, refunded tokens and median times, over `days`."""
        since = self.ledger.now_us() - days * DAY_US
        tickets = await self.ledger.read(lambda uow: uow.tickets.since(since))
        by_category: dict[TicketCategory, int] = {}
        by_state: dict[TicketState, int] = {}
        for t in tickets:
            by_category[t.category] = by_category.get(t.category, 0) + 1
            by_state[t.state] = by_state.get(t.state, 0) + 1
        first = [t.first_response_us - t.created_us for t in tickets if t.first_response_us]
        done = [t.resolved_us - t.created_us for t in tickets if t.resolved_us]
        return Stats(
            days=days,
            by_category=by_category,
            by_state=by_state,
            refunded_tokens=sum(t.refunded for t in tickets),
            median_first_response_us=int(statistics.median(first)) if first else None,
            median_resolution_us=int(statistics.median(done)) if done else None,
        )

    async def export(self, since_us: int | None = None) -> list[tuple[Ticket, list]]:
        """Every ticket (created since `since_us`) with its history, oldest first."""
        since = -(1 << 62) if since_us is None else since_us

        def work(uow: UnitOfWork) -> list[tuple[Ticket, list]]:
            tickets = uow.tickets.since(since)
            logs = uow.tickets.histories_since(since)
            return [(t, logs.get(t.id, [])) for t in tickets]

        return await self.ledger.read(work)


def _text(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text[:MAX_TEXT] or None


def _log(
    uow: UnitOfWork,
    ticket_id: int,
    actor: str,
    action: TicketAction,
    old: TicketState | None,
    new: TicketState | None,
    note: str | None = None,
) -> None:
    uow.tickets.log(ticket_id, TicketLogEntry(uow.now_us, actor, action, old, new, note))


def decide_in(
    uow: UnitOfWork, ticket_id: int, action: TicketAction, actor: str, text: str | None
) -> Decided | Refused:
    """Do `action` to a ticket inside a unit of work: the one decision path.

    The ticket's row is locked first, so concurrent decisions on it serialize.
    """
    ticket = uow.tickets.load(ticket_id, lock=True)
    if ticket is None:
        return Refused(Problem.NO_TICKET, ticket_id)
    now = uow.now_us
    if action is TicketAction.NOTE:
        note = _text(text)
        if not note:
            return Refused(Problem.EMPTY_NOTE, ticket_id)
        _log(uow, ticket_id, actor, action, ticket.state, ticket.state, note)
        uow.tickets.save(replace(ticket, updated_us=now))
        return Decided(_reload(uow, ticket_id), action)
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
        changed = replace(changed, resolved_us=now, decided_by=actor, decision_reason=_text(text))
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
    _log(uow, ticket_id, actor, action, ticket.state, new_state, _text(text))
    return Decided(_reload(uow, ticket_id), action, refund)


def _reload(uow: UnitOfWork, ticket_id: int) -> Ticket:
    ticket = uow.tickets.load(ticket_id)
    assert ticket is not None
    return ticket
