"""Tickets: the lifecycle as a transition table, and what a refund ticket needs.

Pure rules: nothing here reads the clock or the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.state import Generation

__all__ = [
    "CATEGORIES",
    "TERMINAL",
    "Refused",
    "Ticket",
    "TicketPolicy",
    "refund_problem",
    "transition",
]

CATEGORIES = ("missing_tokens", "not_refreshing", "billing", "other")
"""Categories of general complaint tickets; refund tickets have the category `refund`."""

TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "claim"): "claimed",
    ("open", "approve"): "approved",
    ("claimed", "approve"): "approved",
    ("open", "deny"): "denied",
    ("claimed", "deny"): "denied",
    ("open", "close"): "closed",
    ("claimed", "close"): "closed",
}
"""(state, action) -> new state. Anything else is refused; notes change no state."""

TERMINAL = frozenset({"approved", "denied", "closed"})
DECISIONS = frozenset({"approve", "deny"})


@dataclass(frozen=True)
class TicketPolicy:
    """Operator settings for tickets.

    Attributes:
        refund_max_age_days: a refund may be asked for this long after the charge.
        max_open_per_user: open tickets one user may have at once.
        auto_approve_up_to: refund tickets for at most this many tokens are approved at
            once by the system (0: off, the default).
    """

    refund_max_age_days: int = 30
    max_open_per_user: int = 3
    auto_approve_up_to: int = 0


@dataclass(frozen=True)
class Ticket:
    """A support ticket as stored. `id` is shown as `#id`."""

    id: int
    kind: str
    category: str
    state: str
    user_id: str
    account_id: str | None
    generation_id: str | None
    tokens: int
    details: str | None
    answers: tuple[tuple[str, str], ...]
    created_us: int
    updated_us: int
    claimed_by: str | None
    first_response_us: int | None
    resolved_us: int | None
    decided_by: str | None
    decision_reason: str | None
    refunded: int
    notice_pending: bool

    @property
    def open(self) -> bool:
        return self.state not in TERMINAL


@dataclass(frozen=True)
class Refused:
    """Why an action on tickets was not done.

    `problem` is a code the bot words for people, for example `not_linked`, `unknown`,
    `not_failed`, `nothing_deducted`, `already_refunded`, `ticket_open`,
    `too_old`, `too_many_open`, `no_ticket`, `illegal` (with `state` and `action`),
    `not_refund`.
    """

    problem: str
    ticket_id: int | None = None
    state: str | None = None
    action: str | None = None


def transition(ticket: Ticket, action: str) -> str | Refused:
    """The state `action` leads to from the ticket's state, or why it cannot."""
    if action in DECISIONS and ticket.kind != "refund":
        return Refused("not_refund", ticket.id, ticket.state, action)
    new = TRANSITIONS.get((ticket.state, action))
    if new is None:
        return Refused("illegal", ticket.id, ticket.state, action)
    return new


def refund_problem(
    generation: Generation | None,
    account_id: str | None,
    open_ticket: int | None,
    now_us: int,
    policy: TicketPolicy,
) -> Refused | None:
    """Why a refund ticket for `generation` cannot be opened by the owner of `account_id`.

    Checks, in the order a person would want to hear them: linked, exists and theirs,
    failed, tokens deducted, not refunded yet, no open ticket, not too old. Another
    account's generation is `unknown`, exactly like one that does not exist: the answer
    must not tell anyone that someone else's generation id is real.
    """
    if account_id is None:
        return Refused("not_linked")
    if generation is None or generation.account_id != account_id:
        return Refused("unknown")
    if generation.status != "failed":
        return Refused("not_failed", state=generation.status)
    if generation.deducted == 0:
        return Refused("nothing_deducted")
    if generation.refunded:
        return Refused("already_refunded")
    if open_ticket is not None:
        return Refused("ticket_open", open_ticket)
    if now_us - generation.charged_us > policy.refund_max_age_days * 86_400_000_000:
        return Refused("too_old")
    return None
