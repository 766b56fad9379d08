"""The SQL a batch of events runs: a few statements per batch, not per event.

Reads name a set of ids in one parameter (`queries.in_ids`): a JSON array read through
`json_each` on SQLite, an array (`= ANY`) on PostgreSQL. Writes are set-based: on SQLite a statement
runs once per row through `executemany` (in process, no round trips); on PostgreSQL
one statement takes a column of values per array and `unnest`s them, one round trip
for any number of rows.
"""

from __future__ import annotations

from ledger.store.queries import ACCOUNT_COLUMNS, GENERATION_COLUMNS, in_ids

__all__ = [
    "BATCH_POSTGRES",
    "BATCH_SQLITE",
    "EVENT_COLUMNS",
    "FINISH_COLUMNS",
    "JOURNAL_COLUMNS",
]

EVENT_COLUMNS = ("event_id", "account_id", "digest", "outcome", "recorded_us")
JOURNAL_COLUMNS = (
    "account_id",
    "kind",
    "bucket",
    "amount",
    "balance_after",
    "due_us",
    "recorded_us",
    "reference",
    "note",
)
FINISH_COLUMNS = ("generation_id", "status", "finished_us", "reason")
_TYPES = {
    "account_id": "varchar",
    "plan": "varchar",
    "status": "varchar",
    "anchor_us": "bigint",
    "cycle": "integer",
    "pending_plan": "varchar",
    "withheld_renewal": "boolean",
    "discord_user_id": "varchar",
    "generation_id": "varchar",
    "source": "varchar",
    "outcome": "varchar",
    "reason": "text",
    "settings": "text",
    "model": "varchar",
    "event_id": "varchar",
    "digest": "varchar",
    "kind": "varchar",
    "bucket": "varchar",
    "reference": "varchar",
    "note": "text",
}

_ACC = ", ".join(ACCOUNT_COLUMNS)
_GEN = ", ".join(f"g.{c}" for c in GENERATION_COLUMNS)
_JOURNAL = ", ".join(JOURNAL_COLUMNS)
_REFUNDED = "EXISTS (SELECT 1 FROM refunds r WHERE r.generation_id = g.generation_id)"


def _reads(dialect: str) -> dict[str, str]:
    return {
        "batch_accounts": f"SELECT {_ACC} FROM accounts WHERE {in_ids('account_id', dialect)}",
        "batch_events": f"SELECT event_id, digest FROM events WHERE {in_ids('event_id', dialect)}",
        "batch_generations": f"SELECT {_GEN}, {_REFUNDED} AS refunded FROM generations g"
        f" WHERE {in_ids('g.generation_id', dialect)}",
        # The `low` thresholds of the users a batch links (only those who want `low`).
        "batch_low_below": "SELECT user_id, low_threshold FROM notify_prefs"
        f" WHERE on_low AND {in_ids('user_id', dialect)}",
    }


def _arrays(columns: tuple[str, ...]) -> str:
    """`:c1::t1[], ...`: one array parameter per column."""
    return ", ".join(f":{c}::{_TYPES.get(c, 'bigint')}[]" for c in columns)


def _unnest(columns: tuple[str, ...]) -> str:
    return f"unnest({_arrays(columns)}) AS u({', '.join(columns)})"


def _insert_unnest(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(columns)
    return f"INSERT INTO {table} ({names}) SELECT {names} FROM {_unnest(columns)}"


def _positional_insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


BATCH_SQLITE: dict[str, str] = {
    **_reads("sqlite"),
    "batch_unlink_users": "UPDATE accounts SET discord_user_id = NULL, low_below = NULL"
    " WHERE discord_user_id = ?",
    "batch_event_insert": _positional_insert("events", EVENT_COLUMNS),
    "batch_account_insert": _positional_insert("accounts", ACCOUNT_COLUMNS),
    # Numbered parameters: the row's values in column order, the id first.
    "batch_account_update": "UPDATE accounts SET "
    + ", ".join(f"{c} = ?{n}" for n, c in enumerate(ACCOUNT_COLUMNS[1:], start=2))
    + " WHERE account_id = ?1",
    "batch_generation_insert": _positional_insert(
        "generations", (*GENERATION_COLUMNS, "settings", "model")
    ),
    "batch_generation_finish": "UPDATE generations SET status = ?2, finished_us = ?3,"
    " reason = ?4 WHERE generation_id = ?1 AND status = 'pending'",
    "batch_journal_insert": _positional_insert("journal", JOURNAL_COLUMNS),
}
"""Writes take `?` parameters and run once per row (`Tx.many_rows`): tuples, no dicts."""

BATCH_POSTGRES: dict[str, str] = {
    **_reads("postgresql"),
    # A prepared statement's generic plan, made while a table was small, would scan the
    # whole table for every batch once it is large: plan each batch's reads for its ids.
    "batch_plan_each": "SET LOCAL plan_cache_mode = force_custom_plan",
    # Locked in account id order, so that two batches naming the same accounts wait for
    # each other instead of deadlocking (the rows are locked after the sort).
    "batch_accounts": _reads("postgresql")["batch_accounts"] + " ORDER BY account_id FOR UPDATE",
    "batch_unlink_users": "UPDATE accounts SET discord_user_id = NULL, low_below = NULL"
    " WHERE discord_user_id = ANY(:users)",
    "batch_event_insert": _insert_unnest("events", EVENT_COLUMNS),
    "batch_account_insert": _insert_unnest("accounts", ACCOUNT_COLUMNS),
    "batch_account_update": "UPDATE accounts a SET "
    + ", ".join(f"{c} = u.{c}" for c in ACCOUNT_COLUMNS[1:])
    + f" FROM {_unnest(ACCOUNT_COLUMNS)} WHERE a.account_id = u.account_id",
    "batch_generation_insert": _insert_unnest(
        "generations", (*GENERATION_COLUMNS, "settings", "model")
    ),
    "batch_generation_finish": "UPDATE generations g SET status = u.status,"
    f" finished_us = u.finished_us, reason = u.reason FROM {_unnest(FINISH_COLUMNS)}"
    " WHERE g.generation_id = u.generation_id AND g.status = 'pending'",
    # Journal ids follow the order of the entries, as if each had been inserted alone.
    "batch_journal_insert": f"INSERT INTO journal ({_JOURNAL}) SELECT {_JOURNAL}"
    f" FROM unnest({_arrays(JOURNAL_COLUMNS)}) WITH ORDINALITY AS u({_JOURNAL}, n)"
    " ORDER BY n",
}
"""Statements run once per batch, with one array per column."""
