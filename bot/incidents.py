"""Incidents in words: reading a window from what a moderator or operator typed, and
saying what an incident refunded or what an alert counted.

Shared by `/incident refund`, the alert's `Refund all` button (`bot.tickets.incidents`)
and `tokendesk incident refund` (`bot.cli.incident_verbs`); no discord.py here, so the
command line starts without it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.words import tokens
from diagnostics.desk import IncidentRefunds
from ledger import IncidentWindow, to_us

log = logging.getLogger(__name__)

__all__ = ["BadWindow", "parse_instant", "parse_window", "refunded_text"]

MAX_MODEL = 128
EXAMPLE = "2026-03-10T09:00:00Z or 2026-03-10T11:00:00+02:00"


class BadWindow(ValueError):
    """What was typed does not make a window; the message says why, in our words."""


def parse_instant(text: str, name: str) -> int:
    """An ISO 8601 instant with its offset (`Z` or `+HH:MM`), as ledger microseconds.

    Raises:
        BadWindow: not such an instant, or no offset given.
    """
    typed = text.strip()
    try:
        when = datetime.fromisoformat(typed)
    except ValueError:
        raise BadWindow(
            f"{name} is not an ISO 8601 instant: {typed[:60]!r} (try {EXAMPLE})"
        ) from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise BadWindow(f"{name} needs its offset, such as Z or +02:00: {typed[:60]!r}")
    try:
        return to_us(when)
    except (OverflowError, ValueError):
        raise BadWindow(f"{name} is out of range: {typed[:60]!r}") from None


def parse_window(since: str, until: str, model: str | None = None) -> IncidentWindow:
    """The failures an incident refunds: reported from `since` to `until`, both included.

    Raises:
        BadWindow: an instant is malformed, the window ends before it starts, or the
            model name is empty or too long.
    """
    start, end = parse_instant(since, "since"), parse_instant(until, "until")
    if end < start:
        raise BadWindow("until is before since: the window would be empty")
    chosen = None if model is None else model.strip()
    if chosen is not None and not chosen:
        raise BadWindow("model is empty: leave it out to refund every model")
    if chosen is not None and len(chosen) > MAX_MODEL:
        raise BadWindow(f"model is longer than {MAX_MODEL} characters")
    return IncidentWindow(start, end, chosen)


def refunded_text(done: IncidentRefunds) -> str:
    """What an incident refunded, in one sentence."""
    if done.generations == 0:
        return (
            "Nothing to refund: no charged generation failed in that window, or every one"
            " was refunded already."
        )
    generations = "generation" if done.generations == 1 else "generations"
    accounts = "account" if len(done.accounts) == 1 else "accounts"
    text = (
        f"Refunded {done.generations:,} failed {generations} on {len(done.accounts):,}"
        f" {accounts}: {tokens(done.tokens)} tokens"
    )
    if done.api_credits:
        text += f" and {tokens(done.api_credits)} API credits"
    return text + ". Each has its own ticket, and each user is told by DM."
