"""The outbox: things to tell people, decided in the transaction that makes them true.

A ticket decision, a failed generation, an SLA reminder: whatever writes the change
also writes what must be said about it, here, in the same transaction. Any running bot
process then claims items with a lease and delivers them (a DM, a message in a ticket's
thread, a refreshed triage message). An item whose lease ran out (its process died
mid-delivery) is claimed again; the deliverer makes a retry harmless (Discord's message
`nonce` with `enforce_nonce`), so each is said once. Items decided while no bot runs
wait for one.

A `key` makes an item unique: adding one whose key exists adds nothing, so a timed job
that runs twice (two processes, a restart) decides each thing once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["OutboxItem", "OutboxKind", "OutboxOutcome"]


class OutboxKind(StrEnum):
    """Where an item goes."""

    DM = "dm"
    """A direct message to a Discord user (`user_id`)."""
    TRIAGE = "triage"
    """Bring a ticket's triage message up to date (post it, with its thread, if new)."""
    THREAD = "thread"
    """A line in a ticket's thread."""
    CHANNEL = "channel"
    """A message in the triage channel itself (an incident alert)."""


class OutboxOutcome(StrEnum):
    """How delivering an item ended."""

    SENT = "sent"
    UNREACHABLE = "unreachable"
    """Nobody to tell: not linked, DMs closed, or the channel is gone. Not retried."""
    SKIPPED = "skipped"
    """Not wanted any more (the user turned this kind off), or superseded."""
    FAILED = "failed"
    """Given up after too many attempts."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One thing to deliver.

    Attributes:
        id: its number; also what makes its Discord nonce.
        kind: where it goes.
        topic: what it is about, for the deliverer (`failed`, `low`, `decision`, ...).
        payload: what the deliverer needs to word it (JSON-safe values).
        user_id: the Discord user, for a DM.
        ticket_id: the ticket, for triage and thread items.
        key: the unique key, when there is one.
        created_us: when it was decided.
        attempts: deliveries tried so far (this claim included).
    """

    id: int
    kind: OutboxKind
    topic: str
    payload: dict[str, Any]
    user_id: str | None
    ticket_id: int | None
    key: str | None
    created_us: int
    attempts: int
