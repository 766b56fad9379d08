"""Prices and plans: /cost and /plans."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.pricing.embeds import cost_embed, plans_embed
from bot.respond import Reply, answer
from bot.services import Services
from bot.style import clip

log = logging.getLogger(__name__)

__all__ = ["PricingCog"]


class PricingCog(commands.Cog):
    """What generations cost and what plans give."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @app_commands.command(name="cost")
    async def cost(
        self,
        interaction: discord.Interaction,
        model: app_commands.Range[str, 1, 100],
        width: int,
        height: int,
        count: int = 1,
        alchemy: bool = False,
        photoreal: bool = False,
    ) -> None:
        """What a generation with these settings costs in tokens.

        Args:
            model: The image model (start typing to search).
            width: Image width in pixels.
            height: Image height in pixels.
            count: How many images (default 1).
            alchemy: Use Alchemy (costs more).
            photoreal: Use PhotoReal (costs more).
        """
        table = self.services.pricing

        async def work() -> Reply:
            quote = table.quote(model, width, height, count, alchemy, photoreal)
            return Reply(cost_embed(quote, table))

        await answer(interaction, work(), defer_after=self.services.defer_after)

    @cost.autocomplete("model")
    async def model_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=clip(f"{m.name} ({m.id})", 100), value=m.id)
            for m in self.services.pricing.models(current[:100])
        ]

    @app_commands.command(name="plans")
    async def plans(self, interaction: discord.Interaction) -> None:
        """The plans, and what upgrading would give you now."""

        async def work() -> Reply:
            found = await self.services.ledger.balance(str(interaction.user.id), by_user=True)
            return Reply(plans_embed(self.services.ledger.catalogue, found))

        await answer(interaction, work(), defer_after=self.services.defer_after)
