"""Reading and writing the ledger's records through a `Tx`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.state import AccountState, Entry, Generation
from ledger.store.database import Tx
from ledger.store.queries import ACCOUNT_COLUMNS, GENERATION_COLUMNS

__all__ = [
    "append",
    "find_account",
    "generation",
    "insert_account",
    "insert_generation",
    "save_account",
    "seen_event",
]


def _account(row: tuple[Any, ...] | None) -> AccountState | None:
    if row is None:
        return None
    return AccountState._make(row)  # withheld_renewal stays 0/1: truthy as a bool would be


def find_account(tx: Tx, account_id: str, *, lock: bool = False) -> AccountState | None:
    """The account, locked against other writers when `lock` (PostgreSQL row lock)."""
    return _account(tx.one("account_lock" if lock else "account", {"id": account_id}))


def account_and_known_generation(
    tx: Tx, account_id: str, generation_id: str
) -> tuple[AccountState | None, bool]:
    """The account (locked) and whether a generation id was ever charged, in one query."""
    row = tx.one("account_lock_and_generation", {"id": account_id, "gid": generation_id})
    if row is None:
        known = tx.one("generation_exists", {"gid": generation_id}) is not None
        return None, known
    return _account(row[:-1]), bool(row[-1])


def account_for_user(tx: Tx, discord_user_id: str) -> AccountState | None:
    """The account linked to a Discord user, if any."""
    return _account(tx.one("account_by_user", {"id": discord_user_id}))


def _account_params(state: AccountState) -> dict[str, Any]:
    return dict(zip(ACCOUNT_COLUMNS, state, strict=True))


def insert_account(tx: Tx, state: AccountState) -> None:
    """Store a new account (its Discord user, if any, is taken from any other account)."""
    if state.discord_user_id is not None:
        tx.run("unlink_user", {"user": state.discord_user_id, "id": state.account_id})
    tx.run("account_insert", _account_params(state))


def save_account(tx: Tx, state: AccountState, before: AccountState | None = None) -> None:
    """Store an account's new state.

    Given the state it was read as (`before`), only the balance columns are written when
    nothing else changed, and a new Discord user is first moved off any other account.
    """
    if before is not None and state[:3] == before[:3] and _same_terms(state, before):
        tx.run("account_balances", _account_params(state))
        return
    moved = before is None or before.discord_user_id != state.discord_user_id
    if moved and state.discord_user_id is not None:
        tx.run("unlink_user", {"user": state.discord_user_id, "id": state.account_id})
    tx.run("account_update", _account_params(state))


def _same_terms(a: AccountState, b: AccountState) -> bool:
    return (
        a.anchor_us == b.anchor_us
        and a.cycle == b.cycle
        and a.pending_plan == b.pending_plan
        and a.withheld_renewal == b.withheld_renewal
        and a.withheld_upgrade == b.withheld_upgrade
        and a.discord_user_id == b.discord_user_id
    )


def append(tx: Tx, account_id: str, entries: Sequence[Entry], recorded_us: int) -> None:
    """Append journal rows (the journal is never updated or deleted from)."""
    tx.many(
        "journal_insert",
        [
            {
                "account_id": account_id,
                "kind": e.kind,
                "bucket": e.bucket,
                "amount": e.amount,
                "balance_after": e.balance_after,
                "due_us": e.due_us,
                "recorded_us": recorded_us,
                "reference": e.reference,
                "note": e.note,
            }
            for e in entries
        ],
    )


def _generation(row: tuple[Any, ...]) -> Generation:
    return Generation._make((*row[:-1], bool(row[-1])))


def generation(tx: Tx, generation_id: str) -> Generation | None:
    """A generation by id, with whether it was refunded."""
    row = tx.one("generation", {"id": generation_id})
    return None if row is None else _generation(row)


def failed_generations(tx: Tx, account_id: str, since_us: int, limit: int) -> list[Generation]:
    """An account's failed generations charged since `since_us`, newest first."""
    rows = tx.all("generations_failed", {"id": account_id, "since": since_us, "limit": limit})
    return [_generation(row) for row in rows]


def insert_generation(tx: Tx, record: Generation, settings: str | None) -> None:
    """Record a charged (or refused) generation; the key refuses a second charge."""
    params = dict(zip(GENERATION_COLUMNS, record[: len(GENERATION_COLUMNS)], strict=True))
    params["settings"] = settings
    tx.run("generation_insert", params)


def finish_generation(tx: Tx, record: Generation) -> None:
    """Record that a generation succeeded or failed."""
    params = {k: getattr(record, k) for k in ("status", "finished_us", "reason", "generation_id")}
    tx.run("generation_finish", params)


def seen_event(tx: Tx, event_id: str) -> tuple[str, str] | None:
    """(digest, outcome) of an event applied before, or None."""
    row = tx.one("event", {"id": event_id})
    return None if row is None else (row[0], row[1])
