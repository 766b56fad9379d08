"""Units of work: synchronous functions over a `Tx`, each one ledger operation.

The service runs each in a transaction (`await db.write(op)`); a `UnitOfWork` lets other
packages run several of them, with their own records (tickets), in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.apply import Decision, Rejection, decide
from ledger.batch import CONFLICT, EventResult, plan_batch
from ledger.events import Event
from ledger.incidents import DEFAULT_INCIDENT_THRESHOLD
from ledger.linking import (
    LINK_ATTEMPT_WINDOW_US,
    LINK_CODE_TTL_US,
    LinkOutcome,
    LinkResult,
    locked_until,
)
from ledger.notices import deduction_notices
from ledger.plans import Catalogue
from ledger.refunds import Refunded, RefundRefusal, refund_problem
from ledger.resets import catch_up
from ledger.spending import adjust, refund
from ledger.state import AccountState, Entry, HistoryRow
from ledger.store import incident_records, notify_records, records
from ledger.store.batch_records import load_batch, write_batch
from ledger.store.database import Tx

__all__ = [
    "AdjustResult",
    "EventResult",
    "adjust_op",
    "apply_batch_op",
    "apply_event_op",
    "create_link_code_op",
    "history_op",
    "redeem_link_code_op",
    "refund_op",
]


def apply_batch_op(
    tx: Tx,
    events: Sequence[Event],
    now_us: int,
    catalogue: Catalogue,
    alert_threshold: int = DEFAULT_INCIDENT_THRESHOLD,
) -> list[EventResult]:
    """Apply validated events in order, a few statements for the whole batch.

    The batch's accounts are locked and loaded with the event ids and generations it
    names; the rules run in memory (`ledger.batch`); the writes are set-based. Every
    event ends exactly as `apply_event_op` would have ended it, one after the other.

    Failures it applies may raise an incident alert (`ledger.incidents`), decided here.

    Raises:
        Conflict: another writer stored a key of the batch since it was loaded; the
            transaction must be rolled back and the batch applied event by event.
    """
    account_ids = {e.account_id for e in events}
    generation_ids = {e.generation_id for e in events if e.generation_id is not None}
    users = {e.discord_user_id for e in events if e.discord_user_id is not None}
    loaded = load_batch(tx, account_ids, {e.id for e in events}, generation_ids, users)
    plan = plan_batch(
        loaded.accounts,
        loaded.seen,
        loaded.generations,
        events,
        now_us,
        catalogue,
        low_below=loaded.low_below,
    )
    write_batch(tx, plan, now_us)
    if plan.notices:
        notify_records.add_notices(tx, plan.notices, now_us)
    failed = [g.generation_id for g in plan.finished_generations.values() if g.status == "failed"]
    failed += [g.generation_id for g, _, _ in plan.new_generations.values() if g.status == "failed"]
    incident_records.decide_alerts(tx, failed, now_us, alert_threshold)
    return plan.results


def apply_event_op(
    tx: Tx,
    event: Event,
    now_us: int,
    catalogue: Catalogue,
    alert_threshold: int = DEFAULT_INCIDENT_THRESHOLD,
) -> EventResult:
    """Apply one validated event, idempotently by event id (a failure may raise an alert)."""
    digest = records.seen_event(tx, event.id)
    if digest is not None:
        if digest == event.digest:
            return EventResult(event.id, "skipped", None, event.account_id)
        return EventResult(event.id, "rejected", CONFLICT)
    charged_before = False
    if event.type == "generation.charged":
        # A charge only needs to know whether the id exists: one query for both.
        state, charged_before = records.account_and_charged_before(
            tx, event.account_id, event.generation_id or ""
        )
        gen = None
    else:
        state = records.find_account(tx, event.account_id, lock=True)
        gen = records.generation(tx, event.generation_id) if event.generation_id else None
    decision = decide(state, gen, event, now_us, catalogue, charged_before=charged_before)
    if isinstance(decision, Rejection):
        return EventResult(event.id, "rejected", decision.reason, event.account_id)
    _store(tx, state, decision, event, now_us)
    records.remember_event(tx, event.id, event.account_id, event.digest, decision.outcome, now_us)
    gen = decision.generation
    if gen is not None and gen.status == "failed":
        incident_records.decide_alerts(tx, [gen.generation_id], now_us, alert_threshold)
    return EventResult(event.id, decision.outcome, decision.reason, event.account_id)


def _store(
    tx: Tx, before: AccountState | None, decision: Decision, event: Event, now_us: int
) -> None:
    state = decision.state
    if before is None or before.discord_user_id != state.discord_user_id:
        state = notify_records.with_user_choices(tx, state)  # the new user's `low` threshold
    if decision.new_account:
        records.insert_account(tx, state)
    else:
        records.save_account(tx, state, before)
    if decision.generation is not None:
        if decision.new_generation:
            records.insert_generation(tx, decision.generation, event.settings, event.model)
        else:
            records.finish_generation(tx, decision.generation)
    records.append(tx, state.account_id, decision.entries, now_us)
    if decision.notices:
        notify_records.add_notices(tx, decision.notices, now_us)


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
    if problem is not None:
        return RefundRefusal(generation_id, problem)
    assert gen is not None
    before = records.find_account(tx, gen.account_id)
    assert before is not None
    at = max(now_us, before.last_write_us)
    state, entries = catch_up(before, at, catalogue)
    state, paid = refund(state, gen, at, reference, catalogue)
    state = state._replace(last_write_us=at)
    records.insert_refund(tx, gen, reference, actor, now_us)
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
    notify_records.add_notices(tx, deduction_notices(state, adjusted, "adjustment"), now_us)
    return AdjustResult(account_id, amount, sum(e.amount for e in adjusted), tuple(adjusted))


def redeem_link_code_op(tx: Tx, code: str, discord_user_id: str, now_us: int) -> LinkResult:
    """Link a Discord user to the account a code names; a code works once.

    Exactly one of several users redeeming the same code at once is linked: the code is
    marked used by an UPDATE that only matches while it is unused, and only the
    transaction whose UPDATE changed the row links. A user with too many failed codes
    lately is refused before the code is looked at; every failure is counted.
    """
    since = now_us - LINK_ATTEMPT_WINDOW_US
    retry_at = locked_until(records.link_failures(tx, discord_user_id, since))
    if retry_at is not None:
        return LinkResult(LinkOutcome.LOCKED, retry_at_us=retry_at)
    found = records.link_code(tx, code)
    result: LinkResult
    if found is None:
        result = LinkResult(LinkOutcome.UNKNOWN)
    else:
        account_id, expires_us, used_us = found
        if used_us is not None:
            result = LinkResult(LinkOutcome.USED, account_id)
        elif expires_us < now_us:
            result = LinkResult(LinkOutcome.EXPIRED, account_id)
        elif records.use_link_code(tx, code, discord_user_id, account_id, now_us):
            return LinkResult(LinkOutcome.LINKED, account_id)
        else:  # another transaction used it between our read and our update
            result = LinkResult(LinkOutcome.USED, account_id)
    records.record_link_failure(tx, discord_user_id, now_us, since)
    return result


def create_link_code_op(tx: Tx, account_id: str, code: str, now_us: int) -> str | None:
    """Store a new link code for an existing account; None if there is no such account."""
    if records.find_account(tx, account_id) is None:
        return None
    records.store_link_code(tx, code, account_id, now_us + LINK_CODE_TTL_US)
    return code


def history_op(
    tx: Tx, state: AccountState, limit: int, now_us: int, catalogue: Catalogue
) -> list[HistoryRow]:
    """The latest journal rows, newest first, with resets due but not yet written on top."""
    _, due = catch_up(state, now_us, catalogue)
    pending = [
        HistoryRow(e.due_us, e.kind, e.bucket, e.amount, e.balance_after, None, None, True)
        for e in reversed(due[-limit:])
    ]
    return (pending + records.journal_latest(tx, state.account_id, limit))[:limit]


def history_page_op(
    tx: Tx, state: AccountState, limit: int, offset: int, now_us: int, catalogue: Catalogue
) -> tuple[list[HistoryRow], int]:
    """One page of what `history_op` lists (resets due on top), and how many in all."""
    _, due = catch_up(state, now_us, catalogue)
    pending = [
        HistoryRow(e.due_us, e.kind, e.bucket, e.amount, e.balance_after, None, None, True)
        for e in reversed(due)
    ]
    shown = pending[offset : offset + limit]
    want = limit - len(shown)
    if want > 0:
        start = max(0, offset - len(pending))
        shown += records.journal_page(tx, state.account_id, want, start)
    return shown, len(pending) + records.journal_count(tx, state.account_id)
