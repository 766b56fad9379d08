""" "How did we do?": one DM per ended ticket, with buttons 1 to 5 for its user only.

The first press is kept (the desk stores a rating once, with the ticket row locked) and
the DM's buttons go away; any later press, from a second click that raced the first or
a replayed custom id, changes nothing and says the ticket was rated already.
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
from bot.style import BAD, BRAND, GOOD
from bot.tickets.embeds import STATE_NAMES
from diagnostics.desk import Rated
from ledger import RATINGS, OutboxItem, OutboxOutcome, Ticket

if TYPE_CHECKING:
    from bot.app import TokendeskBot

log = logging.getLogger(__name__)

__all__ = ["RateButton", "deliver_rating", "rating_request"]


def rating_request(ticket: Ticket) -> tuple[discord.Embed, discord.ui.View]:
    """The DM asking how it went, with its five buttons."""
    embed = discord.Embed(title="How did we do?", colour=BRAND)
    embed.description = (
        f"Your ticket #{ticket.id} is {STATE_NAMES[ticket.state]}. How did the support team "
        f"handle it? Pick from {RATINGS[0]} (poorly) to {RATINGS[-1]} (very well)."
    )
    view = discord.ui.View(timeout=None)
    for score in RATINGS:
        view.add_item(RateButton(ticket.id, score))
    return embed, view


async def deliver_rating(bot: TokendeskBot, item: OutboxItem) -> OutboxOutcome:
    """Ask the user how it went, once per ticket.

    Raises:
        discord.Forbidden: the user's DMs are closed (nobody is asked).
        discord.HTTPException: Discord failed; the deliverer tries again later.
    """
    ticket = await bot.services.desk.get(int(item.payload["ticket_id"]))
    if ticket is None or ticket.rating is not None:
        return OutboxOutcome.SKIPPED
    channel = await bot.create_dm(discord.Object(id=int(ticket.user_id)))
    embed, view = rating_request(ticket)
    await send_once(channel, item, embed=embed, view=view, allowed_mentions=MENTIONS_NONE)
    return OutboxOutcome.SENT


class RateButton(
    OwnerGuard,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"tdr:rate:(?P<id>[0-9]{1,18}):(?P<score>[0-9])",
):
    """One score for one ticket; only for the user the DM was sent to."""

    def __init__(self, ticket_id: int, score: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=str(score),
                style=discord.ButtonStyle.secondary,
                custom_id=f"tdr:rate:{ticket_id}:{score}",
            )
        )
        self.ticket_id = ticket_id
        self.score = score

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> RateButton:
        return cls(int(match["id"]), int(match["score"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # before the database: Discord allows 3 s
        services = services_of(interaction)
        user_id = str(interaction.user.id)
        result = await services.desk.rate(self.ticket_id, user_id, self.score)
        if isinstance(result, Rated) and result.first:
            wake_deliveries(interaction.client)
            thanks = discord.Embed(title="Thank you", colour=GOOD)
            thanks.description = f"You rated ticket #{self.ticket_id} {result.rating}/5."
            await interaction.edit_original_response(embed=thanks, view=None)
            return
        if isinstance(result, Rated):
            embed = discord.Embed(title="Already rated", colour=BRAND)
            embed.description = (
                f"Ticket #{self.ticket_id} was rated {result.rating}/5 already; that rating stands."
            )
        else:
            text = refused_text(result, max_age_days=services.settings.refund_max_age_days)
            embed = discord.Embed(title="Not rated", description=text, colour=BAD)
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=MENTIONS_NONE)
