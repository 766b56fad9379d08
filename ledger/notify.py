"""Units of work for direct messages: a user's choices, and the timed `rollover` notices."""

from __future__ import annotations

from collections.abc import Callable

from ledger.notices import NotifyChoices, rollover_notice
from ledger.plans import Catalogue
from ledger.resets import catch_up
from ledger.store import notify_records, records
from ledger.store.database import Tx

__all__ = ["ROLLOVER_JOB", "change_choices_op", "choices_op", "rollover_notices_op"]

ROLLOVER_JOB = "rollover-notices"
"""The lease that lets one process at a time decide `rollover` notices."""


def choices_op(tx: Tx, user_id: str) -> NotifyChoices | None:
    """A linked user's choices; None when the user is linked to no account."""
    if records.account_for_user(tx, user_id) is None:
        return None
    return notify_records.choices_of(tx, user_id)


def change_choices_op(
    tx: Tx, user_id: str, change: Callable[[NotifyChoices], NotifyChoices], now_us: int
) -> NotifyChoices | None:
    """Apply `change` to a linked user's stored choices; None when the user is not linked.

    The change is applied to the choices as stored now (not as a button last showed
    them), so two quick presses toggle twice instead of losing one.
    """
    if records.account_for_user(tx, user_id) is None:
        return None
    chosen = change(notify_records.choices_of(tx, user_id))
    notify_records.save_choices(tx, user_id, chosen, now_us)
    return chosen


def rollover_notices_op(tx: Tx, now_us: int, catalogue: Catalogue) -> int:
    """Decide `rollover` notices for renewals at most three days away; how many are new.

    Each notice's key names the account and the renewal, so running this again (or in
    another process) decides nothing twice.
    """
    added = 0
    for state in notify_records.rollover_watch(tx):
        current, _ = catch_up(state, now_us, catalogue)
        notice = rollover_notice(current, now_us, catalogue)
        if notice is not None:
            added += notify_records.add_notices(tx, [notice], now_us)
    return added
