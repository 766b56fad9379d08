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
    "RATINGS",
    "Ticket",
    "TicketAction",
    "TicketCategory",
    "TicketKind",
    "TicketLogEntry",
    "TicketReply",
    "TicketSide",
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
    REPLY = "reply"
    """The support team wrote to the user."""
    ANSWER = "answer"
    """The user answered the support team."""
    RATE = "rate"
    """The user rated how the ticket went."""


class TicketSide(StrEnum):
    """Who wrote last in a ticket's conversation."""

    STAFF = "staff"
    USER = "user"


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
RATINGS = range(1, 6)
"""The scores a user may give a ticket: 1 to 5."""


@dataclass(frozen=True, slots=True)
class Ticket:
    """A support ticket as stored; shown as `#id`.

    `failure_reason` is the platform's reason for the generation's failure (refund
    tickets), cut to 1,000 characters when it was reported.

    Where it lives in the triage channel: `triage_message_id` and `thread_id` (Discord
    ids as text, set once the message and its thread exist). The conversation:
    `last_reply_by` (staff or user) and `last_reply_us`. Timed jobs: `reminded_us` (the
    SLA reminder was decided), `warned_us` (the user was warned of auto-close for the
    current wait). `rating` (1 to 5) and `rated_us` once the user rated it. A `quiet`
    ticket (opened approved by an incident, in bulk) has no triage message, thread
    lines or rating request.
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
    triage_message_id: str | None = None
    thread_id: str | None = None
    last_reply_by: TicketSide | None = None
    last_reply_us: int | None = None
    reminded_us: int | None = None
    warned_us: int | None = None
    rating: int | None = None
    rated_us: int | None = None
    quiet: bool = False
    failure_reason: str | None = None

    @property
    def open(self) -> bool:
        """Whether the ticket still waits for the support team."""
        return self.state.is_open

    @property
    def waiting_on_user(self) -> bool:
        """Open, and the support team wrote last: the next move is the user's."""
        return self.open and self.last_reply_by is TicketSide.STAFF

    def overdue(self, now_us: int, sla_us: int) -> bool:
        """Open with no staff response for longer than `sla_us`."""
        return self.open and self.first_response_us is None and now_us - self.created_us > sla_us


@dataclass(frozen=True, slots=True)
class TicketLogEntry:
    """One thing that happened to a ticket."""

    at_us: int
    actor: str
    action: TicketAction
    from_state: TicketState | None
    to_state: TicketState | None
    note: str | None


@dataclass(frozen=True, slots=True)
class TicketReply:
    """A message the support team sent a user about a ticket.

    `waiting` while the user has not received it: their DMs were closed (or it is not
    delivered yet); it then waits for them in `/tickets`.
    """

    id: int
    ticket_id: int
    user_id: str
    at_us: int
    actor: str
    text: str
    waiting: bool
