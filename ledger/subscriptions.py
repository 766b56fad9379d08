"""Opening accounts, plan changes and payments."""

from __future__ import annotations

from ledger.plans import FREE, Catalogue
from ledger.state import ACTIVE, PAST_DUE, AccountState, Entry

__all__ = ["change_plan", "open_account", "payment_failed", "payment_succeeded"]


def open_account(
    account_id: str, plan_id: str, at: int, reference: str, catalogue: Catalogue
) -> tuple[AccountState, list[Entry]]:
    """A new account: free gets its daily allowance at once, paid its full monthly allowance."""
    plan = catalogue[plan_id]
    state = AccountState(
        account_id=account_id,
        plan=plan.id,
        status=ACTIVE,
        daily=0,
        monthly=0,
        rollover=0,
        api_credits=0,
        anchor_us=None,
        cycle=0,
        pending_plan=None,
        relaxed_used=0,
        withheld_renewal=False,
        withheld_upgrade=0,
        processed_us=at,
        last_write_us=at,
        created_us=at,
    )
    if plan.paid:
        state = state._replace(anchor_us=at, monthly=plan.monthly)
        return state, [Entry("grant", "monthly", plan.monthly, plan.monthly, at, reference)]
    daily = catalogue.daily_allowance
    return state._replace(daily=daily), [Entry("grant", "daily", daily, daily, at, reference)]


def change_plan(
    state: AccountState, plan_id: str, at: int, reference: str, catalogue: Catalogue
) -> tuple[AccountState, list[Entry]]:
    """`subscription.changed`: subscribe and upgrade now, downgrade and cancel at renewal.

    A change to the current plan clears a pending downgrade or cancel; any later change
    replaces a pending one.
    """
    current, new = catalogue[state.plan], catalogue[plan_id]
    if new.id == current.id:
        return state._replace(pending_plan=None), []
    if current.id == FREE:
        state = state._replace(
            plan=new.id,
            status=ACTIVE,
            anchor_us=at,
            cycle=0,
            pending_plan=None,
            withheld_renewal=False,
            withheld_upgrade=0,
        )
        return _grant_monthly(state, new.monthly, at, reference)
    if new.id == FREE or (new.monthly, new.rank) < (current.monthly, current.rank):
        return state._replace(pending_plan=new.id), []
    difference = new.monthly - current.monthly
    state = state._replace(plan=new.id, pending_plan=None)
    if state.status == PAST_DUE:
        if not state.withheld_renewal:
            state = state._replace(withheld_upgrade=state.withheld_upgrade + difference)
        return state, []
    return _grant_monthly(state, difference, at, reference)


def payment_failed(state: AccountState) -> AccountState:
    """The subscription is `past_due`: renewals withhold the monthly grant until paid."""
    return state._replace(status=PAST_DUE)


def payment_succeeded(
    state: AccountState, at: int, reference: str, catalogue: Catalogue
) -> tuple[AccountState, list[Entry]]:
    """Active again, granting what the current cycle withheld.

    That is the current plan's full allowance if the renewal grant was withheld, else
    the upgrade differences withheld while `past_due`.
    """
    if state.status != PAST_DUE:
        return state, []
    owed = catalogue[state.plan].monthly if state.withheld_renewal else state.withheld_upgrade
    state = state._replace(status=ACTIVE, withheld_renewal=False, withheld_upgrade=0)
    return _grant_monthly(state, owed, at, reference)


def _grant_monthly(
    state: AccountState, amount: int, at: int, reference: str
) -> tuple[AccountState, list[Entry]]:
    if amount <= 0:
        return state, []
    monthly = state.monthly + amount
    return state._replace(monthly=monthly), [
        Entry("grant", "monthly", amount, monthly, at, reference)
    ]
