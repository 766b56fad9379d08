"""The ticket desk: opening tickets, triage, decisions. One call, one transaction.

A refund is paid inside the same transaction that approves its ticket, so the two
commit together or not at all, and a ticket is locked while it is decided: two
moderators pressing Approve at once (even from two processes) pay one refund.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from diagnostics import ticket_store as store
from diagnostics.tickets import (
    CATEGORIES,
    TERMINAL,
    Refused,
    Ticket,
    TicketPolicy,
    refund_problem,
    transition,
)
from ledger.operations import Refunded, RefundRefusal, refund_op
from ledger.service import LedgerService, is_integrity_error
from ledger.store import records
from ledger.store.database import Database, Tx

log = logging.getLogger(__name__)

__all__ = ["Decided", "Opened", "Stats", "TicketDesk"]

SYSTEM = "system"
MAX_TEXT = 1_000


@dataclass(frozen=True)
class Opened:
    """A new ticket; `auto` is set when the policy approved and refunded it at once."""

    ticket: Ticket
    auto: Refunded | None = None


@dataclass(frozen=True)
class Decided:
    """A ticket after an action; `refund` is set when an approval paid one."""

    ticket: Ticket
    action: str
    refund: Refunded | None = None


@dataclass(frozen=True)
class Stats:
    """Ticket figures over a window of days."""

    days: int
    by_category: dict[str, int]
    by_state: dict[str, int]
    refunded_tokens: int
    median_first_response_us: int | None
    median_resolution_us: int | None


def _open_for_user(tx: Tx, user_id: str) -> int:
    row = tx.one_sql(
        "SELECT COUNT(*) FROM tickets WHERE user_id = :u AND state IN ('open', 'claimed')",
        {"u": user_id},
    )
    return int(row[0]) if row else 0


def _open_ticket_for(tx: Tx, generation_id: str) -> int | None:
    row = tx.one_sql(
        "SELECT id FROM tickets WHERE generation_id = :g AND state IN ('open', 'claimed')",
        {"g": generation_id},
    )
    return None if row is None else int(row[0])


class TicketDesk:
    """Tickets over the ledger's database and clock."""

    def __init__(self, ledger: LedgerService, policy: TicketPolicy | None = None) -> None:
        self.ledger = ledger
        self.policy = policy or TicketPolicy()

    @property
    def db(self) -> Database:
        """The ledger's database: tickets live beside the journal, in the same transactions."""
        return self.ledger.db

    # --- opening ------------------------------------------------------------------------

    async def open_refund(
        self,
        user_id: str,
        generation_id: str,
        details: str | None = None,
        answers: Sequence[tuple[str, str]] = (),
    ) -> Opened | Refused:
        """Open a refund ticket for a failed, charged generation of the user's own account."""
        now, policy, ledger = self.ledger.now_us(), self.policy, self.ledger

        def op(tx: Tx) -> Opened | Refused:
            account = records.account_for_user(tx, user_id)
            account_id = account.account_id if account else None
            if account_id is not None and _open_for_user(tx, user_id) >= policy.max_open_per_user:
                return Refused("too_many_open")
            gen = records.generation(tx, generation_id)
            theirs = gen is not None and gen.account_id == account_id
            open_id = _open_ticket_for(tx, generation_id) if theirs else None
            problem = refund_problem(gen, account_id, open_id, now, policy)
            if problem is not None or gen is None:
                return problem or Refused("unknown")
            ticket_id = store.insert(
                tx,
                {
                    "kind": "refund",
                    "category": "refund",
                    "state": "open",
                    "user_id": user_id,
                    "account_id": account_id,
                    "generation_id": generation_id,
                    "tokens": gen.deducted,
                    "details": _text(details),
                    "answers": [list(pair) for pair in answers],
                    "created_us": now,
                    "updated_us": now,
                },
            )
            store.log_action(tx, ticket_id, now, f"user:{user_id}", "open", None, "open")
            auto = None
            if 0 < gen.deducted <= policy.auto_approve_up_to:
                decided = _decide(
                    tx, ticket_id, "approve", SYSTEM, "auto-approved by policy", now, ledger
                )
                auto = decided.refund if isinstance(decided, Decided) else None
            ticket = store.load(tx, ticket_id)
            assert ticket is not None
            return Opened(ticket, auto)

        try:
            return await self.db.write(op)
        except Exception as exc:
            if not is_integrity_error(exc):
                raise
            return Refused("ticket_open")

    async def open_complaint(
        self,
        user_id: str,
        category: str,
        details: str | None = None,
        answers: Sequence[tuple[str, str]] = (),
    ) -> Opened | Refused:
        """Open a general ticket (missing tokens, not refreshing, billing, other)."""
        if category not in CATEGORIES:
            return Refused("unknown_category")
        now, policy = self.ledger.now_us(), self.policy

        def op(tx: Tx) -> Opened | Refused:
            if _open_for_user(tx, user_id) >= policy.max_open_per_user:
                return Refused("too_many_open")
            account = records.account_for_user(tx, user_id)
            ticket_id = store.insert(
                tx,
                {
                    "kind": "complaint",
                    "category": category,
                    "state": "open",
                    "user_id": user_id,
                    "account_id": account.account_id if account else None,
                    "details": _text(details),
                    "answers": [list(pair) for pair in answers],
                    "created_us": now,
                    "updated_us": now,
                },
            )
            store.log_action(tx, ticket_id, now, f"user:{user_id}", "open", None, "open")
            ticket = store.load(tx, ticket_id)
            assert ticket is not None
            return Opened(ticket)

        return await self.db.write(op)

    # --- triage and decisions -----------------------------------------------------------

    async def act(
        self, ticket_id: int, action: str, actor: str, text: str | None = None
    ) -> Decided | Refused:
        """Claim, note, close, approve or deny a ticket, journalled with actor and time.

        Approving refunds the generation in the same transaction.
        """
        now, ledger = self.ledger.now_us(), self.ledger
        return await self.db.write(
            lambda tx: _decide(tx, ticket_id, action, actor, text, now, ledger)
        )

    async def mark_told(self, ticket_id: int) -> None:
        """The user has been told of the decision (a DM went through)."""
        await self.db.write(lambda tx: store.save(tx, ticket_id, {"notice_pending": False}))

    async def take_notices(self, user_id: str) -> list[Ticket]:
        """Decided tickets the user has not been told about yet; they count as told now."""

        def op(tx: Tx) -> list[Ticket]:
            found = store.select(
                tx, "user_id = :u AND notice_pending = :yes", {"u": user_id, "yes": True}
            )
            for ticket in found:
                store.save(tx, ticket.id, {"notice_pending": False})
            return found

        return await self.db.write(op)

    # --- reading ------------------------------------------------------------------------

    async def get(self, ticket_id: int) -> Ticket | None:
        return await self.db.read(lambda tx: store.load(tx, ticket_id))

    async def log(self, ticket_id: int) -> list[tuple[Any, ...]]:
        """The ticket's history: (at_us, actor, action, from_state, to_state, note)."""
        return await self.db.read(lambda tx: store.log_of(tx, [ticket_id])[ticket_id])

    async def of_user(self, user_id: str, limit: int = 10) -> list[Ticket]:
        """A user's own tickets, newest first."""
        return await self.db.read(
            lambda tx: store.select(tx, "user_id = :u", {"u": user_id}, "created_us DESC, id DESC")[
                :limit
            ]
        )

    async def open_refund_generations(self, user_id: str) -> set[str]:
        """Generation ids the user already has an open refund ticket for."""
        found = await self.db.read(
            lambda tx: store.select(
                tx,
                "user_id = :u AND state IN ('open', 'claimed') AND kind = 'refund'",
                {"u": user_id},
            )
        )
        return {t.generation_id for t in found if t.generation_id}

    async def queue(
        self, state: str | None = None, category: str | None = None, limit: int = 25
    ) -> list[Ticket]:
        """Tickets waiting for support (open and claimed by default), oldest first."""
        clauses, params = [], {}
        if state is None:
            clauses.append("state IN ('open', 'claimed')")
        else:
            clauses.append("state = :state")
            params["state"] = state
        if category is not None:
            clauses.append("category = :category")
            params["category"] = category
        where = " AND ".join(clauses)
        return await self.db.read(lambda tx: store.select(tx, where, params)[:limit])

    async def stats(self, days: int) -> Stats:
        """Counts by category and state, refunded tokens and median times, over `days`."""
        since = self.ledger.now_us() - days * 86_400_000_000
        tickets = await self.db.read(lambda tx: store.select(tx, "created_us >= :s", {"s": since}))
        by_category: dict[str, int] = {}
        by_state: dict[str, int] = {}
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

    async def export(self, since_us: int | None = None) -> list[tuple[Ticket, list[tuple]]]:
        """Every ticket (created since `since_us`) with its history, oldest first."""

        def op(tx: Tx) -> list[tuple[Ticket, list[tuple]]]:
            tickets = store.select(tx, "created_us >= :s", {"s": since_us or -(1 << 62)})
            logs = store.log_of(tx, [t.id for t in tickets])
            return [(t, logs[t.id]) for t in tickets]

        return await self.db.read(op)


