"""Prices and plans: what a generation costs, what each plan gives."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import TokendeskBot


async def setup(bot: TokendeskBot) -> None:
    """Add /cost and /plans to the bot."""
    from bot.pricing.cog import PricingCog

    await bot.add_cog(PricingCog(bot.services))
