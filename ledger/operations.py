"""Units of work: synchronous functions over a `Tx`, each one ledger operation.

The service runs each in a transaction (`await db.write(op)`); other packages, such
as ticket decisions, can run one inside their own unit of work so that their change
and the ledger's commit or roll back together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ledger.apply import Decision, Rejection, decide
from ledger.events import Event
from ledger.plans import Catalogue
from ledger.resets import catch_up
from ledger.spending import adjust, refund
from ledger.state import AccountState, Entry, Generation
from ledger.store import records
from ledger.store.database import Tx

__all__ = [
    "AdjustResult",
    "EventResult",
    "RefundRefusal",
    "Refunded",
    "adjust_op",
    "apply_event_op",
    "refund_op",
]


KNOWN = Generation("", "", "", 0, "", "", 0, 0, 0, 0, 0, 0)
"""Stands for "a generation with this id exists" where its details are not needed."""


class EventResult(NamedTuple):
    """How one event went: `applied`, `late`, `refused`, `skipped` or `rejected`."""

    id: str | None
    outcome: str
    reason: str | None = None
    account_id: str | None = None


def apply_event_op(
    tx: Tx, event: Event, now_us: int, catalogue: Catalogue, *, remember: bool = True
) -> EventResult:
    """Apply one validated event, idempotently by event id (when `remember`)."""
    if remember:
        seen = records.seen_event(tx, event.id)
        if seen is not None:
            if seen[0] == event.digest:
                return EventResult(event.id, "skipped", None, event.account_id)
            return EventResult(
                event.id, "rejected", "conflict: this id was seen with different content"
            )
    if event.type == "generation.charged":
        # A charge only needs to know whether the id exists: one query for both.
        state, known = records.account_and_known_generation(
            tx, event.account_id, event.generation_id or ""
        )
        gen = KNOWN if known else None
    else:
        state = records.find_account(tx, event.account_id, lock=True)
        gen = records.generation(tx, event.generation_id) if event.generation_id else None
    decision = decide(state, gen, event, now_us, catalogue)
    if isinstance(decision, Rejection):
        return EventResult(event.id, "rejected", decision.reason, event.account_id)
    _store(tx, state, decision, event, now_us)
    if remember:
        tx.run(
            "event_insert",
            {
                "event_id": event.id,
                "account_id": event.account_id,
                "digest": event.digest,
                "outcome": decision.outcome,
                "recorded_us": now_us,
            },
        )
    return EventResult(event.id, decision.outcome, decision.reason, event.account_id)


def _store(
    tx: Tx, before: AccountState | None, decision: Decision, event: Event, now_us: int
) -> None:
    state = decision.state
    if decision.new_account:
        records.insert_account(tx, state)
    else:
        records.save_account(tx, state, before)
    if decision.generation is not None:
        if decision.new_generation:
            records.insert_generation(tx, decision.generation, event.settings)
        else:
            records.finish_generation(tx, decision.generation)
    records.append(tx, state.account_id, decision.entries, now_us)


@dataclass(frozen=True, slots=True)
class Refunded:
    """A refund was paid: tokens (or API credits) returned per bucket."""

    generation_id: str
    account_id: str
    amounts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.amounts.values())


@dataclass(frozen=True, slots=True)
class RefundRefusal:
    """Why a refund is not paid.

    `problem` is one of: `unknown`, `not_yours`, `not_failed`, `nothing_deducted`,
    `already_refunded`.
    """

    generation_id: str
    problem: str


def refund_problem(gen: Generation | None, account_id: str | None) -> str | None:
    """Why `gen` cannot be refunded (to `account_id`, when given), or None if it can."""
    if gen is None:
        return "unknown"
    if account_id is not None and gen.account_id != account_id:
        return "not_yours"
    if gen.status != "failed":
        return "not_failed"
    if gen.deducted == 0:
        return "nothing_deducted"
    if gen.refunded:
        return "already_refunded"
    return None


def refund_op(
    tx: Tx,
    generation_id: str,
    reference: str,
    actor: str,
    now_us: int,
    catalogue: Catalogue,
    *,
    account_id: str | None = None,
) -> Refunded | RefundRefusal:
    """Refund a failed generation's deducted tokens, exactly once.

    The account is locked before the generation is read again, so two refunds racing
    for one generation serialize and the second sees the first; the refunds table's
    key refuses a second row even so.
    """
    gen = records.generation(tx, generation_id)
    if gen is not None:
        records.find_account(tx, gen.account_id, lock=True)
        gen = records.generation(tx, generation_id)
    problem = refund_problem(gen, account_id)
    if problem is not None or gen is None:
        return RefundRefusal(generation_id, problem or "unknown")
    before = records.find_account(tx, gen.account_id)
    assert before is not None
    at = max(now_us, before.last_write_us)
    state, entries = catch_up(before, at, catalogue)
    state, paid = refund(state, gen, at, reference, catalogue)
    state = state._replace(last_write_us=at)
    tx.run(
        "refund_insert",
        {
            "generation_id": generation_id,
            "account_id": gen.account_id,
            "amount": gen.deducted,
            "reference": reference,
            "actor": actor,
            "at_us": now_us,
        },
    )
    records.save_account(tx, state, before)
    records.append(tx, state.account_id, entries + paid, now_us)
    return Refunded(generation_id, gen.account_id, {e.bucket or "": e.amount for e in paid})


@dataclass(frozen=True, slots=True)
class AdjustResult:
    """What an adjustment actually did (a deduction never goes below zero)."""

    account_id: str
    requested: int
    applied: int
    entries: tuple[Entry, ...]


def adjust_op(
    tx: Tx, account_id: str, amount: int, actor: str, reason: str, now_us: int, catalogue: Catalogue
) -> AdjustResult | None:
    """Apply a moderator's adjustment; None if the account does not exist."""
    before = records.find_account(tx, account_id, lock=True)
    if before is None:
        return None
    at = max(now_us, before.last_write_us)
    state, entries = catch_up(before, at, catalogue)
    state, adjusted = adjust(state, amount, at, actor, reason, catalogue)
    state = state._replace(last_write_us=at)
    records.save_account(tx, state, before)
    records.append(tx, account_id, entries + adjusted, now_us)
    return AdjustResult(account_id, amount, sum(e.amount for e in adjusted), tuple(adjusted))
