"""Telling the user about a decision, by DM.

A decision's DM is an outbox item the desk decided with the decision; `deliver_decision`
is its handler in `bot.delivery`. (New tickets reach the support team through their
triage message: `bot.tickets.triage`.)
"""

from __future__ import annotations

import logging

import discord

from bot.delivery import send_once
from bot.respond import MENTIONS_NONE
from bot.tickets.embeds import decision_notice
from diagnostics.desk import TicketDesk
from ledger import OutboxItem, OutboxOutcome

log = logging.getLogger(__name__)

__all__ = ["deliver_decision"]


async def deliver_decision(
    client: discord.Client, desk: TicketDesk, item: OutboxItem
) -> OutboxOutcome:
    """DM the user their ticket's decision, once; then it no longer waits in `/tickets`.

    Raises:
        discord.Forbidden: the user's DMs are closed (the decision waits in `/tickets`).
        discord.HTTPException: Discord failed; the deliverer tries again later.
    """
    ticket = await desk.get(int(item.payload["ticket_id"]))
    if ticket is None or not ticket.notice_pending:
        return OutboxOutcome.SKIPPED  # already seen in /tickets
    channel = await client.create_dm(discord.Object(id=int(ticket.user_id)))
    await send_once(channel, item, embed=decision_notice(ticket), allowed_mentions=MENTIONS_NONE)
    await desk.mark_told(ticket.id)
    return OutboxOutcome.SENT
