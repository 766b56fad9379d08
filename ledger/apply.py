"""Applying one validated event to an account: the pure decision.

`decide` takes the account (or None), the generation the event names (or None),
the event and the present, and returns what to store or why the event is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ledger.events import Event
from ledger.notices import Notice, deduction_notices, failure_notices, payment_notices
from ledger.plans import FREE, Catalogue
from ledger.resets import catch_up
from ledger.spending import charge_api, charge_web
from ledger.state import AccountState, Entry, Generation
from ledger.subscriptions import change_plan, open_account, payment_failed, payment_succeeded

__all__ = ["FUTURE_TOLERANCE_US", "Decision", "Rejection", "decide"]

FUTURE_TOLERANCE_US = 5 * 60 * 1_000_000


class Decision(NamedTuple):
    """What an accepted event does: the new state, its journal rows, its generation record."""

    state: AccountState
    entries: list[Entry]
    outcome: str
    """`applied`, `late` or `refused`."""
    reason: str | None = None
    generation: Generation | None = None
    new_account: bool = False
    new_generation: bool = False
    notices: tuple[Notice, ...] = ()
    """Direct messages the event calls for (`ledger.notices`), decided with it."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an event was rejected; nothing of it is stored."""

    reason: str


def decide(
    state: AccountState | None,
    generation: Generation | None,
    event: Event,
    now_us: int,
    catalogue: Catalogue,
    *,
    charged_before: bool = False,
) -> Decision | Rejection:
    """Decide what `event` does to `state` at the present `now_us`.

    Args:
        state: the account the event names, or None if there is none.
        generation: the generation a finishing event names, or None if there is none.
        event: the validated event.
        now_us: the present.
        catalogue: the plans.
        charged_before: for a charge, whether its generation id was ever charged.
    """
    if event.at_us > now_us + FUTURE_TOLERANCE_US:
        minutes = FUTURE_TOLERANCE_US // 60_000_000
        return Rejection(f"at is more than {minutes} minutes in the future")
    if event.type == "account.created":
        if state is not None:
            return Rejection(f"account {event.account_id!r} already exists")
        opened, entries = open_account(
            event.account_id, event.plan or FREE, event.at_us, event.id, catalogue
        )
        opened = opened._replace(discord_user_id=event.discord_user_id)
        return Decision(opened, entries, "applied", new_account=True)
    if state is None:
        return Rejection(f"unknown account {event.account_id!r}")
    late = event.at_us < state.last_write_us
    at = max(event.at_us, state.last_write_us)
    state, entries = catch_up(state, at, catalogue)
    result = _dispatch(state, generation, event, at, catalogue, charged_before)
    if isinstance(result, Rejection):
        return result
    new_state, more, refused_reason, gen, new_gen = result
    new_state = new_state._replace(last_write_us=at)
    outcome, reason = "applied", None
    if late:
        outcome, reason = "late", "arrived late: applied as of the account's latest write"
    if refused_reason:
        outcome = "refused"
        reason = refused_reason + (" (arrived late)" if late else "")
    notices = _notices(event.type, new_state, more, gen, refused_reason is not None)
    return Decision(
        new_state, entries + more, outcome, reason, gen, new_generation=new_gen, notices=notices
    )


def _notices(
    kind: str, state: AccountState, made: list[Entry], gen: Generation | None, refused: bool
) -> tuple[Notice, ...]:
    """What to tell the user about the event (the resets before it never count)."""
    if kind == "generation.charged":
        if refused or state.low_below is None:  # the common case: nothing to decide
            return ()
        return tuple(deduction_notices(state, made, "charge"))
    if kind == "generation.failed":
        return tuple(failure_notices(state, gen))
    if kind == "payment.failed":
        return tuple(payment_notices(state))
    return ()


_Result = tuple[AccountState, list[Entry], str | None, Generation | None, bool]


def _dispatch(
    state: AccountState,
    generation: Generation | None,
    event: Event,
    at: int,
    catalogue: Catalogue,
    charged_before: bool,
) -> _Result | Rejection:
    kind = event.type
    if kind == "account.linked":
        return state._replace(discord_user_id=event.discord_user_id), [], None, None, False
    if kind == "subscription.changed":
        changed, entries = change_plan(state, event.plan or FREE, at, event.id, catalogue)
        return changed, entries, None, None, False
    if kind.startswith("payment.") and state.plan == FREE:
        return Rejection("payment events do not apply to a free account")
    if kind == "payment.failed":
        return payment_failed(state), [], None, None, False
    if kind == "payment.succeeded":
        paid, entries = payment_succeeded(state, at, event.id, catalogue)
        return paid, entries, None, None, False
    if kind == "api_credits.added":
        amount = event.amount or 0
        after = state.api_credits + amount
        entry = Entry("grant", "api", amount, after, at, event.id)
        return state._replace(api_credits=after), [entry], None, None, False
    if kind == "generation.charged":
        return _charge(state, charged_before or generation is not None, event, at, catalogue)
    return _finish(state, generation, event, at)


def _charge(
    state: AccountState,
    charged_before: bool,
    event: Event,
    at: int,
    catalogue: Catalogue,
) -> _Result | Rejection:
    gid, cost = event.generation_id or "", event.cost or 0
    if charged_before:
        return Rejection(f"generation_id {gid!r} was already charged")
    if event.source == "api":
        state, entries, taken = charge_api(state, cost, at, gid)
    else:
        state, entries, taken = charge_web(state, cost, at, gid, catalogue)
    record = Generation(
        generation_id=gid,
        account_id=state.account_id,
        source=event.source or "web",
        cost=cost,
        outcome=taken.outcome,
        status="pending",
        daily=taken.daily,
        monthly=taken.monthly,
        rollover=taken.rollover,
        api=taken.api,
        relaxed=taken.relaxed,
        charged_us=at,
    )
    pool = "API credits" if event.source == "api" else "tokens"
    refused = f"not enough {pool} to cover {cost:,}" if taken.refused else None
    return state, entries, refused, record, True


def _finish(
    state: AccountState, generation: Generation | None, event: Event, at: int
) -> _Result | Rejection:
    gid = event.generation_id
    if generation is None or generation.account_id != state.account_id:
        return Rejection(f"unknown generation_id {gid!r} for this account")
    if generation.status != "pending":
        return Rejection(f"generation {gid!r} already {generation.status}")
    status = "succeeded" if event.type == "generation.succeeded" else "failed"
    finished = generation._replace(status=status, finished_us=at, reason=event.reason)
    # A failure moves no tokens, but history should say it happened (and why): one row
    # with no bucket, like a refused charge.
    entries = [Entry("failed", None, 0, None, at, gid, event.reason)] if status == "failed" else []
    return state, entries, None, finished, False
