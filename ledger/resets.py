"""Lazy resets: daily expiry and top-up, monthly renewal, rollover, plan end.

`catch_up` computes every reset due up to an instant without touching storage.
Reads use its result as it is; the next write journals its entries, each with the
instant it was due. It writes at most one entry per bucket per due instant, so an
account idle for a year costs at most a few rows per day that really changed it.
"""

from __future__ import annotations

from ledger.cycles import next_midnight, renewal_at
from ledger.plans import FREE, Catalogue
from ledger.state import ACTIVE, BUCKETS, AccountState, Entry

__all__ = ["catch_up", "next_renewal_us", "plan_end"]

_NEVER = 1 << 62


def next_renewal_us(state: AccountState) -> int | None:
    """When the current billing cycle ends, or None for a free account."""
    if state.plan == FREE or state.anchor_us is None:
        return None
    return renewal_at(state.anchor_us, state.cycle + 1)


def catch_up(
    state: AccountState, until_us: int, catalogue: Catalogue
) -> tuple[AccountState, list[Entry]]:
    """Apply every reset due in (state.processed_us, until_us].

    At one instant the order is: daily expiry, renewal (rollover, then the new
    allowance, or the end of a cancelled plan), then the daily grant or top-up.

    Returns:
        The state as of `until_us` and the journal entries for the resets, oldest first.
    """
    entries: list[Entry] = []
    at = state.processed_us
    while True:
        midnight = next_midnight(at)
        renewal = next_renewal_us(state)
        due = min(midnight, renewal if renewal is not None else _NEVER)
        if due > until_us:
            break
        before = state
        if due == midnight:
            state = state._replace(daily=0, relaxed_used=0)
        if due == renewal:
            state = _renew(state, due, catalogue)
        if due == midnight:
            state = _daily_grant(state, catalogue)
        entries.extend(_net_entries(before, state, due))
        at = due
    if until_us > state.processed_us:
        state = state._replace(processed_us=until_us)
    return state, entries


def plan_end(state: AccountState, catalogue: Catalogue) -> AccountState:
    """A paid plan ends: monthly and rollover expire, daily is set to the allowance."""
    return state._replace(
        plan=FREE,
        status=ACTIVE,
        daily=catalogue.daily_allowance,
        monthly=0,
        rollover=0,
        anchor_us=None,
        cycle=0,
        pending_plan=None,
        withheld_renewal=False,
        withheld_upgrade=0,
    )


def _renew(state: AccountState, due: int, catalogue: Catalogue) -> AccountState:
    if state.pending_plan == FREE:
        return plan_end(state, catalogue)
    plan = catalogue[state.pending_plan or state.plan]
    rollover = min(plan.rollover_cap, state.rollover + state.monthly)
    granted = state.status == ACTIVE
    return state._replace(
        plan=plan.id,
        pending_plan=None,
        cycle=state.cycle + 1,
        rollover=rollover,
        monthly=plan.monthly if granted else 0,
        withheld_renewal=not granted,
        withheld_upgrade=0,
    )


def _daily_grant(state: AccountState, catalogue: Catalogue) -> AccountState:
    allowance = catalogue.daily_allowance
    if state.plan == FREE:
        return state._replace(daily=allowance)
    rest = state.monthly + state.rollover
    return state._replace(daily=max(0, allowance - rest))


_KIND = {"daily": "daily_reset", "monthly": "renewal", "rollover": "rollover"}


def _net_entries(before: AccountState, after: AccountState, due: int) -> list[Entry]:
    """One entry per bucket whose balance the instant changed."""
    ended = before.plan != FREE and after.plan == FREE
    entries = []
    for bucket in BUCKETS:
        old, new = before.bucket(bucket), after.bucket(bucket)
        if old != new:
            kind = "expiry" if ended and bucket != "daily" else _KIND[bucket]
            entries.append(Entry(kind, bucket, new - old, new, due))
    return entries
