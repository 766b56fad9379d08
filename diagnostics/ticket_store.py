"""Reading and writing tickets and their log through a ledger `Tx`."""

from __future__ import annotations

import json
from typing import Any

from diagnostics.tickets import Ticket
from ledger.store.database import Tx

__all__ = ["count_open", "insert", "load", "log_action", "save", "select"]

COLUMNS = (
    "id, kind, category, state, user_id, account_id, generation_id, tokens, details, answers,"
    " created_us, updated_us, claimed_by, first_response_us, resolved_us, decided_by,"
    " decision_reason, refunded, notice_pending"
)


def _ticket(row: tuple[Any, ...]) -> Ticket:
    values = list(row)
    values[9] = tuple(tuple(pair) for pair in json.loads(values[9] or "[]"))
    values[18] = bool(values[18])
    return Ticket(*values)


def load(tx: Tx, ticket_id: int, *, lock: bool = False) -> Ticket | None:
    """One ticket; `lock` holds its row until the transaction ends (PostgreSQL)."""
    sql = f"SELECT {COLUMNS} FROM tickets WHERE id = :id"
    if lock and tx.dialect == "postgresql":
        sql += " FOR UPDATE"
    row = tx.one_sql(sql, {"id": ticket_id})
    return None if row is None else _ticket(row)


def select(
    tx: Tx, where: str, params: dict[str, Any], order: str = "created_us, id"
) -> list[Ticket]:
    """Tickets matching a WHERE clause written by this package (never by users)."""
    rows = tx.all_sql(f"SELECT {COLUMNS} FROM tickets WHERE {where} ORDER BY {order}", params)
    return [_ticket(row) for row in rows]


def count_open(tx: Tx) -> int:
    """How many tickets are open or claimed."""
    row = tx.one_sql("SELECT COUNT(*) FROM tickets WHERE state IN ('open', 'claimed')", {})
    return int(row[0]) if row else 0


def insert(tx: Tx, values: dict[str, Any]) -> int:
    """Store a new ticket; returns its number."""
    values = {**values, "answers": json.dumps(values.get("answers", []))}
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    row = tx.one_sql(f"INSERT INTO tickets ({names}) VALUES ({marks}) RETURNING id", values)
    assert row is not None
    return int(row[0])


def save(tx: Tx, ticket_id: int, changes: dict[str, Any]) -> None:
    """Update some columns of a ticket."""
    sets = ", ".join(f"{name} = :{name}" for name in changes)
    tx.run_sql(
        f"UPDATE tickets SET {sets} WHERE id = :ticket_id", {**changes, "ticket_id": ticket_id}
    )


def log_action(
    tx: Tx,
    ticket_id: int,
    at_us: int,
    actor: str,
    action: str,
    from_state: str | None,
    to_state: str | None,
    note: str | None = None,
) -> None:
    """Journal one thing that happened to a ticket."""
    tx.run_sql(
        "INSERT INTO ticket_log (ticket_id, at_us, actor, action, from_state, to_state, note)"
        " VALUES (:ticket_id, :at_us, :actor, :action, :from_state, :to_state, :note)",
        {
            "ticket_id": ticket_id,
            "at_us": at_us,
            "actor": actor,
            "action": action,
            "from_state": from_state,
            "to_state": to_state,
            "note": note,
        },
    )


def log_of(tx: Tx, ticket_ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    """Each ticket's log rows (at_us, actor, action, from_state, to_state, note), in order."""
    out: dict[int, list[tuple[Any, ...]]] = {i: [] for i in ticket_ids}
    for start in range(0, len(ticket_ids), 500):
        chunk = ticket_ids[start : start + 500]
        marks = ", ".join(f":t{n}" for n in range(len(chunk)))
        rows = tx.all_sql(
            "SELECT ticket_id, at_us, actor, action, from_state, to_state, note FROM ticket_log"
            f" WHERE ticket_id IN ({marks}) ORDER BY id",
            {f"t{n}": tid for n, tid in enumerate(chunk)},
        )
        for row in rows:
            out[int(row[0])].append(tuple(row[1:]))
    return out
