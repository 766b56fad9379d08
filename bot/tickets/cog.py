"""Tickets for users: /refund and /tickets."""

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
from bot.tickets.embeds import ticket_embed, tickets_embed
from bot.tickets.notices import post_to_triage
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
            await post_to_triage(
                interaction.client, services.settings.triage_channel, result.ticket
            )
            embed = ticket_embed(result.ticket)
            if result.auto is not None:
                embed.colour = GOOD
                embed.description = "Approved at once: the tokens are back in your buckets."
                wake_deliveries(interaction.client)
            else:
                embed.description = (
                    "The support team will look at it. You'll hear back here by DM, "
                    "or see the answer with `/tickets`."
                )
            return Reply(embed)

        await answer(interaction, work(), defer_after=services.defer_after)

    @app_commands.command(name="tickets")
    async def tickets(self, interaction: discord.Interaction) -> None:
        """Your tickets and their state."""
        desk = self.services.desk

        async def work() -> Reply:
            user_id = str(interaction.user.id)
            notices = await desk.take_notices(user_id)
            return Reply(tickets_embed(await desk.of_user(user_id), notices))

        await answer(interaction, work(), defer_after=self.services.defer_after)
