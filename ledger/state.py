"""The ledger's records as frozen dataclasses: an account, a journal entry, a generation."""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "ACTIVE",
    "BUCKETS",
    "PAST_DUE",
    "AccountState",
    "Entry",
    "Generation",
    "HistoryRow",
]

ACTIVE = "active"
PAST_DUE = "past_due"
BUCKETS = ("daily", "monthly", "rollover")
"""Spendable buckets, in spending order."""


class AccountState(NamedTuple):
    """Everything the rules need to know about one account (immutable).

    A named tuple rather than a dataclass: it is copied on every write, and
    `_replace` costs a tenth of `dataclasses.replace`, which shows in the charge path.

    Instants are integer microseconds since the epoch, UTC. `processed_us` is the
    instant up to which resets have been applied; `last_write_us` the latest write
    (event, refund or adjustment), which late events are applied as of. `low_below`
    travels with the row so that deciding a `low` notice costs no query.
    """

    account_id: str
    plan: str
    status: str
    daily: int
    monthly: int
    rollover: int
    api_credits: int
    anchor_us: int | None
    cycle: int
    pending_plan: str | None
    relaxed_used: int
    withheld_renewal: bool
    withheld_upgrade: int
    processed_us: int
    last_write_us: int
    created_us: int
    discord_user_id: str | None = None
    low_below: int | None = None
    """The linked user's `low` threshold while they want `low` notices (else None)."""

    @property
    def total(self) -> int:
        """Spendable tokens: daily + monthly + rollover (API credits are apart)."""
        return self.daily + self.monthly + self.rollover

    def bucket(self, name: str) -> int:
        """The balance of a bucket by name (`daily`, `monthly`, `rollover`, `api`)."""
        return self.api_credits if name == "api" else getattr(self, name)


class Entry(NamedTuple):
    """One journal row, before it is stored.

    `amount` is signed (+ grant or refund, - charge or expiry); `balance_after` is the
    bucket's balance once the row applies, so the balance before is `balance_after - amount`.
    Rows with `bucket=None` (relaxed usage, a refused charge) record without moving tokens.
    """

    kind: str
    bucket: str | None
    amount: int
    balance_after: int | None
    due_us: int
    reference: str | None = None
    note: str | None = None


class Generation(NamedTuple):
    """A generation the platform reported, with what its charge took from where."""

    generation_id: str
    account_id: str
    source: str
    cost: int
    outcome: str
    """`charged`, `relaxed` (partly or wholly uncovered, run relaxed) or `refused`."""
    status: str
    """`pending`, `succeeded` or `failed`."""
    daily: int
    monthly: int
    rollover: int
    api: int
    relaxed: int
    charged_us: int
    finished_us: int | None = None
    reason: str | None = None
    refunded: bool = False

    @property
    def deducted(self) -> int:
        """Tokens or credits actually taken; only this part is ever refundable."""
        return self.daily + self.monthly + self.rollover + self.api


class HistoryRow(NamedTuple):
    """One journal row as history shows it; `pending` rows are resets due but not yet written."""

    at_us: int
    kind: str
    bucket: str | None
    amount: int
    balance_after: int | None
    reference: str | None
    note: str | None
    pending: bool = False
