"""Telling people: the user about a decision (by DM), the support team about a new ticket."""

from __future__ import annotations

import logging

import discord

from bot.respond import MENTIONS_NONE
from bot.tickets.embeds import decision_notice, ticket_embed
from diagnostics.desk import TicketDesk
from ledger import Ticket

log = logging.getLogger(__name__)

__all__ = ["post_to_triage", "tell_user"]


async def tell_user(client: discord.Client, desk: TicketDesk, ticket: Ticket) -> bool:
    """DM the user their ticket's decision; if DMs are closed it waits for their `/tickets`.

    Returns:
        Whether the DM went through.
    """
    try:
        channel = await client.create_dm(discord.Object(id=int(ticket.user_id)))
        await channel.send(embed=decision_notice(ticket), allowed_mentions=MENTIONS_NONE)
    except discord.HTTPException as exc:
        log.info("ticket #%d: could not DM user %s (%s)", ticket.id, ticket.user_id, exc)
        return False
    await desk.mark_told(ticket.id)
    return True


async def post_to_triage(client: discord.Client, channel_id: int | None, ticket: Ticket) -> None:
    """Post a new ticket to the triage channel with its Claim, Approve and Deny buttons."""
    if channel_id is None:
        return
    from bot.tickets.views import ticket_buttons

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
