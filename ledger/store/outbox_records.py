"""Reading and writing the outbox and leases through a `Tx`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ledger.outbox import OutboxItem, OutboxKind, OutboxOutcome
from ledger.store.database import Shape, Tx
from ledger.store.outbox_queries import OUTBOX_COLUMNS

__all__ = [
    "add_item",
    "add_items",
    "claim_items",
    "finish_item",
    "item",
    "item_outcome",
    "release_lease",
    "retry_item",
    "take_lease",
    "waiting_count",
]


def _item(v: tuple[Any, ...]) -> OutboxItem:
    return OutboxItem(v[0], OutboxKind(v[1]), v[2], json.loads(v[3]), *v[4:9])


ITEM = Shape(OUTBOX_COLUMNS, _item)


def add_item(
    tx: Tx,
    kind: OutboxKind,
    topic: str,
    payload: dict[str, Any],
    now_us: int,
    *,
    user_id: str | None = None,
    ticket_id: int | None = None,
    key: str | None = None,
    due_us: int | None = None,
    done_as: OutboxOutcome | None = None,
) -> bool:
    """Add an item; False when one with the same key was added before.

    With `done_as`, the item is kept as already done with that outcome (nobody to
    deliver it to), never to be claimed.
    """
    due = now_us if due_us is None else due_us
    params = _row(kind, topic, (payload, user_id, ticket_id, key), now_us, due)
    if done_as is not None:
        params["outcome"] = done_as.value
        return tx.run("outbox_add_done", params) == 1
    return tx.run("outbox_add", params) == 1


def add_items(
    tx: Tx,
    kind: OutboxKind,
    topic: str,
    items: Sequence[tuple[dict[str, Any], str | None, int | None, str | None]],
    now_us: int,
) -> None:
    """Add items of one kind and topic, due now: (payload, user, ticket, key) each.

    An item whose key exists is not added again.
    """
    tx.many("outbox_add", [_row(kind, topic, item, now_us, now_us) for item in items])


def _row(
    kind: OutboxKind,
    topic: str,
    item: tuple[dict[str, Any], str | None, int | None, str | None],
    now_us: int,
    due_us: int,
) -> dict[str, Any]:
    payload, user_id, ticket_id, key = item
    return {
        "kind": kind.value,
        "topic": topic,
        "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        "user_id": user_id,
        "ticket_id": ticket_id,
        "key": key,
        "created_us": now_us,
        "due_us": due_us,
    }


def claim_items(tx: Tx, holder: str, now_us: int, lease_us: int, limit: int) -> list[OutboxItem]:
    """Claim up to `limit` due items nobody holds, oldest first, until `now_us + lease_us`."""
    params = {"holder": holder, "now": now_us, "until": now_us + lease_us, "limit": limit}
    return sorted(tx.fetch_all("outbox_claim", params, ITEM), key=lambda item: item.id)


def finish_item(tx: Tx, item_id: int, outcome: OutboxOutcome, now_us: int) -> bool:
    """Record how delivering an item ended; False if it had already ended."""
    return tx.run("outbox_finish", {"id": item_id, "outcome": outcome.value, "now": now_us}) == 1


def retry_item(tx: Tx, item_id: int, due_us: int) -> None:
    """Give an item back, to be claimed again from `due_us`."""
    tx.run("outbox_retry", {"id": item_id, "due": due_us})


def waiting_count(tx: Tx, kind: OutboxKind | None = None) -> int:
    """How many items (of a kind, if given) are not delivered yet."""
    if kind is None:
        row = tx.one("outbox_waiting", {})
    else:
        row = tx.one("outbox_waiting_kind", {"kind": kind.value})
    return int(row[0]) if row else 0


def item(tx: Tx, item_id: int) -> OutboxItem | None:
    """An item by its number, delivered or not."""
    return tx.fetch("outbox_item", {"id": item_id}, ITEM)


def item_outcome(tx: Tx, item_id: int) -> tuple[int | None, str | None, int] | None:
    """(done_us, outcome, attempts) of an item, or None if there is no such item."""
    row = tx.one("outbox_outcome", {"id": item_id})
    return None if row is None else (row[0], row[1], int(row[2]))


def take_lease(tx: Tx, name: str, holder: str, now_us: int, until_us: int) -> bool:
    """Hold the lease `name` until `until_us`, if it is free, expired or already ours."""
    params = {"name": name, "holder": holder, "now": now_us, "until": until_us}
    row = tx.one("lease_take", params)
    return row is not None and row[0] == holder


def release_lease(tx: Tx, name: str, holder: str) -> None:
    """Let the lease go early, if we hold it."""
    tx.run("lease_release", {"name": name, "holder": holder})
