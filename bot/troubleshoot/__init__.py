"""The troubleshooter feature: `/troubleshoot` and its persistent step buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import TokendeskBot


async def setup(bot: TokendeskBot) -> None:
    """Add the troubleshooter's command and its buttons to the bot."""
    from bot.troubleshoot.cog import TroubleshootCog
    from bot.troubleshoot.views import FlowChoice, RefundPick

    bot.add_dynamic_items(FlowChoice, RefundPick)
    await bot.add_cog(TroubleshootCog(bot.services))
