"""`/ticket reply`: the support team writes to a ticket's user, in free text or canned.

A canned reply (picked from the `text` suggestions) is filled in for the ticket's user:
`{user}` their mention, `{ticket}` `#N`, `{generation_id}` the ticket's generation,
`{balance}` the tokens they can spend now. Values are made inert (`safe`) before they
go in, so an id from outside cannot add markdown or mentions to the message.
"""

from __future__ import annotations

import logging

import discord

from bot.delivery import wake_deliveries
from bot.guards import services_of
from bot.outcomes import refused_text
from bot.style import BAD, GOOD, clip, safe
from bot.tickets.choices import canned_from
from bot.tickets.views import actor, show
from bot.words import tokens
from diagnostics.canned import CannedReply
from diagnostics.desk import Replied
from ledger import Ticket

log = logging.getLogger(__name__)

__all__ = ["fill_reply", "send_reply"]


async def fill_reply(interaction: discord.Interaction, reply: CannedReply, ticket: Ticket) -> str:
    """A canned reply's text with its placeholders filled in for the ticket's user."""
    ledger = services_of(interaction).ledger
    balance = await ledger.balance(ticket.user_id, by_user=True)
    values = {
        "user": f"<@{ticket.user_id}>",
        "ticket": f"#{ticket.id}",
        "generation_id": safe(ticket.generation_id, 140) if ticket.generation_id else "-",
        "balance": tokens(balance.total) if balance is not None else "-",
    }
    return reply.fill(values)


async def send_reply(interaction: discord.Interaction, ticket_id: int, text: str) -> None:
    """Send the user the message, for an interaction that is already deferred.

    Raises:
        discord.HTTPException: Discord refused the answer to the staff member.
        DatabaseUnavailable: the ledger cannot be reached (the error handler answers).
    """
    services = services_of(interaction)
    canned = canned_from(text, services.replies.find)
    if canned is not None:
        ticket = await services.desk.get(ticket_id)
        if ticket is not None:
            text = await fill_reply(interaction, canned, ticket)
    elif text.startswith("canned:"):
        embed = discord.Embed(title="Not sent", colour=BAD)
        embed.description = "There is no canned reply by that name. Pick one from the list."
        await show(interaction, embed)
        return
    result = await services.desk.reply(ticket_id, actor(interaction), text)
    if not isinstance(result, Replied):
        why = refused_text(result, max_age_days=services.settings.refund_max_age_days)
        await show(interaction, discord.Embed(title="Not sent", description=why, colour=BAD))
        return
    wake_deliveries(interaction.client)
    embed = discord.Embed(title=f"Sent on ticket #{ticket_id}", colour=GOOD)
    embed.description = clip(discord.utils.escape_mentions(result.text), 4000)
    embed.set_footer(
        text="The user gets it by DM from the support team (you are not named), "
        "or in /tickets if their DMs are closed."
    )
    await show(interaction, embed)
