"""Tickets for users: /refund and /tickets (paged: `bot.tickets.lists`)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import wake_deliveries
from bot.outcomes import refused_text
from bot.respond import Reply, answer
from bot.services import Services
from bot.style import GOOD
from bot.tickets.embeds import ticket_embed
from bot.tickets.lists import tickets_reply
from diagnostics.desk import Opened

log = logging.getLogger(__name__)

__all__ = ["TicketsCog"]


class TicketsCog(commands.Cog):
    """Refund tickets and a user's own tickets. Every reply is ephemeral."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @app_commands.command(name="refund")
    @app_commands.checks.cooldown(3, 30.0, key=lambda i: i.user.id)
    async def refund(
        self,
        interaction: discord.Interaction,
        generation_id: app_commands.Range[str, 1, 128],
        details: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        """Ask for the tokens of a failed generation back.

        Args:
            generation_id: The id of the generation that failed but was charged.
            details: Anything the support team should know.
        """
        services = self.services

        async def work() -> Reply:
            result = await services.desk.open_refund(
                str(interaction.user.id), generation_id.strip(), details
            )
            if not isinstance(result, Opened):
                text = refused_text(result, max_age_days=services.settings.refund_max_age_days)
                return Reply(discord.Embed(title="No ticket opened", description=text))
            wake_deliveries(interaction.client)  # its triage message, decided as it opened
            embed = ticket_embed(result.ticket)
            if result.auto is not None:
                embed.colour = GOOD
                embed.description = "Approved at once: the tokens are back in your buckets."
            else:
                embed.description = (
                    "The support team will look at it. You'll hear back here by DM, "
                    "or see the answer with `/tickets`."
                )
            return Reply(embed)

        await answer(interaction, work(), defer_after=services.defer_after)

    @app_commands.command(name="tickets")
    async def tickets(self, interaction: discord.Interaction) -> None:
        """Your tickets and their state, and messages from the support team."""
        work = tickets_reply(self.services, str(interaction.user.id))
        await answer(interaction, work, defer_after=self.services.defer_after)
