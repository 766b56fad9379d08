"""Incident refunds through the desk: every failure of a window, each on a ticket of its own.

`/incident refund`, `tokendesk incident refund` and an alert's `Refund all` all call
`refund_incident`. It walks the window's failures (`ledger.incidents`) a batch at a
time, one transaction per batch:

1. the batch's open refund tickets are locked (in id order), then its accounts (in
   account id order), as a moderator's approval locks its ticket, then its account;
   tickets opened while the accounts were being locked are then read and locked too
   (skipping any another writer holds, so the reversed order never waits);
2. a generation that has an open refund ticket has *that* ticket approved, through the
   one decision path (`decide_in`: its triage message, thread and user hear of it);
3. every other generation gets a ticket of its own, opened already approved and `quiet`
   (no triage message, thread or rating request), and the refunds are paid set by set;
   each user is told by the decision DM, keyed by the ticket, as any decision is.

Generations read again after the locks are refunded only if they still can be, so a
second run, or a moderator approving one of the same tickets meanwhile, refunds
nothing twice. A batch that loses a race for a refund anyway (the refunds key) is
rolled back and done again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from diagnostics.decisions import Decided, clean_text, decide_in
from diagnostics.desk_topics import DECISION_NOTICE
from diagnostics.opening import new_ticket
from ledger import (
    INCIDENT_BATCH,
    Conflict,
    Generation,
    IncidentWindow,
    LedgerService,
    OutboxKind,
    Refunded,
    Ticket,
    TicketAction,
    TicketCategory,
    TicketKind,
    TicketLogEntry,
    TicketState,
    UnitOfWork,
)

log = logging.getLogger(__name__)

__all__ = ["OPERATOR", "IncidentRefunds", "refund_incident", "refund_incident_batch_in"]

OPERATOR = "operator"
"""The actor of an incident refund run from the command line."""
RETRIES = 5


@dataclass
class IncidentRefunds:
    """What an incident refunded: generations, their accounts, tokens and API credits.

    Attributes:
        generations: refunds paid.
        accounts: the accounts they went to.
        tokens: tokens returned (web generations).
        api_credits: API credits returned (API generations).
        tickets: the ticket of each refund, by generation id.
    """

    generations: int = 0
    accounts: set[str] = field(default_factory=set)
    tokens: int = 0
    api_credits: int = 0
    tickets: dict[str, int] = field(default_factory=dict)

    def add(self, paid: Refunded, ticket_id: int) -> None:
        """Count one refund paid on a ticket."""
        self.generations += 1
        self.accounts.add(paid.account_id)
        self.api_credits += paid.amounts.get("api", 0)
        self.tokens += paid.total - paid.amounts.get("api", 0)
        self.tickets[paid.generation_id] = ticket_id

    @property
    def total(self) -> int:
        """Tokens and API credits returned together (the refunded-tokens metric)."""
        return self.tokens + self.api_credits


@dataclass(frozen=True)
class _Batch:
    paid: list[tuple[Refunded, int]]
    last: tuple[int, str] | None
    """(reported instant, id) of the last failure looked at; None when there are no more."""


def _decided_ticket(
    gen: Generation, user_id: str | None, actor: str, reason: str | None, now: int
) -> Ticket:
    opened = new_ticket(
        TicketKind.REFUND,
        TicketCategory.REFUND,
        user_id or "",
        gen.account_id,
        now,
        None,
        (),
        gen.generation_id,
        gen.deducted,
        quiet=True,
    )
    return replace(
        opened,
        state=TicketState.APPROVED,
        first_response_us=now,
        resolved_us=now,
        decided_by=actor,
        decision_reason=reason,
        refunded=gen.deducted,
        notice_pending=user_id is not None,
    )


def refund_incident_batch_in(
    uow: UnitOfWork,
    window: IncidentWindow,
    actor: str,
    reason: str | None,
    after: tuple[int, str] | None,
    limit: int = INCIDENT_BATCH,
) -> _Batch:
    """Refund the next `limit` failures of the window after `after`, in this transaction.

    Raises:
        Conflict: another writer refunded one of them first; roll back and do it again.
    """
    found = uow.incidents.candidates(window, after, limit)
    if not found:
        return _Batch([], None)
    last = (found[-1].finished_us or 0, found[-1].generation_id)
    gids = [g.generation_id for g in found]
    open_tickets = uow.incidents.lock_open_tickets(gids)
    accounts = uow.incidents.lock_accounts({g.account_id for g in found})
    # A user may have opened a ticket for one of them while this waited for an account:
    # approve that ticket instead of opening a second.
    open_tickets |= uow.incidents.lock_late_tickets([g for g in gids if g not in open_tickets])
    paid: list[tuple[Refunded, int]] = []
    for _gid, ticket_id in sorted(open_tickets.items(), key=lambda pair: pair[1]):
        decided = decide_in(uow, ticket_id, TicketAction.APPROVE, actor, reason)
        if isinstance(decided, Decided) and decided.refund is not None:
            paid.append((decided.refund, ticket_id))
    now = uow.now_us
    current = uow.incidents.generations([gid for gid in gids if gid not in open_tickets])
    due = [g for g in current.values() if not g.refunded]
    due.sort(key=lambda g: (g.finished_us or 0, g.generation_id))
    users = {
        g.generation_id: accounts[g.account_id].discord_user_id
        for g in due
        if g.account_id in accounts
    }
    due = [g for g in due if g.generation_id in users]
    tickets = [_decided_ticket(g, users[g.generation_id], actor, reason, now) for g in due]
    ids = uow.tickets.insert_decided(tickets)
    by_gen = {g.generation_id: ticket_id for g, ticket_id in zip(due, ids, strict=True)}
    refunds = uow.incidents.refund_many([(g, f"#{by_gen[g.generation_id]}") for g in due], actor)
    if len(refunds) != len(due):  # the rules refused one the store found refundable
        raise Conflict("a failure of the incident could not be refunded; trying again")
    entries: list[tuple[int, TicketLogEntry]] = []
    notices = []
    for gen, ticket_id in zip(due, ids, strict=True):
        entries.append(
            (ticket_id, TicketLogEntry(now, actor, TicketAction.OPEN, None, TicketState.OPEN, None))
        )
        approve = TicketLogEntry(
            now, actor, TicketAction.APPROVE, TicketState.OPEN, TicketState.APPROVED, reason
        )
        entries.append((ticket_id, approve))
        user = users[gen.generation_id]
        if user is not None:
            key = f"decision:{ticket_id}"
            notices.append(({"ticket_id": ticket_id}, user, ticket_id, key))
    uow.tickets.log_many(entries)
    uow.outbox.add_many(OutboxKind.DM, DECISION_NOTICE, notices)
    paid += list(zip(refunds, ids, strict=True))
    return _Batch(paid, last)


async def refund_incident(
    ledger: LedgerService,
    window: IncidentWindow,
    actor: str,
    reason: str | None = None,
    *,
    batch: int = INCIDENT_BATCH,
) -> IncidentRefunds:
    """Refund every failure of the window not refunded yet, each through its own ticket.

    One transaction per `batch` failures; what one batch paid stays paid if a later one
    fails (running the incident again then finishes it, refunding nothing twice).

    Raises:
        DatabaseUnavailable: the database cannot be reached.
    """
    text = clean_text(reason)
    out = IncidentRefunds()
    after: tuple[int, str] | None = None
    while True:
        for attempt in range(RETRIES):
            try:
                done = await ledger.write(
                    lambda uow, a=after: refund_incident_batch_in(
                        uow, window, actor, text, a, batch
                    )
                )
                break
            except Conflict as exc:
                if attempt == RETRIES - 1:
                    raise
                log.info("an incident batch lost a race (%s): doing it again", exc)
        for paid, ticket_id in done.paid:
            out.add(paid, ticket_id)
        if done.last is None:
            return out
        after = done.last
