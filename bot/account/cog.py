"""A person's own account: /balance, /reset, /rollover, /relaxed, /history, /link."""

from __future__ import annotations

import logging
from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.account.embeds import (
    balance_embed,
    link_embed,
    not_linked_embed,
    relaxed_embed,
    reset_embed,
    rollover_embed,
)
from bot.account.history import history_reply
from bot.respond import Reply, answer
from bot.services import Services
from ledger import Balance

log = logging.getLogger(__name__)

__all__ = ["AccountCog"]


class AccountCog(commands.Cog):
    """Slash commands about the caller's own tokens. Every reply is ephemeral."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def _with_balance(
        self, interaction: discord.Interaction, render: Callable[[Balance], discord.Embed]
    ) -> None:
        async def work() -> Reply:
            found = await self.services.ledger.balance(str(interaction.user.id), by_user=True)
            return Reply(not_linked_embed() if found is None else render(found))

        await answer(interaction, work(), defer_after=self.services.defer_after)

    @app_commands.command(name="balance")
    async def balance(self, interaction: discord.Interaction) -> None:
        """Your tokens per bucket, API credits, plan and relaxed state."""
        catalogue = self.services.ledger.catalogue
        await self._with_balance(interaction, lambda b: balance_embed(b, catalogue))

    @app_commands.command(name="reset")
    async def reset(self, interaction: discord.Interaction) -> None:
        """When your tokens next reset and renew, and what each will do."""
        catalogue = self.services.ledger.catalogue
        await self._with_balance(interaction, lambda b: reset_embed(b, catalogue))

    @app_commands.command(name="rollover")
    async def rollover(self, interaction: discord.Interaction) -> None:
        """Your rollover bank, its cap, and what rolls over at renewal."""
        catalogue = self.services.ledger.catalogue
        await self._with_balance(interaction, lambda b: rollover_embed(b, catalogue))

    @app_commands.command(name="relaxed")
    async def relaxed(self, interaction: discord.Interaction) -> None:
        """Whether relaxed mode is available or active, and today's relaxed usage."""
        await self._with_balance(interaction, relaxed_embed)

    @app_commands.command(name="history")
    async def history(
        self, interaction: discord.Interaction, limit: app_commands.Range[int, 1, 25] = 10
    ) -> None:
        """What consumed or returned your tokens, newest first, a page at a time.

        Args:
            limit: How many entries a page shows (1 to 25).
        """
        work = history_reply(self.services, str(interaction.user.id), limit)
        await answer(interaction, work, defer_after=self.services.defer_after)

    @app_commands.command(name="link")
    async def link(
        self, interaction: discord.Interaction, code: app_commands.Range[str, 1, 32]
    ) -> None:
        """Link your Discord account to your platform account.

        Args:
            code: The one-time code from your platform account settings.
        """

        async def work() -> Reply:
            result = await self.services.ledger.redeem_link_code(code, str(interaction.user.id))
            return Reply(link_embed(result))

        await answer(interaction, work(), defer_after=self.services.defer_after)
