"""The direct messages of `/notify`: delivering each decided notice, and the refund button.

The ledger decides a notice with its cause (`ledger.notices`); these handlers deliver
it from the outbox (`bot.delivery`). At delivery they look again: a kind the user has
switched off since is skipped; a failed generation refunded meanwhile (auto-approval,
a moderator) says so instead of offering a refund.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.delivery import send_once, wake_deliveries
from bot.guards import OwnerGuard, services_of, settle
from bot.outcomes import refused_text
from bot.respond import MENTIONS_NONE
from bot.style import BAD, BRAND, GOOD, WARN, safe, when
from bot.words import plan_name, tokens
from diagnostics.desk import Opened
from ledger import NoticeTopic, OutboxItem, OutboxKind, OutboxOutcome, UnitOfWork

if TYPE_CHECKING:
    from bot.app import TokendeskBot

log = logging.getLogger(__name__)

__all__ = ["NoticeRefund", "deliver_notice", "register_notices"]


def register_notices(bot: TokendeskBot) -> None:
    """Deliver every kind of notice from this process."""
    for topic in NoticeTopic:
        bot.deliverer.register(
            OutboxKind.DM, topic.value, lambda item, b=bot: deliver_notice(b, item)
        )


def _unit(source: str | None) -> str:
    return "API credits" if source == "api" else "tokens"


async def deliver_notice(bot: TokendeskBot, item: OutboxItem) -> OutboxOutcome:
    """DM one notice, once, if its user still wants that kind.

    Raises:
        discord.Forbidden: the user's DMs are closed (the deliverer records it unreachable).
        discord.HTTPException: Discord failed; the deliverer tries again later.
    """
    if item.user_id is None:
        return OutboxOutcome.UNREACHABLE
    services = bot.services
    topic = NoticeTopic(item.topic)
    gid = item.payload.get("generation_id") if topic is NoticeTopic.FAILED else None

    def look(uow: UnitOfWork) -> tuple[bool, bool, int | None]:
        wants = uow.notify_choices(item.user_id or "").wants(topic)
        if gid is None or not wants:
            return wants, False, None
        gen = uow.generation(gid)
        return wants, bool(gen and gen.refunded), uow.tickets.open_for_generation(gid)

    wants, refunded, ticket = await services.ledger.read(look)
    if not wants:
        return OutboxOutcome.SKIPPED
    message = _message(topic, item, services.ledger.catalogue, refunded, ticket)
    channel = await bot.create_dm(discord.Object(id=int(item.user_id)))
    await send_once(channel, item, allowed_mentions=MENTIONS_NONE, **message)
    return OutboxOutcome.SENT


def _message(
    topic: NoticeTopic, item: OutboxItem, catalogue: Any, refunded: bool, ticket: int | None
) -> dict[str, Any]:
    p = item.payload
    if topic is NoticeTopic.FAILED:
        return _failed(item, refunded, ticket)
    if topic is NoticeTopic.LOW:
        embed = discord.Embed(title="Your tokens are running low", colour=WARN)
        embed.description = (
            f"You have **{tokens(int(p['total']))}** tokens left, below the "
            f"{tokens(int(p['threshold']))} you asked to hear about. `/usage` shows your pace "
            "and when you would run out; `/notify` changes this message."
        )
        return {"embed": embed}
    if topic is NoticeTopic.ROLLOVER:
        embed = discord.Embed(title="Rollover tokens will be lost at your renewal", colour=WARN)
        embed.description = (
            f"At your renewal {when(int(p['renewal_us']))}, **{tokens(int(p['lost']))}** tokens "
            f"will not fit in your rollover bank (its cap is {tokens(int(p['cap']))}) and "
            "will expire. Tokens you spend before then come out of what would be lost."
        )
        return {"embed": embed}
    embed = discord.Embed(title="A payment failed", colour=BAD)
    embed.description = (
        f"The payment for your {plan_name(str(p.get('plan', '')), catalogue)} plan did not go "
        "through. Until it does, renewals grant no monthly tokens (your rollover bank and the "
        "daily top-up still work). Update your payment details on the platform."
    )
    return {"embed": embed}


def _failed(item: OutboxItem, refunded: bool, ticket: int | None) -> dict[str, Any]:
    p = item.payload
    gid = safe(str(p["generation_id"]), 100)
    amount = f"{tokens(int(p['deducted']))} {_unit(p.get('source'))}"
    embed = discord.Embed(title="A generation failed after it was charged", colour=BAD)
    text = f"`{gid}` failed and cost you {amount}."
    if p.get("reason"):
        text += f"\nThe platform said: {safe(str(p['reason']), 300)}"
    if refunded:
        embed.colour = GOOD
        embed.description = f"{text}\n\nIt has been refunded already: the {amount} are back."
        return {"embed": embed}
    if ticket is not None:
        embed.description = f"{text}\n\nTicket #{ticket} is open for it; `/tickets` shows it."
        return {"embed": embed}
    embed.description = f"{text}\n\nPress the button to ask for them back (a refund ticket)."
    view = discord.ui.View(timeout=None)
    view.add_item(NoticeRefund(item.id))
    return {"embed": embed, "view": view}


class NoticeRefund(
    OwnerGuard, discord.ui.DynamicItem[discord.ui.Button], template=r"tdr:(?P<item>\d{1,18})"
):
    """On a `failed` DM: opens the refund ticket, through the desk, as `/refund` does."""

    def __init__(self, item_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Ask for a refund",
                style=discord.ButtonStyle.primary,
                custom_id=f"tdr:{item_id}",
            )
        )
        self.item_id = item_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> NoticeRefund:
        return cls(int(match["item"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # before the database: Discord allows 3 s
        services = services_of(interaction)
        user_id = str(interaction.user.id)
        item = await services.ledger.deliveries.item(self.item_id)
        if item is None or item.user_id != user_id or item.topic != NoticeTopic.FAILED:
            embed = discord.Embed(title="This button no longer works", colour=BAD)
            embed.description = "Use `/refund` with the generation's id instead."
            await interaction.edit_original_response(embed=embed, view=None)
            return
        gid = str(item.payload["generation_id"])
        result = await services.desk.open_refund(user_id, gid)
        embed = discord.Embed(colour=BRAND)
        if isinstance(result, Opened):
            wake_deliveries(interaction.client)  # its triage message, decided as it opened
            embed.title = f"Ticket #{result.ticket.id}: refund of {safe(gid, 100)}"
            if result.auto is not None:
                embed.colour = GOOD
                embed.description = "Approved at once: the tokens are back in your buckets."
            else:
                embed.description = (
                    "The support team will look at it. You'll hear back here, or see the "
                    "answer with `/tickets`."
                )
        else:
            embed.title = "No ticket opened"
            embed.description = refused_text(
                result, max_age_days=services.settings.refund_max_age_days
            )
        await interaction.edit_original_response(
            embed=embed, view=None, allowed_mentions=MENTIONS_NONE
        )
