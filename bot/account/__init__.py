"""A person's own account: balance, resets, rollover, relaxed mode, history, linking."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import TokendeskBot


async def setup(bot: TokendeskBot) -> None:
    """Add the account commands to the bot."""
    from bot.account.cog import AccountCog

    await bot.add_cog(AccountCog(bot.services))
