"""Taking and returning tokens: charges, refunds and adjustments.

Pure functions: each takes the account as of the instant (resets already applied)
and returns the new state with the journal entries that explain it.
"""

from __future__ import annotations

from typing import NamedTuple

from ledger.plans import FREE, Catalogue
from ledger.state import ACTIVE, BUCKETS, AccountState, Entry, Generation

__all__ = ["Taken", "adjust", "charge_api", "charge_web", "refund", "relaxed_eligible"]


class Taken(NamedTuple):
    """What a charge took: per bucket, plus relaxed usage that cost nothing."""

    daily: int = 0
    monthly: int = 0
    rollover: int = 0
    api: int = 0
    relaxed: int = 0
    refused: bool = False

    @property
    def outcome(self) -> str:
        if self.refused:
            return "refused"
        return "relaxed" if self.relaxed else "charged"


def relaxed_eligible(state: AccountState, catalogue: Catalogue) -> bool:
    """Relaxed mode applies to active subscriptions of plans that offer it."""
    return catalogue[state.plan].relaxed and state.status == ACTIVE


def _take_in_order(
    state: AccountState, amount: int, kind: str, at: int, reference: str | None, note: str | None
) -> tuple[AccountState, list[Entry], dict[str, int]]:
    taken: dict[str, int] = {}
    entries: list[Entry] = []
    changes: dict[str, int] = {}
    left = amount
    for bucket in BUCKETS:
        have = state.bucket(bucket)
        part = min(have, left)
        if part:
            taken[bucket] = part
            changes[bucket] = have - part
            entries.append(Entry(kind, bucket, -part, have - part, at, reference, note))
            left -= part
    return state._replace(**changes), entries, taken


def charge_web(
    state: AccountState, cost: int, at: int, generation_id: str, catalogue: Catalogue
) -> tuple[AccountState, list[Entry], Taken]:
    """Charge a web generation: daily, then monthly, then rollover.

    When the buckets cannot cover it, an eligible account runs it relaxed (takes what
    is left, records the rest as relaxed usage); any other account's charge is refused.
    """
    total = state.total
    if cost > total and not relaxed_eligible(state, catalogue):
        return state, [Entry("refused", None, 0, None, at, generation_id)], Taken(refused=True)
    state, entries, taken = _take_in_order(
        state, min(cost, total), "charge", at, generation_id, None
    )
    relaxed = cost - total if cost > total else 0
    if relaxed:
        state = state._replace(relaxed_used=state.relaxed_used + relaxed)
        entries.append(Entry("relaxed", None, -relaxed, None, at, generation_id))
    return state, entries, Taken(**taken, relaxed=relaxed)


def charge_api(
    state: AccountState, cost: int, at: int, generation_id: str
) -> tuple[AccountState, list[Entry], Taken]:
    """Charge an API generation to the API credit pool only; refused if it cannot cover it."""
    if cost > state.api_credits:
        return state, [Entry("refused", None, 0, None, at, generation_id)], Taken(refused=True)
    left = state.api_credits - cost
    entry = Entry("charge", "api", -cost, left, at, generation_id)
    return state._replace(api_credits=left), [entry], Taken(api=cost)


def refund(
    state: AccountState, generation: Generation, at: int, reference: str, catalogue: Catalogue
) -> tuple[AccountState, list[Entry]]:
    """Return exactly what a generation's charge deducted, to the buckets it came from.

    Tokens go back to the current bucket of the same kind; a kind the account no longer
    has (monthly or rollover on a now-free account) goes to the daily bucket. The rollover
    bank may exceed its cap here; the cap applies at the next renewal.
    """
    back: dict[str, int] = {}
    for bucket in BUCKETS:
        amount = getattr(generation, bucket)
        if amount:
            target = "daily" if state.plan == FREE and bucket != "daily" else bucket
            back[target] = back.get(target, 0) + amount
    if generation.api:
        back["api"] = generation.api
    entries = []
    changes: dict[str, int] = {}
    for bucket, amount in back.items():
        after = state.bucket(bucket) + amount
        changes["api_credits" if bucket == "api" else bucket] = after
        entries.append(Entry("refund", bucket, amount, after, at, reference))
    return state._replace(**changes), entries


def adjust(
    state: AccountState, amount: int, at: int, actor: str, reason: str, catalogue: Catalogue
) -> tuple[AccountState, list[Entry]]:
    """A moderator's manual grant (+) or deduction (-).

    A grant goes to the daily bucket of a free account and the monthly bucket of a paid
    one. A deduction takes in spending order, never below zero; the entries record only
    what was actually taken (a single zero entry when there was nothing to take).
    """
    if amount >= 0:
        bucket = "daily" if state.plan == FREE else "monthly"
        after = state.bucket(bucket) + amount
        entry = Entry("adjustment", bucket, amount, after, at, actor, reason)
        return state._replace(**{bucket: after}), [entry]
    state, entries, _ = _take_in_order(state, -amount, "adjustment", at, actor, reason)
    return state, entries or [Entry("adjustment", None, 0, None, at, actor, reason)]
