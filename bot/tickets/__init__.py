"""The support desk: tickets for users, triage and decisions for staff, the triage channel.

What each change tells, and to whom, is decided by the desk in the change's transaction
(outbox items); this package registers a handler for each (kind, topic), which words it
and sends it once:

- DM: `decision` (notices), `reply` and `closing` (conversation), `rating` (ratings);
- TRIAGE: `ticket` (the triage message and its thread: triage);
- THREAD: `line`, `sla` and `closing` (threads);
- CHANNEL: `incident` (an incident alert with its `Refund all` button: incidents).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import TokendeskBot


async def setup(bot: TokendeskBot) -> None:
    """Add the ticket commands, components, outbox handlers and the desk's timed jobs;
    staff commands and the Tokens menu go to the support server."""
    from bot.tickets import conversation, incidents, notices, ratings, threads, triage
    from bot.tickets.cog import TicketsCog
    from bot.tickets.deadlines import DeskTimer
    from bot.tickets.lists import QueuePage, TicketsPage
    from bot.tickets.lookup import LookupCog, tokens_menu
    from bot.tickets.staff import SupportCog
    from bot.tickets.views import TriageButton
    from diagnostics import desk_topics as topic
    from ledger import INCIDENT_ALERT, OutboxKind

    bot.add_dynamic_items(
        TriageButton,
        conversation.ReplyButton,
        ratings.RateButton,
        QueuePage,
        TicketsPage,
        incidents.RefundAllButton,
    )
    desk = bot.services.desk
    handlers = {
        (OutboxKind.DM, topic.DECISION_NOTICE): lambda i: notices.deliver_decision(bot, desk, i),
        (OutboxKind.DM, topic.REPLY_NOTICE): lambda i: conversation.deliver_reply(bot, i),
        (OutboxKind.DM, topic.CLOSING_WARNING): lambda i: conversation.deliver_closing(bot, i),
        (OutboxKind.DM, topic.RATING_REQUEST): lambda i: ratings.deliver_rating(bot, i),
        (OutboxKind.TRIAGE, topic.TRIAGE_REFRESH): lambda i: triage.deliver_triage(bot, i),
        (OutboxKind.THREAD, topic.THREAD_LINE): lambda i: threads.deliver_line(bot, i),
        (OutboxKind.THREAD, topic.SLA_REMINDER): lambda i: threads.deliver_sla(bot, i),
        (OutboxKind.THREAD, topic.CLOSING_WARNING): lambda i: threads.deliver_closing_line(bot, i),
        (OutboxKind.CHANNEL, INCIDENT_ALERT): lambda i: incidents.deliver_alert(bot, i),
    }
    for (kind, name), handler in handlers.items():
        bot.deliverer.register(kind, name, handler)
    bot.add_background(DeskTimer(bot))
    await bot.add_cog(TicketsCog(bot.services))
    bot.add_staff_cog(SupportCog(bot.services))
    bot.add_staff_cog(LookupCog(bot.services))
    bot.add_staff_cog(incidents.IncidentCog(bot.services))
    bot.add_staff_menu(tokens_menu())
