"""The support desk: refund tickets for users, triage and decisions for staff."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import TokendeskBot


async def setup(bot: TokendeskBot) -> None:
    """Add the ticket commands and the triage buttons; staff commands go to the support server."""
    from bot.tickets.cog import TicketsCog
    from bot.tickets.notices import deliver_decision
    from bot.tickets.staff import SupportCog
    from bot.tickets.views import TicketAction
    from diagnostics.desk import DECISION_NOTICE
    from ledger import OutboxKind

    bot.add_dynamic_items(TicketAction)
    desk = bot.services.desk
    bot.deliverer.register(
        OutboxKind.DM, DECISION_NOTICE, lambda item: deliver_decision(bot, desk, item)
    )
    await bot.add_cog(TicketsCog(bot.services))
    bot.add_staff_cog(SupportCog(bot.services))
