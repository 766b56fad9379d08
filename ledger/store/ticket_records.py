"""Reading and writing tickets and their log through a `Tx`."""

from __future__ import annotations

import json
from collections.abc import Sequence
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
    TicketReply,
    TicketSide,
    TicketState,
)

__all__ = [
    "add_reply",
    "count_of_user",
    "count_open",
    "count_open_for_user",
    "count_queue",
    "insert_ticket",
    "load_reply",
    "load_ticket",
    "log_action",
    "log_actions",
    "open_refund_generations",
    "open_ticket_for",
    "overdue_unreminded",
    "queue",
    "rate_ticket",
    "replies_waiting",
    "reply_received",
    "save_ticket",
    "set_message",
    "set_thread",
    "take_notices",
    "ticket_log",
    "ticket_logs_since",
    "ticket_params",
    "tickets_of_user",
    "tickets_since",
    "tickets_to_close",
    "tickets_to_warn",
]

_FIELDS = (*TICKET_COLUMNS, "failure_reason")


def _ticket(v: tuple[Any, ...]) -> Ticket:
    row = dict(zip(_FIELDS, v, strict=True))
    side = row["last_reply_by"]
    return Ticket(
        **{
            **row,
            "kind": TicketKind(row["kind"]),
            "category": TicketCategory(row["category"]),
            "state": TicketState(row["state"]),
            "answers": tuple(tuple(pair) for pair in json.loads(row["answers"] or "[]")),
            "notice_pending": bool(row["notice_pending"]),
            "last_reply_by": None if side is None else TicketSide(side),
            "quiet": bool(row["quiet"]),
        }
    )


def _reply(v: tuple[Any, ...]) -> TicketReply:
    return TicketReply(*v[:6], bool(v[6]))


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


TICKET = Shape(_FIELDS, _ticket)
REPLY = Shape(("id", "ticket_id", "user_id", "at_us", "actor", "text", "waiting"), _reply)
LOG_ENTRY = Shape(
    ("ticket_id", "at_us", "actor", "action", "from_state", "to_state", "note"), _entry
)


def _params(ticket: Ticket) -> dict[str, Any]:
    params = {}
    for column in TICKET_COLUMNS:
        value = getattr(ticket, column)
        params[column] = value.value if isinstance(value, Enum) else value
    params["answers"] = json.dumps([list(pair) for pair in ticket.answers])
    params["notice_pending"] = bool(ticket.notice_pending)
    params["quiet"] = bool(ticket.quiet)
    return params


def ticket_params(ticket: Ticket) -> dict[str, Any]:
    """A ticket's columns as the store writes them."""
    return _params(ticket)


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


def log_actions(tx: Tx, entries: Sequence[tuple[int, TicketLogEntry]]) -> None:
    """Journal things that happened to tickets, in order, in one statement."""
    tx.many("ticket_log_insert", [{"ticket_id": tid, **_entry_params(e)} for tid, e in entries])


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
    overdue_before_us: int = -(1 << 62),
) -> list[Ticket]:
    """Tickets in a state (default: open and claimed), of a category if given.

    Open tickets opened before `overdue_before_us` with no staff response yet (overdue)
    come first; then oldest first.
    """
    params = {
        "state": None if state is None else state.value,
        "category": None if category is None else category.value,
        "limit": limit,
        "offset": offset,
        "overdue_before": overdue_before_us,
    }
    return tx.fetch_all("tickets_queue", params, TICKET)


def count_queue(tx: Tx, state: TicketState | None, category: TicketCategory | None) -> int:
    """How many tickets `queue` would list, over every page."""
    params = {
        "state": None if state is None else state.value,
        "category": None if category is None else category.value,
    }
    row = tx.one("tickets_queue_count", params)
    return int(row[0]) if row else 0


def count_of_user(tx: Tx, user_id: str) -> int:
    """How many tickets a user has, in any state."""
    row = tx.one("tickets_of_user_count", {"user": user_id})
    return int(row[0]) if row else 0


def overdue_unreminded(tx: Tx, overdue_before_us: int, limit: int) -> list[Ticket]:
    """Open tickets opened before an instant with no staff response and no SLA reminder."""
    params = {"overdue_before": overdue_before_us, "limit": limit}
    return tx.fetch_all("tickets_overdue_unreminded", params, TICKET)


def tickets_to_warn(tx: Tx, replied_before_us: int, limit: int) -> list[Ticket]:
    """Open tickets waiting on the user since before an instant, not warned yet."""
    params = {"replied_before": replied_before_us, "limit": limit}
    return tx.fetch_all("tickets_to_warn", params, TICKET)


def tickets_to_close(
    tx: Tx, replied_before_us: int, warned_before_us: int, limit: int
) -> list[Ticket]:
    """Open tickets waiting on the user since before an instant, warned before another."""
    params = {"replied_before": replied_before_us, "warned_before": warned_before_us}
    return tx.fetch_all("tickets_to_close", {**params, "limit": limit}, TICKET)


def set_message(tx: Tx, ticket_id: int, message_id: str) -> bool:
    """Store the ticket's triage message id, unless one is stored; True if this one was."""
    return tx.run("ticket_set_message", {"id": ticket_id, "message": message_id}) == 1


def set_thread(tx: Tx, ticket_id: int, thread_id: str) -> bool:
    """Store the ticket's thread id, unless one is stored; True if this one was."""
    return tx.run("ticket_set_thread", {"id": ticket_id, "thread": thread_id}) == 1


def rate_ticket(tx: Tx, ticket_id: int, rating: int, at_us: int) -> bool:
    """Store the user's rating unless the ticket has one; True if this one was stored."""
    return tx.run("ticket_rate", {"id": ticket_id, "rating": rating, "at": at_us}) == 1


def add_reply(tx: Tx, ticket_id: int, user_id: str, at_us: int, actor: str, text: str) -> int:
    """Store a message from the support team to a user; returns its number."""
    params = {"ticket_id": ticket_id, "user_id": user_id, "at_us": at_us, "actor": actor}
    row = tx.one("ticket_reply_insert", {**params, "text": text})
    assert row is not None
    return int(row[0])


def load_reply(tx: Tx, reply_id: int) -> TicketReply | None:
    """One message from the support team, or None."""
    return tx.fetch("ticket_reply", {"id": reply_id}, REPLY)


def replies_waiting(tx: Tx, user_id: str) -> list[TicketReply]:
    """Messages from the support team a user has not received, oldest first."""
    return tx.fetch_all("ticket_replies_waiting", {"user": user_id, "yes": True}, REPLY)


def reply_received(tx: Tx, reply_id: int) -> bool:
    """The user has the message now (by DM or in /tickets); False if they had it before."""
    return tx.run("ticket_reply_received", {"id": reply_id, "yes": True, "no": False}) == 1


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
