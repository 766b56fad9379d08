"""A person's own account: balance, resets, rollover, relaxed mode, history, linking."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import TokendeskBot


async def setup(bot: TokendeskBot) -> None:
    """Add the account commands, the history's page buttons, /notify and the notices."""
    from bot.account.cog import AccountCog
    from bot.account.history import HistoryPage
    from bot.account.jobs import RolloverJob
    from bot.account.notices import NoticeRefund, register_notices
    from bot.account.notify import NotifyThreshold, NotifyToggle

    bot.add_dynamic_items(HistoryPage, NotifyToggle, NotifyThreshold, NoticeRefund)
    register_notices(bot)
    bot.add_background(RolloverJob(bot.services.ledger, bot.deliverer.poke))
    await bot.add_cog(AccountCog(bot.services))
