"""Support tickets as the ledger stores them: their states, actions and categories, and records.

Tickets sit beside the journal so that approving one and paying its refund commit
together. What a ticket may do next (the transition table) and the desk's policy are
`diagnostics`' concern; this module only names things, once: the enums below feed the
database's CHECK constraints, the transition table, the command choices and the words.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "OPEN_STATES",
    "Ticket",
    "TicketAction",
    "TicketCategory",
    "TicketKind",
    "TicketLogEntry",
    "TicketState",
]


class TicketState(StrEnum):
    """Where a ticket is in its life."""

    OPEN = "open"
    CLAIMED = "claimed"
    APPROVED = "approved"
    DENIED = "denied"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        """Still waiting for the support team (open or claimed)."""
        return self in (TicketState.OPEN, TicketState.CLAIMED)


class TicketAction(StrEnum):
    """Something done to a ticket; each is a row of its log."""

    OPEN = "open"
    CLAIM = "claim"
    NOTE = "note"
    CLOSE = "close"
    APPROVE = "approve"
    DENY = "deny"


class TicketKind(StrEnum):
    """A refund ticket names a generation; a complaint does not."""

    REFUND = "refund"
    COMPLAINT = "complaint"


class TicketCategory(StrEnum):
    """The queue a ticket lands in. Refund tickets are `refund`; complaints the others."""

    REFUND = "refund"
    MISSING_TOKENS = "missing_tokens"
    NOT_REFRESHING = "not_refreshing"
    BILLING = "billing"
    OTHER = "other"


OPEN_STATES = (TicketState.OPEN, TicketState.CLAIMED)


@dataclass(frozen=True, slots=True)
class Ticket:
    """A support ticket as stored; shown as `#id`.

    `failure_reason` is the platform's reason for the generation's failure (refund
    tickets), cut to 1,000 characters when it was reported.
    """

    id: int
    kind: TicketKind
    category: TicketCategory
    state: TicketState
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
    failure_reason: str | None = None

    @property
    def open(self) -> bool:
        """Whether the ticket still waits for the support team."""
        return self.state.is_open


@dataclass(frozen=True, slots=True)
class TicketLogEntry:
    """One thing that happened to a ticket."""

    at_us: int
    actor: str
    action: TicketAction
    from_state: TicketState | None
    to_state: TicketState | None
    note: str | None
