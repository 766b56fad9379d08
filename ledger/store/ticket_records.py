"""Reading and writing tickets and their log through a `Tx`."""

from __future__ import annotations

import json
from dataclasses import astuple
from enum import Enum
from typing import Any

from ledger.store.database import Shape, Tx
from ledger.store.ticket_queries import TICKET_COLUMNS
from ledger.tickets import (
    Ticket,
    TicketAction,
    TicketCategory,
    TicketKind,
    TicketLogEntry,
    TicketState,
)

__all__ = [
    "count_open",
    "count_open_for_user",
    "insert_ticket",
    "load_ticket",
    "log_action",
    "open_refund_generations",
    "open_ticket_for",
    "queue",
    "save_ticket",
    "take_notices",
    "ticket_log",
    "ticket_logs_since",
    "tickets_of_user",
    "tickets_since",
]


def _ticket(v: tuple[Any, ...]) -> Ticket:
    return Ticket(
        v[0],
        TicketKind(v[1]),
        TicketCategory(v[2]),
        TicketState(v[3]),
        *v[4:9],
        tuple(tuple(pair) for pair in json.loads(v[9] or "[]")),
        *v[10:18],
        bool(v[18]),
        v[19],
    )


def _entry(v: tuple[Any, ...]) -> tuple[int, TicketLogEntry]:
    old, new = v[4], v[5]
    return v[0], TicketLogEntry(
        v[1],
        v[2],
        TicketAction(v[3]),
        None if old is None else TicketState(old),
        None if new is None else TicketState(new),
        v[6],
    )


TICKET = Shape((*TICKET_COLUMNS, "failure_reason"), _ticket)
LOG_ENTRY = Shape(
    ("ticket_id", "at_us", "actor", "action", "from_state", "to_state", "note"), _entry
)


def _params(ticket: Ticket) -> dict[str, Any]:
    values = astuple(ticket)
    params = {
        column: value.value if isinstance(value, Enum) else value
        for column, value in zip(TICKET_COLUMNS, values, strict=False)
    }
    params["answers"] = json.dumps([list(pair) for pair in ticket.answers])
    params["notice_pending"] = bool(ticket.notice_pending)
    return params


def insert_ticket(tx: Tx, ticket: Ticket) -> int:
    """Store a new ticket (its `id` is ignored); returns its number."""
    params = _params(ticket)
    row = tx.one("ticket_insert", params)
    assert row is not None
    return int(row[0])


def load_ticket(tx: Tx, ticket_id: int, *, lock: bool = False) -> Ticket | None:
    """One ticket; with `lock` its row is held until the transaction ends."""
    return tx.fetch("ticket_lock" if lock else "ticket", {"id": ticket_id}, TICKET)


def save_ticket(tx: Tx, ticket: Ticket) -> None:
    """Store what a ticket's life changed (state, claim, times, decision, notice)."""
    tx.run("ticket_update", _params(ticket))


def log_action(tx: Tx, ticket_id: int, entry: TicketLogEntry) -> None:
    """Journal one thing that happened to a ticket."""
    tx.run("ticket_log_insert", {"ticket_id": ticket_id, **_entry_params(entry)})


def _entry_params(entry: TicketLogEntry) -> dict[str, Any]:
    return {
        "at_us": entry.at_us,
        "actor": entry.actor,
        "action": entry.action.value,
        "from_state": None if entry.from_state is None else entry.from_state.value,
        "to_state": None if entry.to_state is None else entry.to_state.value,
        "note": entry.note,
    }


def count_open(tx: Tx) -> int:
    """How many tickets are open or claimed."""
    row = tx.one("ticket_open_count", {})
    return int(row[0]) if row else 0


def count_open_for_user(tx: Tx, user_id: str) -> int:
    """How many open or claimed tickets a user has."""
    row = tx.one("ticket_open_count_for_user", {"user": user_id})
    return int(row[0]) if row else 0


def open_ticket_for(tx: Tx, generation_id: str) -> int | None:
    """The open refund ticket for a generation, if any."""
    row = tx.one("ticket_open_for_generation", {"gid": generation_id})
    return None if row is None else int(row[0])


def open_refund_generations(tx: Tx, user_id: str) -> set[str]:
    """Generation ids the user has an open refund ticket for."""
    found = tx.fetch_all(
        "tickets_open_refund_generations", {"user": user_id}, Shape(("generation_id",), _first)
    )
    return {gid for gid in found if gid}


def _first(v: tuple[Any, ...]) -> Any:
    return v[0]


def tickets_of_user(tx: Tx, user_id: str, limit: int, offset: int = 0) -> list[Ticket]:
    """A user's tickets, newest first."""
    params = {"user": user_id, "limit": limit, "offset": offset}
    return tx.fetch_all("tickets_of_user", params, TICKET)


def take_notices(tx: Tx, user_id: str) -> list[Ticket]:
    """Decided tickets the user was not told about; they count as told from now."""
    found = tx.fetch_all("tickets_with_notice", {"user": user_id, "yes": True}, TICKET)
    if found:
        tx.run("tickets_notice_taken", {"user": user_id, "yes": True, "no": False})
    return found


def queue(
    tx: Tx,
    state: TicketState | None,
    category: TicketCategory | None,
    limit: int,
    offset: int = 0,
) -> list[Ticket]:
    """Tickets in a state (default: open and claimed), of a category if given, oldest first."""
    params = {
        "state": None if state is None else state.value,
        "category": None if category is None else category.value,
        "limit": limit,
        "offset": offset,
    }
    return tx.fetch_all("tickets_queue", params, TICKET)


def tickets_since(tx: Tx, since_us: int) -> list[Ticket]:
    """Tickets opened since an instant, oldest first."""
    return tx.fetch_all("tickets_since", {"since": since_us}, TICKET)


def ticket_log(tx: Tx, ticket_id: int) -> list[TicketLogEntry]:
    """One ticket's log, in order."""
    return [entry for _, entry in tx.fetch_all("ticket_log", {"id": ticket_id}, LOG_ENTRY)]


def ticket_logs_since(tx: Tx, since_us: int) -> dict[int, list[TicketLogEntry]]:
    """The logs of every ticket opened since an instant, by ticket."""
    out: dict[int, list[TicketLogEntry]] = {}
    for ticket_id, entry in tx.fetch_all("ticket_logs_since", {"since": since_us}, LOG_ENTRY):
        out.setdefault(int(ticket_id), []).append(entry)
    return out
