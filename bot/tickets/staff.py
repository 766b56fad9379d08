"""Support and moderator commands: /ticket ... (`/lookup`, `/adjust` and Apps -> Tokens are
in `bot.tickets.lookup`).

Registered to the support server only (`bot.registration`), and checked on the server for
every command by `bot.roles.StaffCog`: the support server, its own install, the
configured role, whatever Discord's own permission settings say.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.respond import Reply, answer
from bot.roles import StaffCog, staff_group
from bot.tickets.choices import canned_choices, ticket_choices
from bot.tickets.embeds import CATEGORY_CHOICES, STATE_CHOICES
from bot.tickets.figures import stats_embed
from bot.tickets.lists import queue_reply
from bot.tickets.replies import send_reply
from bot.tickets.views import decide

__all__ = ["SupportCog"]

TicketId = app_commands.Range[int, 1, 10**15]
MODERATOR = {"level": "moderator"}


class SupportCog(StaffCog):
    """Triage for the support team, decisions for moderators."""

    ticket = staff_group("ticket", "Support: triage and decide tickets")

    async def _act(
        self, interaction: discord.Interaction, ticket_id: int, action: str, text: str | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await decide(interaction, ticket_id, action, text)

    @ticket.command(name="queue")
    @app_commands.choices(status=STATE_CHOICES, category=CATEGORY_CHOICES)
    async def queue(
        self,
        interaction: discord.Interaction,
        status: str | None = None,
        category: str | None = None,
    ) -> None:
        """Tickets waiting: overdue ones first, then the oldest, with their age.

        Args:
            status: Only tickets in this state (default: open and claimed).
            category: Only tickets of this category.
        """
        work = queue_reply(self.services, status, category)
        await answer(interaction, work, defer_after=self.services.defer_after)

    @ticket.command(name="claim")
    @app_commands.autocomplete(id=ticket_choices("claim"))
    async def claim(self, interaction: discord.Interaction, id: TicketId) -> None:
        """Take a ticket: you are looking at it.

        Args:
            id: The ticket number.
        """
        await self._act(interaction, id, "claim")

    @ticket.command(name="note")
    @app_commands.autocomplete(id=ticket_choices("note"))
    async def note(
        self,
        interaction: discord.Interaction,
        id: TicketId,
        text: app_commands.Range[str, 1, 1000],
    ) -> None:
        """Add a note to a ticket's history (the user does not see it).

        Args:
            id: The ticket number.
            text: The note.
        """
        await self._act(interaction, id, "note", text)

    @ticket.command(name="close")
    @app_commands.autocomplete(id=ticket_choices("close"))
    async def close(self, interaction: discord.Interaction, id: TicketId) -> None:
        """Close a ticket without a refund decision.

        Args:
            id: The ticket number.
        """
        await self._act(interaction, id, "close")

    @ticket.command(name="approve", extras=MODERATOR)
    @app_commands.autocomplete(id=ticket_choices("approve"))
    async def approve(self, interaction: discord.Interaction, id: TicketId) -> None:
        """Approve a refund: the tokens go back to their buckets, once.

        Args:
            id: The ticket number.
        """
        await self._act(interaction, id, "approve")

    @ticket.command(name="deny", extras=MODERATOR)
    @app_commands.autocomplete(id=ticket_choices("deny"))
    async def deny(
        self,
        interaction: discord.Interaction,
        id: TicketId,
        reason: app_commands.Range[str, 1, 1000],
    ) -> None:
        """Deny a refund, saying why (the user sees the reason).

        Args:
            id: The ticket number.
            reason: Why the refund is denied.
        """
        await self._act(interaction, id, "deny", reason)

    @ticket.command(name="reply")
    @app_commands.autocomplete(id=ticket_choices("reply"), text=canned_choices)
    async def reply(
        self,
        interaction: discord.Interaction,
        id: TicketId,
        text: app_commands.Range[str, 1, 1000],
    ) -> None:
        """Write to the ticket's user by DM, from "the support team" (you are not named).

        Args:
            id: The ticket number.
            text: The message, or a canned reply picked from the suggestions.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        await send_reply(interaction, id, text)

    @ticket.command(name="stats")
    async def stats(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] = 7
    ) -> None:
        """Ticket counts, refunds, response and resolution times, ratings and overdue tickets.

        Args:
            days: How many days back to count (default 7).
        """
        sla_hours = self.services.settings.sla_hours

        async def work() -> Reply:
            return Reply(stats_embed(await self.services.desk.stats(days), sla_hours))

        await answer(interaction, work(), defer_after=self.services.defer_after)
