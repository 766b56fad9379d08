"""Notification choices and decided notices, through a `Tx`."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.notices import Notice, NotifyChoices
from ledger.outbox import OutboxKind, OutboxOutcome
from ledger.state import AccountState
from ledger.store.database import Shape, Tx
from ledger.store.outbox_queries import CHOICE_COLUMNS
from ledger.store.outbox_records import add_item
from ledger.store.records import ACCOUNT

__all__ = ["add_notices", "choices_of", "rollover_watch", "save_choices", "with_user_choices"]

CHOICES = Shape(
    CHOICE_COLUMNS,
    lambda v: NotifyChoices(
        failed=bool(v[0]),
        low=bool(v[1]),
        low_threshold=int(v[2]),
        rollover=bool(v[3]),
        payment=bool(v[4]),
    ),
)


def choices_of(tx: Tx, user_id: str) -> NotifyChoices:
    """A user's choices (the defaults until they chose)."""
    found = tx.fetch("choices", {"user": user_id}, CHOICES)
    return NotifyChoices() if found is None else found


def save_choices(tx: Tx, user_id: str, choices: NotifyChoices, now_us: int) -> None:
    """Store a user's choices, and their `low` threshold on the account they are linked to."""
    tx.run(
        "choices_save",
        {
            "user": user_id,
            "on_failed": choices.failed,
            "on_low": choices.low,
            "low_threshold": choices.low_threshold,
            "on_rollover": choices.rollover,
            "on_payment": choices.payment,
            "now": now_us,
        },
    )
    tx.run("choices_to_account", {"user": user_id, "low_below": choices.low_below})


def with_user_choices(tx: Tx, state: AccountState) -> AccountState:
    """The account with its (new) linked user's `low` threshold, as the row keeps it."""
    user = state.discord_user_id
    low_below = None if user is None else choices_of(tx, user).low_below
    return state if low_below == state.low_below else state._replace(low_below=low_below)


def add_notices(tx: Tx, notices: Sequence[Notice], now_us: int) -> int:
    """Add decided notices to the outbox as DMs; one with nobody to tell is kept as done.

    Returns:
        How many were added (a notice whose key exists is not added again).
    """
    added = 0
    for notice in notices:
        added += add_item(
            tx,
            OutboxKind.DM,
            notice.topic.value,
            notice.payload,
            now_us,
            user_id=notice.user_id,
            key=notice.key,
            done_as=OutboxOutcome.UNREACHABLE if notice.user_id is None else None,
        )
    return added


def rollover_watch(tx: Tx) -> list[AccountState]:
    """Paid accounts whose linked user wants `rollover` notices."""
    return tx.fetch_all("rollover_watch", {}, ACCOUNT)
