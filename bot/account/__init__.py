"""A person's own account: balance, resets, rollover, relaxed mode, history, linking."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import TokendeskBot


async def setup(bot: TokendeskBot) -> None:
    """Add the account commands and the history's page buttons to the bot."""
    from bot.account.cog import AccountCog
    from bot.account.history import HistoryPage

    bot.add_dynamic_items(HistoryPage)
    await bot.add_cog(AccountCog(bot.services))