def _text(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text[:MAX_TEXT] or None


def _decide(
    tx: Tx,
    ticket_id: int,
    action: str,
    actor: str,
    text: str | None,
    now: int,
    ledger: LedgerService,
) -> Decided | Refused:
    ticket = store.load(tx, ticket_id, lock=True)
    if ticket is None:
        return Refused("no_ticket", ticket_id)
    if action == "note":
        note = _text(text)
        if not note:
            return Refused("empty_note", ticket_id)
        store.log_action(tx, ticket_id, now, actor, "note", ticket.state, ticket.state, note)
        store.save(tx, ticket_id, {"updated_us": now})
        return Decided(_reload(tx, ticket_id), action)
    new_state = transition(ticket, action)
    if isinstance(new_state, Refused):
        return new_state
    changes: dict[str, Any] = {"state": new_state, "updated_us": now}
    refund: Refunded | None = None
    if action == "approve":
        paid = refund_op(
            tx,
            ticket.generation_id or "",
            f"#{ticket_id}",
            actor,
            now,
            ledger.catalogue,
            account_id=ticket.account_id,
        )
        if isinstance(paid, RefundRefusal):
            return Refused(paid.problem, ticket_id, ticket.state, action)
        refund = paid
        changes["refunded"] = paid.total
    if action == "claim":
        changes["claimed_by"] = actor
    if ticket.first_response_us is None:
        changes["first_response_us"] = now
    if new_state in TERMINAL:
        changes["resolved_us"] = now
        changes["decided_by"] = actor
        changes["decision_reason"] = _text(text)
    if action in ("approve", "deny"):
        changes["notice_pending"] = True
    store.save(tx, ticket_id, changes)
    store.log_action(tx, ticket_id, now, actor, action, ticket.state, new_state, _text(text))
    return Decided(_reload(tx, ticket_id), action, refund)


def _reload(tx: Tx, ticket_id: int) -> Ticket:
    ticket = store.load(tx, ticket_id)
    assert ticket is not None
    return ticket
