"""Telling people: the user about a decision (by DM), the support team about a new ticket.

A decision's DM is an outbox item the desk decided with the decision; `deliver_decision`
is its handler in `bot.delivery`.
"""

from __future__ import annotations

import logging

import discord

from bot.delivery import send_once
from bot.respond import MENTIONS_NONE
from bot.tickets.embeds import decision_notice, ticket_embed
from bot.tickets.views import ticket_buttons
from diagnostics.desk import TicketDesk
from ledger import OutboxItem, OutboxOutcome, Ticket

log = logging.getLogger(__name__)

__all__ = ["deliver_decision", "post_to_triage"]


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


async def post_to_triage(client: discord.Client, channel_id: int | None, ticket: Ticket) -> None:
    """Post a new ticket to the triage channel with its Claim, Approve and Deny buttons."""
    if channel_id is None:
        return
    try:
        channel = client.get_partial_messageable(channel_id)
        await channel.send(
            embed=ticket_embed(ticket, for_staff=True),
            view=ticket_buttons(ticket),
            allowed_mentions=MENTIONS_NONE,
        )
    except discord.HTTPException:
        log.warning(
            "ticket #%d: could not post to triage channel %s", ticket.id, channel_id, exc_info=True
        )
