"""Autocomplete for the `/ticket` commands: ticket numbers, and canned replies.

discord.py runs no cog check before an autocomplete, so each callback checks the caller
itself: staff at the command's level, in the support server through its own install
(`bot.roles`). Anyone else gets an empty list, and so does any failure: an autocomplete
left unanswered would show an error in Discord.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands

from bot.guards import services_of
from bot.roles import staff_refusal
from bot.style import clip
from bot.tickets.embeds import CATEGORY_NAMES
from diagnostics.canned import CannedReply
from ledger import Ticket

log = logging.getLogger(__name__)

__all__ = ["CANNED_PREFIX", "canned_choices", "canned_from", "ticket_choices"]

CANNED_PREFIX = "canned:"
"""The value a canned reply's suggestion puts in `text` (a name; the text is filled in
when the command runs, since a suggestion's value holds at most 100 characters)."""
MODERATOR_ACTIONS = ("approve", "deny")
Choices = list[app_commands.Choice]


def _staff(interaction: discord.Interaction, level: str) -> bool:
    return staff_refusal(interaction, services_of(interaction).settings, level) is None


def _label(ticket: Ticket) -> str:
    about = f" · {ticket.generation_id}" if ticket.generation_id else ""
    return clip(f"#{ticket.id} {CATEGORY_NAMES[ticket.category]}, {ticket.state}{about}", 100)


def ticket_choices(
    action: str,
) -> Callable[[discord.Interaction, str], Awaitable[Choices]]:
    """An autocomplete for an `id` option: the tickets the caller may do `action` to."""
    level = "moderator" if action in MODERATOR_ACTIONS else "support"

    async def suggest(interaction: discord.Interaction, current: str) -> Choices:
        try:
            if not _staff(interaction, level):
                return []
            found = await services_of(interaction).desk.actionable(action, str(current or ""))
            return [app_commands.Choice(name=_label(t), value=t.id) for t in found]
        except Exception:
            log.warning("autocomplete of ticket ids for %s failed", action, exc_info=True)
            return []

    return suggest


async def canned_choices(interaction: discord.Interaction, current: str) -> Choices:
    """Canned replies whose name or text holds what was typed (support only)."""
    try:
        if not _staff(interaction, "support"):
            return []
        replies = services_of(interaction).replies.matching(str(current or ""))
        return [
            app_commands.Choice(
                name=clip(f"{r.name}: {r.text}", 100), value=f"{CANNED_PREFIX}{r.name}"[:100]
            )
            for r in replies
        ]
    except Exception:
        log.warning("autocomplete of canned replies failed", exc_info=True)
        return []


def canned_from(text: str, find: Callable[[str], CannedReply | None]) -> CannedReply | None:
    """The canned reply a `text` option names (a picked suggestion), or None (free text)."""
    if not text.startswith(CANNED_PREFIX):
        return None
    return find(text[len(CANNED_PREFIX) :])
