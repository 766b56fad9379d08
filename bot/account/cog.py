"""A person's own account: /balance, /reset, /rollover, /relaxed, /history, /link, /why,
/usage and /notify."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.account.chart import CHART_FILENAME
from bot.account.embeds import (
    balance_embed,
    link_embed,
    not_linked_embed,
    relaxed_embed,
    reset_embed,
    rollover_embed,
)
from bot.account.history import history_reply
from bot.account.insight import chart_days, usage_embed, why_embed
from bot.account.notify import notify_embed, notify_view
from bot.respond import Reply, answer
from bot.services import Services
from ledger import FREE, MAX_USAGE_DAYS, MAX_WHY_HOURS, Balance

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

    @app_commands.command(name="why")
    @app_commands.describe(hours=f"How far back to look, in hours (1 to {MAX_WHY_HOURS:,}).")
    async def why(
        self,
        interaction: discord.Interaction,
        hours: app_commands.Range[int, 1, MAX_WHY_HOURS] = 24,
    ) -> None:
        """How your balance got from some hours ago (default 24) to now, cause by cause."""

        async def work() -> Reply:
            user = str(interaction.user.id)
            report = await self.services.ledger.why(user, hours, by_user=True)
            return Reply(not_linked_embed() if report is None else why_embed(report, hours))

        await answer(interaction, work(), defer_after=self.services.defer_after)

    @app_commands.command(name="usage")
    @app_commands.describe(days=f"How many days to show (1 to {MAX_USAGE_DAYS}).")
    async def usage(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, MAX_USAGE_DAYS] = 30,
    ) -> None:
        """A chart of your use per day (default 30 days), top models, and your run-out date."""
        services = self.services

        async def work() -> Reply:
            user = str(interaction.user.id)
            report = await services.ledger.usage(user, days, by_user=True)
            balance = await services.ledger.balance(user, by_user=True)
            if report is None or balance is None:
                return Reply(not_linked_embed())
            used = any(d.tokens or d.api_credits or d.relaxed for d in report.days)
            free = balance.plan == FREE
            embed = usage_embed(report, balance.total, free=free, chart=used)
            if not used:
                return Reply(embed)
            title = f"Use per day, last {days} days (UTC)"
            png = await services.charts.usage(chart_days(report), title)
            return Reply(embed, file=discord.File(io.BytesIO(png), filename=CHART_FILENAME))

        await answer(interaction, work(), defer_after=services.defer_after)

    @app_commands.command(name="notify")
    async def notify(self, interaction: discord.Interaction) -> None:
        """Choose which direct messages you get: failed generations, low balance and more."""

        async def work() -> Reply:
            choices = await self.services.ledger.notify_choices(str(interaction.user.id))
            if choices is None:
                return Reply(not_linked_embed())
            return Reply(notify_embed(choices), view=notify_view(choices))

        await answer(interaction, work(), defer_after=self.services.defer_after)
