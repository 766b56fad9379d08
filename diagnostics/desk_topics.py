"""What the desk tells people, as outbox topics: one name per kind of message.

The desk decides each item in the transaction that makes it true; the bot registers a
handler per (kind, topic) and words the message. Names only: no sentence lives here.
"""

from __future__ import annotations

__all__ = [
    "CLOSING_WARNING",
    "DECISION_NOTICE",
    "RATING_REQUEST",
    "REPLY_NOTICE",
    "SLA_REMINDER",
    "SYSTEM",
    "SYSTEM_NO_ANSWER",
    "THREAD_LINE",
    "TRIAGE_REFRESH",
]

SYSTEM = "system"
"""The actor of what the desk does by itself (an auto-approval)."""
SYSTEM_NO_ANSWER = "system:no-answer"
"""The actor of an auto-close: the user did not answer the support team in time."""

DECISION_NOTICE = "decision"
"""DM: a user's refund ticket was approved or denied."""
REPLY_NOTICE = "reply"
"""DM: the support team wrote to the user about a ticket (payload `reply_id`)."""
RATING_REQUEST = "rating"
"""DM: "How did we do?", once per ticket, when it is decided or closed."""
CLOSING_WARNING = "closing"
"""DM: the ticket closes in a day unless the user answers (payload `close_at_us`)."""
TRIAGE_REFRESH = "ticket"
"""TRIAGE: post the ticket's triage message and thread, or bring it up to date."""
THREAD_LINE = "line"
"""THREAD: one action or message on the ticket, as a line in its thread."""
SLA_REMINDER = "sla"
"""THREAD: the ticket waited past the SLA for a first response; mention the support role."""
