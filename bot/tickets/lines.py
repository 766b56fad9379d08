"""The lines a ticket's thread gets: each action and each message, in words.

People are shown as mentions (`<@id>`): the thread's messages are sent with no pings,
so a mention shows a name and notifies nobody. Text people wrote (notes, reasons,
messages) is quoted and neutralised (`safe`): no markdown, no masked links, no pings.
Only the SLA reminder pings, and only the support role (see `bot.tickets.threads`).
"""

from __future__ import annotations

from typing import Any

from bot.style import clip, safe
from bot.tickets.embeds import who
from bot.words import tokens
from diagnostics.desk_topics import SYSTEM_NO_ANSWER

__all__ = ["MAX_LINE", "closing_line", "line_text", "quote", "sla_line"]

MAX_LINE = 2_000
"""Discord's limit for a message's content."""


def quote(text: str | None, limit: int = 1_500) -> str:
    """Text someone wrote, as a block quote that shows it as text and pings nobody."""
    cleaned = safe(text or "", limit)
    return "\n".join(f"> {line}" if line else ">" for line in cleaned.splitlines() or [""])


def _t(us: int) -> str:
    return f"<t:{us // 1_000_000}:R>"


def line_text(line: dict[str, Any], *, auto_close_days: int) -> str:
    """One action or message of a ticket (a THREAD_LINE item's payload) as a line."""
    action, actor, note = line.get("action"), who(line.get("actor")), line.get("note")
    if action == "open":
        text = f"\N{INBOX TRAY} Opened by {actor}."
    elif action == "claim":
        text = f"\N{RAISED HAND} Claimed by {actor}."
    elif action == "note":
        text = f"\N{MEMO} Note by {actor} (the user does not see it):\n{quote(note)}"
    elif action == "reply":
        text = f"\N{OUTBOX TRAY} {actor} wrote to the user:\n{quote(note)}"
    elif action == "answer":
        text = f"\N{SPEECH BALLOON} The user answered:\n{quote(note)}"
    elif action == "rate":
        text = f"\N{WHITE MEDIUM STAR} The user rated this ticket {line.get('rating')}/5."
    elif action == "approve":
        refunded = line.get("refunded")
        paid = f" {tokens(int(refunded))} tokens are back with the user." if refunded else ""
        text = f"\N{WHITE HEAVY CHECK MARK} Approved by {actor}.{paid}"
    elif action == "deny":
        text = f"\N{CROSS MARK} Denied by {actor}. Reason:\n{quote(note)}"
    elif action == "close" and line.get("actor") == SYSTEM_NO_ANSWER:
        text = f"\N{LOCK} Closed by the system: the user did not answer for {auto_close_days} days."
    elif action == "close":
        reason = f" Reason:\n{quote(note)}" if note else ""
        text = f"\N{LOCK} Closed by {actor}.{reason}"
    else:
        text = f"{safe(str(action), 40)} by {actor}."
    return clip(text, MAX_LINE)


def sla_line(role_mention: str | None, created_us: int, sla_hours: int) -> str:
    """The one SLA reminder: the ticket waited past the SLA for a first response."""
    head = f"{role_mention} " if role_mention else ""
    return (
        f"{head}\N{ALARM CLOCK} This ticket has waited more than {sla_hours} hours for a first "
        f"response (opened {_t(created_us)})."
    )


def closing_line(close_at_us: int) -> str:
    """The user was warned the ticket closes for want of an answer."""
    return (
        f"\N{HOURGLASS WITH FLOWING SAND} The user was told this ticket closes {_t(close_at_us)} "
        "unless they answer."
    )
