"""The troubleshooter: /troubleshoot, guided fixes with the user's own numbers."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.respond import Reply, answer
from bot.services import Services
from bot.troubleshoot.views import current_facts, render_step
from diagnostics.walker import start

log = logging.getLogger(__name__)

__all__ = ["TroubleshootCog"]


class TroubleshootCog(commands.Cog):
    """Guided fixes for users; every step is a message with persistent buttons."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @app_commands.command(name="troubleshoot")
    async def troubleshoot(self, interaction: discord.Interaction) -> None:
        """Guided fixes for token problems, with your own numbers."""

        async def work() -> Reply:
            facts = await current_facts(interaction)
            embed, view = render_step(start(self.services.flows, facts), facts)
            return Reply(embed, view=view)

        await answer(interaction, work(), defer_after=self.services.defer_after)
