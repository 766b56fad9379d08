"""Loading what a batch of events needs, and writing what it did, set by set.

Three reads: the batch's accounts (locked on PostgreSQL, in id order), the event ids it
names that were applied before, and the generations it names. Then at most seven
writes, each one statement for all its rows (`ledger.store.batch_queries`).

Inserts go in key order: two batches racing to insert the same keys take them in the
same order, so one waits for the other instead of deadlocking, and the loser's key
error (`Conflict`) tells the caller to apply that batch again, event by event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.batch import BatchPlan
from ledger.errors import Conflict
from ledger.state import AccountState, Generation
from ledger.store.batch_queries import EVENT_COLUMNS, FINISH_COLUMNS, JOURNAL_COLUMNS
from ledger.store.database import Shape, Tx
from ledger.store.queries import ACCOUNT_COLUMNS, GENERATION_COLUMNS
from ledger.store.records import ACCOUNT, GENERATION

__all__ = ["Loaded", "load_batch", "write_batch", "write_rows"]

_GENERATION_ROW = (*GENERATION_COLUMNS, "settings", "model")
_SEEN = Shape(("event_id", "digest"), tuple)
_LOW_BELOW = Shape(("user_id", "low_threshold"), tuple)


class Loaded:
    """What the database holds for a batch: accounts, seen event digests, generations,
    and the `low` thresholds of the users it links."""

    __slots__ = ("accounts", "generations", "low_below", "seen")

    def __init__(
        self,
        accounts: dict[str, AccountState],
        seen: dict[str, str],
        generations: dict[str, Generation],
        low_below: dict[str, int] | None = None,
    ) -> None:
        self.accounts = accounts
        self.seen = seen
        self.generations = generations
        self.low_below = low_below or {}


def load_batch(
    tx: Tx,
    account_ids: set[str],
    event_ids: set[str],
    generation_ids: set[str],
    users: set[str] | None = None,
) -> Loaded:
    """Lock and read the batch's accounts, then read its seen events and generations,
    and the `low` thresholds of the Discord users it links (a read only when it links)."""
    if tx.dialect == "postgresql":
        tx.run("batch_plan_each", {})
    accounts = tx.fetch_all("batch_accounts", {"ids": tx.id_set(account_ids)}, ACCOUNT)
    seen = tx.fetch_all("batch_events", {"ids": tx.id_set(event_ids)}, _SEEN)
    generations: list[Generation] = []
    if generation_ids:
        generations = tx.fetch_all(
            "batch_generations", {"ids": tx.id_set(generation_ids)}, GENERATION
        )
    low_below: list[tuple[str, int]] = []
    if users:
        low_below = tx.fetch_all("batch_low_below", {"ids": tx.id_set(users)}, _LOW_BELOW)
    return Loaded(
        {a.account_id: a for a in accounts},
        dict(seen),
        {g.generation_id: g for g in generations},
        dict(low_below),
    )


def write_batch(tx: Tx, plan: BatchPlan, recorded_us: int) -> None:
    """Store what a batch did.

    Raises:
        Conflict: another writer stored one of the same keys (event id, account id,
            generation id) since the batch was loaded; nothing of the batch may be kept.
    """
    remembered = sorted(plan.remembered)
    write_rows(tx, "batch_event_insert", EVENT_COLUMNS, [(*r, recorded_us) for r in remembered])
    if plan.linked_users:
        users = sorted(plan.linked_users)
        if tx.dialect == "postgresql":
            tx.run("batch_unlink_users", {"users": users})
        else:
            tx.many_rows("batch_unlink_users", [(user,) for user in users])
    write_rows(tx, "batch_account_insert", ACCOUNT_COLUMNS, _sorted(plan.new_accounts))
    write_rows(tx, "batch_account_update", ACCOUNT_COLUMNS, _sorted(plan.changed_accounts))
    kept = len(GENERATION_COLUMNS)
    new = [(*r[:kept], settings, model) for r, settings, model in _sorted(plan.new_generations)]
    write_rows(tx, "batch_generation_insert", _GENERATION_ROW, new)
    finished = [
        (g.generation_id, g.status, g.finished_us, g.reason)
        for g in _sorted(plan.finished_generations)
    ]
    count = write_rows(tx, "batch_generation_finish", FINISH_COLUMNS, finished)
    if count is not None and count != len(finished):  # only pending ones may finish
        raise Conflict("a generation of the batch was finished by another writer")
    journal = [
        (account, e.kind, e.bucket, e.amount, e.balance_after, e.due_us, recorded_us, *e[5:])
        for account, e in plan.journal
    ]
    write_rows(tx, "batch_journal_insert", JOURNAL_COLUMNS, journal)


def _sorted(by_id: dict[str, Any]) -> list[Any]:
    return [by_id[key] for key in sorted(by_id)]


def write_rows(
    tx: Tx, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int | None:
    """One statement for every row: column arrays on PostgreSQL, `executemany` on SQLite.

    Returns:
        How many rows PostgreSQL changed (None on SQLite, or when there was nothing).
    """
    if not rows:
        return None
    if tx.dialect == "postgresql":
        return tx.run(name, dict(zip(columns, map(list, zip(*rows, strict=True)), strict=True)))
    tx.many_rows(name, rows)
    return None
