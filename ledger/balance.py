"""What a balance read shows, computed from an account as of an instant."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.cycles import next_midnight
from ledger.plans import FREE, Catalogue
from ledger.resets import next_renewal_us
from ledger.spending import relaxed_eligible
from ledger.state import AccountState

__all__ = ["Balance", "DailyPreview", "RenewalPreview", "balance_of"]


@dataclass(frozen=True, slots=True)
class DailyPreview:
    """What the next 00:00 UTC will do to the daily bucket."""

    at_us: int
    expires: int
    sets_to: int


@dataclass(frozen=True, slots=True)
class RenewalPreview:
    """What the end of the current billing cycle will do, if nothing changes before it."""

    at_us: int
    plan_after: str
    ends_plan: bool
    rolls_over: int
    rollover_expires: int
    rollover_after: int
    rollover_cap_after: int
    grant: int
    withheld: bool


@dataclass(frozen=True, slots=True)
class Balance:
    """An account as a balance read shows it."""

    account_id: str
    plan: str
    status: str
    daily: int
    monthly: int
    rollover: int
    total: int
    display_total: int
    rollover_cap: int
    relaxed_eligible: bool
    relaxed_active: bool
    relaxed_used_today: int
    api_credits: int
    next_daily_reset_us: int
    next_renewal_us: int | None
    pending_plan: str | None
    discord_user_id: str | None
    daily_preview: DailyPreview
    renewal_preview: RenewalPreview | None


def balance_of(state: AccountState, now_us: int, catalogue: Catalogue) -> Balance:
    """The balance of an account whose resets are applied up to `now_us`."""
    plan = catalogue[state.plan]
    eligible = relaxed_eligible(state, catalogue)
    active = eligible and state.total == 0
    display = -state.relaxed_used if state.total == 0 and state.relaxed_used else state.total
    renewal = next_renewal_us(state)
    midnight = next_midnight(now_us)
    return Balance(
        account_id=state.account_id,
        plan=state.plan,
        status=state.status,
        daily=state.daily,
        monthly=state.monthly,
        rollover=state.rollover,
        total=state.total,
        display_total=display,
        rollover_cap=plan.rollover_cap,
        relaxed_eligible=eligible,
        relaxed_active=active,
        relaxed_used_today=state.relaxed_used,
        api_credits=state.api_credits,
        next_daily_reset_us=midnight,
        next_renewal_us=renewal,
        pending_plan=state.pending_plan,
        discord_user_id=state.discord_user_id,
        daily_preview=_daily_preview(state, midnight, renewal, catalogue),
        renewal_preview=None if renewal is None else _renewal_preview(state, renewal, catalogue),
    )


def _daily_preview(
    state: AccountState, midnight: int, renewal: int | None, catalogue: Catalogue
) -> DailyPreview:
    allowance = catalogue.daily_allowance
    if state.plan == FREE or (renewal == midnight and state.pending_plan == FREE):
        return DailyPreview(midnight, state.daily, allowance)
    rest = state.monthly + state.rollover
    if renewal == midnight:
        preview = _renewal_preview(state, renewal, catalogue)
        rest = preview.rollover_after + preview.grant
    return DailyPreview(midnight, state.daily, max(0, allowance - rest))


def _renewal_preview(state: AccountState, at: int, catalogue: Catalogue) -> RenewalPreview:
    if state.pending_plan == FREE:
        return RenewalPreview(
            at_us=at,
            plan_after=FREE,
            ends_plan=True,
            rolls_over=0,
            rollover_expires=state.monthly + state.rollover,
            rollover_after=0,
            rollover_cap_after=0,
            grant=0,
            withheld=False,
        )
    plan = catalogue[state.pending_plan or state.plan]
    after = min(plan.rollover_cap, state.rollover + state.monthly)
    withheld = state.status != "active"
    return RenewalPreview(
        at_us=at,
        plan_after=plan.id,
        ends_plan=False,
        rolls_over=max(0, after - state.rollover),
        rollover_expires=state.rollover + state.monthly - after,
        rollover_after=after,
        rollover_cap_after=plan.rollover_cap,
        grant=0 if withheld else plan.monthly,
        withheld=withheld,
    )
