"""Incidents: which failures an incident refunds, what the refunds pay, when to alert (pure).

An incident refund names a window of instants at which failures were reported (both
ends included) and, optionally, a model. It refunds every generation that failed after
its charge deducted something, was reported in the window and is not refunded yet.
The desk pays them in batches (`diagnostics.incidents`); `plan_refunds` works out one
batch's payments in memory, as `ledger.operations.refund_op` would have paid them one
at a time.

An alert is decided where failures are applied, in the same transaction: when at least
the threshold of one model's generations failed within `ALERT_WINDOW_US` (up to the
latest failure applied), and no alert of that model covers an instant within
`ALERT_SPACING_US` of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ledger.plans import Catalogue
from ledger.refunds import Refunded, refund_problem
from ledger.resets import catch_up
from ledger.spending import refund
from ledger.state import AccountState, Entry, Generation

__all__ = [
    "ALERT_SPACING_US",
    "ALERT_WINDOW_US",
    "DEFAULT_INCIDENT_THRESHOLD",
    "INCIDENT_ALERT",
    "INCIDENT_BATCH",
    "Alert",
    "FailureCount",
    "IncidentWindow",
    "RefundPlan",
    "alert_for",
    "plan_refunds",
]

MINUTE_US = 60_000_000
ALERT_WINDOW_US = 15 * MINUTE_US
"""Failures of one model counted together for an alert."""
ALERT_SPACING_US = 60 * MINUTE_US
"""At most one alert per model within this much of another."""
DEFAULT_INCIDENT_THRESHOLD = 20
INCIDENT_BATCH = 100
"""Generations an incident refunds per transaction."""
INCIDENT_ALERT = "incident"
"""The outbox topic of an alert (kind CHANNEL): a message in the triage channel."""


@dataclass(frozen=True, slots=True)
class IncidentWindow:
    """The failures an incident refunds: reported from `since_us` to `until_us`, both
    included, of `model` only when it is given."""

    since_us: int
    until_us: int
    model: str | None = None

    def __post_init__(self) -> None:
        if self.until_us < self.since_us:
            raise ValueError("the window ends before it starts")


@dataclass
class RefundPlan:
    """What one batch of incident refunds writes.

    Attributes:
        accounts: each account refunded, as it stands after its refunds (and resets).
        before: each of those accounts as it was read.
        journal: (account id, entry) in the order the entries were made.
        refunds: (generation, reference) of each refund paid, in order.
        paid: what each refund returned.
    """

    accounts: dict[str, AccountState] = field(default_factory=dict)
    before: dict[str, AccountState] = field(default_factory=dict)
    journal: list[tuple[str, Entry]] = field(default_factory=list)
    refunds: list[tuple[Generation, str]] = field(default_factory=list)
    paid: list[Refunded] = field(default_factory=list)


def plan_refunds(
    accounts: dict[str, AccountState],
    refunds: Sequence[tuple[Generation, str]],
    now_us: int,
    catalogue: Catalogue,
) -> RefundPlan:
    """Pay each (generation, reference) in order against the accounts as read, in memory.

    A generation that cannot be refunded (already refunded, not failed, nothing
    deducted) is left out. Each account first catches up on the resets due up to the
    refund's instant (the present, or the account's latest write if later), as a single
    refund would.
    """
    plan = RefundPlan()
    for gen, reference in refunds:
        if refund_problem(gen) is not None:
            continue
        account_id = gen.account_id
        state = plan.accounts.get(account_id)
        if state is None:
            read = accounts.get(account_id)
            if read is None:
                continue
            plan.before[account_id] = read
            state = read
        at = max(now_us, state.last_write_us)
        state, due = catch_up(state, at, catalogue)
        state, paid = refund(state, gen, at, reference, catalogue)
        plan.accounts[account_id] = state._replace(last_write_us=at)
        plan.journal.extend((account_id, e) for e in due + paid)
        plan.refunds.append((gen, reference))
        amounts = {e.bucket or "": e.amount for e in paid}
        plan.paid.append(Refunded(gen.generation_id, account_id, amounts))
    return plan


@dataclass(frozen=True, slots=True)
class FailureCount:
    """One model's failures within an alert's window: how many, over how many accounts,
    and the tokens (and API credits) their charges deducted that are not refunded."""

    failures: int
    accounts: int
    tokens: int


@dataclass(frozen=True, slots=True)
class Alert:
    """An incident alert to post: the model, the window it counted, and what it covers.

    `covers_until_us` is where the `Refund all` button's window ends: the alert stands
    for the model's failures until another alert of it may be posted.
    """

    model: str
    at_us: int
    since_us: int
    covers_until_us: int
    count: FailureCount

    @property
    def hour_us(self) -> int:
        """The hour of `at_us`: with the model, the alert's unique key."""
        return self.at_us - self.at_us % ALERT_SPACING_US


def alert_for(model: str, at_us: int, count: FailureCount, threshold: int) -> Alert | None:
    """The alert due for `model` at its latest failure `at_us`, or None below the threshold.

    Args:
        model: the model.
        at_us: the latest of its failures just applied.
        count: its failures reported from `at_us - ALERT_WINDOW_US` to `at_us`.
        threshold: failures within the window that raise an alert.
    """
    if count.failures < max(1, threshold):
        return None
    since = at_us - ALERT_WINDOW_US
    return Alert(model, at_us, since, at_us + ALERT_SPACING_US, count)
