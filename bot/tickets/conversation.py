"""Talking with a ticket's user: the support team's DM with a Reply button, the answer form,
the warning before auto-close.

The DM comes from "the support team": the staff member who wrote it is never named to
the user. The Reply button acts only for the person it was sent to (`OwnerGuard`: the
DM's recipient, or the user whose `/tickets` showed it), and the desk accepts an answer
only on that user's own open ticket, whatever custom id is forged.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord

from bot.delivery import send_once, wake_deliveries
from bot.guards import OwnerGuard, services_of, settle
from bot.outcomes import refused_text
from bot.respond import MENTIONS_NONE
from bot.style import BAD, BRAND, GOOD, WARN
from diagnostics.desk import Answered
from ledger import OutboxItem, OutboxOutcome, Ticket, TicketReply

if TYPE_CHECKING:
    from bot.app import TokendeskBot

log = logging.getLogger(__name__)

__all__ = [
    "AnswerForm",
    "ReplyButton",
    "deliver_closing",
    "deliver_reply",
    "reply_embed",
    "reply_view",
]


def reply_embed(ticket_id: int, text: str) -> discord.Embed:
    """A message from the support team, as the user sees it (no staff member named)."""
    embed = discord.Embed(title="A message from the support team", colour=BRAND)
    embed.description = text[:4000]  # an embed pings nobody; a mention shows a name
    embed.add_field(name="About", value=f"Your ticket #{ticket_id}")
    embed.set_footer(text="Answer with the Reply button; your answer goes to the ticket.")
    return embed


def reply_view(ticket_ids: list[int]) -> discord.ui.View:
    """Reply buttons, one per ticket (at most 4, leaving a row for paging)."""
    view = discord.ui.View(timeout=None)
    for ticket_id in dict.fromkeys(ticket_ids):
        if len(view.children) >= 4:
            break
        view.add_item(ReplyButton(ticket_id, label=len(ticket_ids) > 1))
    return view


async def deliver_reply(bot: TokendeskBot, item: OutboxItem) -> OutboxOutcome:
    """DM the user the support team's message, once; it then no longer waits in /tickets.

    Raises:
        discord.Forbidden: the user's DMs are closed (it waits in `/tickets`).
        discord.HTTPException: Discord failed; the deliverer tries again later.
    """
    desk = bot.services.desk
    reply: TicketReply | None = await desk.get_reply(int(item.payload["reply_id"]))
    if reply is None or not reply.waiting:
        return OutboxOutcome.SKIPPED  # the user read it in /tickets meanwhile
    channel = await bot.create_dm(discord.Object(id=int(reply.user_id)))
    embed = reply_embed(reply.ticket_id, reply.text)
    view = reply_view([reply.ticket_id])
    await send_once(channel, item, embed=embed, view=view, allowed_mentions=MENTIONS_NONE)
    await desk.reply_delivered(reply.id)
    return OutboxOutcome.SENT


def closing_embed(ticket: Ticket, close_at_us: int) -> discord.Embed:
    """The warning a day before a ticket closes for want of the user's answer."""
    embed = discord.Embed(title=f"Ticket #{ticket.id} closes soon", colour=WARN)
    embed.description = (
        "The support team is waiting for your answer on this ticket. Without one it "
        f"closes <t:{close_at_us // 1_000_000}:R>. Answer with the Reply button."
    )
    return embed


async def deliver_closing(bot: TokendeskBot, item: OutboxItem) -> OutboxOutcome:
    """DM the user that their ticket closes in a day unless they answer.

    Raises:
        discord.Forbidden: the user's DMs are closed.
        discord.HTTPException: Discord failed; the deliverer tries again later.
    """
    ticket = await bot.services.desk.get(int(item.payload["ticket_id"]))
    if ticket is None or not ticket.waiting_on_user:
        return OutboxOutcome.SKIPPED  # answered (or closed) meanwhile
    channel = await bot.create_dm(discord.Object(id=int(ticket.user_id)))
    embed = closing_embed(ticket, int(item.payload["close_at_us"]))
    view = reply_view([ticket.id])
    await send_once(channel, item, embed=embed, view=view, allowed_mentions=MENTIONS_NONE)
    return OutboxOutcome.SENT


class ReplyButton(
    OwnerGuard,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"tdr:reply:(?P<id>[0-9]{1,18})",
):
    """Opens the answer form for one ticket; only for the user it was sent to."""

    def __init__(self, ticket_id: int, *, label: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Reply on #{ticket_id}" if label else "Reply",
                style=discord.ButtonStyle.primary,
                custom_id=f"tdr:reply:{ticket_id}",
            )
        )
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ReplyButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, interaction.response.send_modal(AnswerForm(self.ticket_id)))


class AnswerForm(OwnerGuard, discord.ui.Modal, title="Answer the support team"):
    """The user's answer; it goes to the ticket's history and thread."""

    answer: discord.ui.TextInput = discord.ui.TextInput(
        label="Your answer", style=discord.TextStyle.paragraph, max_length=1000
    )

    def __init__(self, ticket_id: int) -> None:
        super().__init__(timeout=15 * 60)  # an abandoned form is forgotten, not kept forever
        self.ticket_id = ticket_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # before the database
        services = services_of(interaction)
        user_id = str(interaction.user.id)
        result = await services.desk.answer(self.ticket_id, user_id, str(self.answer.value))
        if isinstance(result, Answered):
            wake_deliveries(interaction.client)
            embed = discord.Embed(title="Sent", colour=GOOD)
            embed.description = (
                f"The support team has your answer on ticket #{self.ticket_id}. "
                "You'll hear back here."
            )
        else:
            text = refused_text(result, max_age_days=services.settings.refund_max_age_days)
            embed = discord.Embed(title="Not sent", description=text, colour=BAD)
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=MENTIONS_NONE)
