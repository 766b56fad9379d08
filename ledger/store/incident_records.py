"""Incidents through a `Tx`: failures to refund, a batch of refunds set by set, alerts.

A batch of incident refunds writes its refunds, accounts and journal rows with one
statement each (column arrays on PostgreSQL, `executemany` on SQLite), as a batch of
events does (`ledger.store.batch_records`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.incidents import (
    ALERT_SPACING_US,
    ALERT_WINDOW_US,
    INCIDENT_ALERT,
    Alert,
    FailureCount,
    IncidentWindow,
    RefundPlan,
    alert_for,
)
from ledger.outbox import OutboxKind
from ledger.state import AccountState, Generation
from ledger.store.batch_queries import JOURNAL_COLUMNS
from ledger.store.batch_records import write_rows
from ledger.store.database import Shape, Tx
from ledger.store.incident_queries import DECIDED_TICKET_COLUMNS, REFUND_COLUMNS
from ledger.store.outbox_records import add_item
from ledger.store.queries import ACCOUNT_COLUMNS
from ledger.store.records import ACCOUNT, GENERATION
from ledger.store.ticket_records import ticket_params
from ledger.tickets import Ticket

__all__ = [
    "alert_window",
    "candidates",
    "decide_alerts",
    "insert_decided_tickets",
    "load_accounts",
    "load_generations",
    "open_tickets_for",
    "write_refunds",
]

_PAIR = Shape(("id", "generation_id"), tuple)
_MODEL_AT = Shape(("model", "at_us"), tuple)
_WINDOW = Shape(("model", "since_us", "until_us"), tuple)


def candidates(
    tx: Tx, window: IncidentWindow, after: tuple[int, str] | None, limit: int
) -> list[Generation]:
    """The next `limit` failures the window refunds, after `after` (reported instant, id)."""
    after_us, after_id = after if after is not None else (window.since_us, "")
    params: dict[str, Any] = {
        "since": window.since_us,
        "until": window.until_us,
        "after_us": after_us,
        "after_id": after_id,
        "limit": limit,
    }
    if window.model is None:
        return tx.fetch_all("incident_candidates", params, GENERATION)
    return tx.fetch_all(
        "incident_candidates_of_model", {**params, "model": window.model}, GENERATION
    )


def open_tickets_for(tx: Tx, generation_ids: Sequence[str]) -> dict[str, int]:
    """The open refund ticket of each generation that has one; locked on PostgreSQL."""
    if not generation_ids:
        return {}
    found = tx.fetch_all("incident_open_tickets", {"ids": tx.id_set(generation_ids)}, _PAIR)
    return {gid: int(tid) for tid, gid in found}


def open_tickets_late(tx: Tx, generation_ids: Sequence[str]) -> dict[str, int]:
    """Open refund tickets of these generations opened since the first read, once the
    accounts are locked: locked in turn, except those someone else holds (PostgreSQL)."""
    if not generation_ids:
        return {}
    found = tx.fetch_all("incident_open_tickets_late", {"ids": tx.id_set(generation_ids)}, _PAIR)
    return {gid: int(tid) for tid, gid in found}


def load_accounts(tx: Tx, account_ids: set[str]) -> dict[str, AccountState]:
    """The accounts, locked in account id order on PostgreSQL."""
    if tx.dialect == "postgresql":
        tx.run("batch_plan_each", {})
    found = tx.fetch_all("batch_accounts", {"ids": tx.id_set(account_ids)}, ACCOUNT)
    return {a.account_id: a for a in found}


def load_generations(tx: Tx, generation_ids: Sequence[str]) -> dict[str, Generation]:
    """The generations as they are now, with whether each was refunded."""
    if not generation_ids:
        return {}
    found = tx.fetch_all("batch_generations", {"ids": tx.id_set(generation_ids)}, GENERATION)
    return {g.generation_id: g for g in found}


def insert_decided_tickets(tx: Tx, tickets: Sequence[Ticket]) -> list[int]:
    """Store tickets opened already decided (an incident's); returns their numbers."""
    out = []
    for ticket in tickets:
        row = ticket_params(ticket)
        params = {c: row[c] for c in DECIDED_TICKET_COLUMNS}
        found = tx.one("incident_ticket_insert", params)
        assert found is not None
        out.append(int(found[0]))
    return out


def write_refunds(tx: Tx, plan: RefundPlan, actor: str, recorded_us: int) -> None:
    """Store a batch of refunds: their rows, the accounts after them, their journal rows.

    Raises:
        Conflict: another writer refunded one of them first (the refunds key).
    """
    rows = [
        (g.generation_id, g.account_id, g.deducted, reference, actor, recorded_us)
        for g, reference in sorted(plan.refunds, key=lambda r: r[0].generation_id)
    ]
    write_rows(tx, "incident_refund_insert", REFUND_COLUMNS, rows)
    accounts = [plan.accounts[key] for key in sorted(plan.accounts)]
    write_rows(tx, "batch_account_update", ACCOUNT_COLUMNS, accounts)
    journal = [
        (account, e.kind, e.bucket, e.amount, e.balance_after, e.due_us, recorded_us, *e[5:])
        for account, e in plan.journal
    ]
    write_rows(tx, "batch_journal_insert", JOURNAL_COLUMNS, journal)


def decide_alerts(tx: Tx, failed_ids: Sequence[str], now_us: int, threshold: int) -> list[Alert]:
    """Decide the incident alerts that failures just applied call for, in their transaction.

    For each model among the failures: under the model's lock (PostgreSQL), unless an
    alert of it is within `ALERT_SPACING_US` of its latest failure, count its failures
    in the window up to that one; at or above the threshold, store the alert (one per
    model and hour, the key says so too) and add its message to the outbox.
    """
    if not failed_ids or threshold <= 0:
        return []
    found = tx.fetch_all("incident_failed_models", {"ids": tx.id_set(failed_ids)}, _MODEL_AT)
    alerts = []
    for model, at_us in found:
        if tx.dialect == "postgresql":
            tx.one("incident_alert_lock", {"model": model})
        near = {
            "model": model,
            "after": at_us - ALERT_SPACING_US,
            "before": at_us + ALERT_SPACING_US,
        }
        if tx.one("incident_alert_near", near) is not None:
            continue
        stats = tx.one(
            "incident_alert_stats",
            {"model": model, "since": at_us - ALERT_WINDOW_US, "until": at_us},
        )
        assert stats is not None
        alert = alert_for(model, at_us, FailureCount(*map(int, stats)), threshold)
        if alert is None:
            continue
        row = tx.one(
            "incident_alert_insert",
            {
                "model": model,
                "hour_us": alert.hour_us,
                "at_us": alert.at_us,
                "since_us": alert.since_us,
                "until_us": alert.covers_until_us,
                "failures": alert.count.failures,
                "created_us": now_us,
            },
        )
        if row is None:  # another writer stored this model's alert for the hour
            continue
        _add_alert_item(tx, int(row[0]), alert, now_us)
        alerts.append(alert)
    return alerts


def _add_alert_item(tx: Tx, alert_id: int, alert: Alert, now_us: int) -> None:
    payload = {
        "alert_id": alert_id,
        "model": alert.model,
        "since_us": alert.since_us,
        "at_us": alert.at_us,
        "until_us": alert.covers_until_us,
        "failures": alert.count.failures,
        "accounts": alert.count.accounts,
        "tokens": alert.count.tokens,
    }
    add_item(tx, OutboxKind.CHANNEL, INCIDENT_ALERT, payload, now_us, key=f"incident:{alert_id}")


def alert_window(tx: Tx, alert_id: int) -> IncidentWindow | None:
    """The model and window an alert's `Refund all` refunds, or None for no such alert."""
    found = tx.fetch("incident_alert", {"id": alert_id}, _WINDOW)
    if found is None:
        return None
    model, since_us, until_us = found
    return IncidentWindow(int(since_us), int(until_us), model)
