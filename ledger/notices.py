"""Direct messages people choose (SPEC 6): what is worth telling them, and when (pure).

A notice is decided where its cause is applied, in the same transaction: a failed
generation that had been charged (`failed`), a charge or a moderator's deduction that
takes the spendable total below the user's threshold (`low`), a failed payment
(`payment`). `rollover` is decided by a timed job three days before a renewal at which
tokens will be lost to the bank's cap. Every notice becomes an outbox item (a DM); the
bot words and delivers it, and skips it if the user no longer wants that kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, NamedTuple

from ledger.balance import balance_of
from ledger.cycles import DAY_US
from ledger.plans import Catalogue
from ledger.resets import next_renewal_us
from ledger.state import BUCKETS, AccountState, Entry, Generation

__all__ = [
    "DEFAULT_LOW_THRESHOLD",
    "MAX_LOW_THRESHOLD",
    "MAX_REASON",
    "ROLLOVER_NOTICE_US",
    "Notice",
    "NoticeTopic",
    "NotifyChoices",
    "deduction_notices",
    "failure_notices",
    "payment_notices",
    "rollover_notice",
]

DEFAULT_LOW_THRESHOLD = 1_000
"""The `low` threshold until a user sets their own."""
MAX_LOW_THRESHOLD = 1_000_000_000_000
ROLLOVER_NOTICE_US = 3 * DAY_US
"""How long before a renewal the `rollover` notice is decided."""
MAX_REASON = 300
"""Characters of a failure's reason a notice keeps."""


class NoticeTopic(StrEnum):
    """The kinds of direct message a user can choose (`/notify`)."""

    FAILED = "failed"
    LOW = "low"
    ROLLOVER = "rollover"
    PAYMENT = "payment"


@dataclass(frozen=True, slots=True)
class NotifyChoices:
    """Which direct messages a user wants. Only `failed` is on until they choose.

    Attributes:
        failed: a generation of theirs failed after it was charged.
        low: the spendable total fell below `low_threshold`.
        low_threshold: the threshold for `low` (kept while `low` is off).
        rollover: tokens will be lost to the rollover cap at the next renewal.
        payment: a payment failed.
    """

    failed: bool = True
    low: bool = False
    low_threshold: int = DEFAULT_LOW_THRESHOLD
    rollover: bool = False
    payment: bool = False

    def wants(self, topic: NoticeTopic | str) -> bool:
        """Whether the user wants notices of this kind."""
        return bool(getattr(self, NoticeTopic(topic).value))

    @property
    def low_below(self) -> int | None:
        """What the account row keeps: the threshold while `low` is on, else None."""
        return self.low_threshold if self.low else None

    def toggled(self, topic: NoticeTopic | str) -> NotifyChoices:
        """The same choices with one kind switched the other way."""
        name = NoticeTopic(topic).value
        return replace(self, **{name: not getattr(self, name)})

    def with_threshold(self, threshold: int) -> NotifyChoices:
        """`low` on, at a new threshold.

        Raises:
            ValueError: the threshold is not between 1 and `MAX_LOW_THRESHOLD`.
        """
        if not 1 <= threshold <= MAX_LOW_THRESHOLD:
            raise ValueError(f"the threshold must be between 1 and {MAX_LOW_THRESHOLD:,}")
        return replace(self, low=True, low_threshold=threshold)


class Notice(NamedTuple):
    """A direct message to decide: its kind, what the bot needs to word it, and to whom.

    `user_id` is None when the account has no linked Discord user: the notice is then
    kept as delivered to nobody. A `key` makes it unique (decided once).
    """

    topic: NoticeTopic
    payload: dict[str, Any]
    user_id: str | None
    key: str | None = None


def failure_notices(state: AccountState, generation: Generation | None) -> list[Notice]:
    """`failed`: a generation failed after its charge deducted something."""
    if generation is None or generation.status != "failed" or generation.deducted <= 0:
        return []
    payload = {
        "account_id": state.account_id,
        "generation_id": generation.generation_id,
        "source": generation.source,
        "deducted": generation.deducted,
        "reason": (generation.reason or "")[:MAX_REASON] or None,
    }
    gid = generation.generation_id
    return [Notice(NoticeTopic.FAILED, payload, state.discord_user_id, f"failed:{gid}")]


def payment_notices(state: AccountState) -> list[Notice]:
    """`payment`: a payment of the account's plan failed."""
    payload = {"account_id": state.account_id, "plan": state.plan}
    return [Notice(NoticeTopic.PAYMENT, payload, state.discord_user_id)]


def deduction_notices(after: AccountState, entries: Sequence[Entry], kind: str) -> list[Notice]:
    """`low`: the entries of `kind` (a charge, a deduction) took the total below the threshold.

    Only a crossing counts: the total was at or above the threshold just before those
    entries, and is below it after. Resets due before them do not count as crossing.
    """
    threshold = after.low_below
    if threshold is None:
        return []
    taken = -sum(e.amount for e in entries if e.kind == kind and e.bucket in BUCKETS)
    total = after.total
    if taken <= 0 or not total < threshold <= total + taken:
        return []
    payload = {"account_id": after.account_id, "total": total, "threshold": threshold}
    return [Notice(NoticeTopic.LOW, payload, after.discord_user_id)]


def rollover_notice(state: AccountState, now_us: int, catalogue: Catalogue) -> Notice | None:
    """`rollover`: tokens will be lost to the cap at a renewal at most three days away.

    Args:
        state: the account, its resets applied up to `now_us`.
        now_us: the present.
        catalogue: the plans.
    """
    renewal = next_renewal_us(state)
    if renewal is None or not now_us < renewal <= now_us + ROLLOVER_NOTICE_US:
        return None
    preview = balance_of(state, now_us, catalogue).renewal_preview
    if preview is None or preview.ends_plan or preview.rollover_expires <= 0:
        return None
    payload = {
        "account_id": state.account_id,
        "lost": preview.rollover_expires,
        "renewal_us": renewal,
        "cap": preview.rollover_cap_after,
    }
    key = f"rollover:{state.account_id}:{renewal}"
    return Notice(NoticeTopic.ROLLOVER, payload, state.discord_user_id, key)
