"""Incidents for moderators: `/incident refund`, and the alert with its `Refund all` button.

- `/incident refund since until [model] [reason]` is a staff command (registered to the
  support server only, checked by `StaffCog.interaction_check` (`bot.roles`) for the moderator
  role there); it refunds through the desk (`diagnostics.incidents`).
- An alert is decided by the ledger where failures are applied (an outbox item of kind
  CHANNEL, topic `incident`); `deliver_alert` posts it once in the triage channel with a
  `Refund all` button, which only moderators may press (others are told "staff only"
  and nothing changes). The button refunds the alert's model over the window it covers.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.delivery import send_once, wake_deliveries
from bot.guards import StaffGuard, services_of, settle
from bot.incidents import BadWindow, parse_window, refunded_text
from bot.respond import MENTIONS_NONE, Reply, answer
from bot.roles import StaffCog, staff_group
from bot.services import Services
from bot.style import BAD, GOOD, WARN, clip, safe
from bot.tickets.views import actor
from bot.words import tokens
from ledger import ALERT_WINDOW_US, IncidentWindow, OutboxItem, OutboxOutcome, from_us

if TYPE_CHECKING:
    from bot.app import TokendeskBot

log = logging.getLogger(__name__)

__all__ = ["IncidentCog", "RefundAllButton", "alert_message", "deliver_alert"]

MODERATOR = {"level": "moderator"}


async def _refund(
    services: Services, window: IncidentWindow, who: str, reason: str | None
) -> Reply:
    done = await services.desk.refund_incident(window, who, reason)
    colour = GOOD if done.generations else WARN
    return Reply(
        discord.Embed(title="Incident refund", description=refunded_text(done), colour=colour)
    )


class IncidentCog(StaffCog):
    """`/incident refund`: refund a whole outage at once (moderators)."""

    incident = staff_group("incident", "Moderators: refund the failures of an outage")

    @incident.command(name="refund", extras=MODERATOR)
    async def refund(
        self,
        interaction: discord.Interaction,
        since: app_commands.Range[str, 1, 64],
        until: app_commands.Range[str, 1, 64],
        model: app_commands.Range[str, 1, 128] | None = None,
        reason: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        """Refund every charged generation that failed in a window, each on its own ticket.

        Args:
            since: First instant (included), ISO 8601 with an offset: 2026-03-10T09:00:00Z.
            until: Last instant (included), ISO 8601 with an offset: 2026-03-10T10:00:00Z.
            model: Only failures of this model.
            reason: Why, as each user's decision message gives it.
        """
        services = self.services
        try:
            window = parse_window(since, until, model)
        except BadWindow as exc:
            embed = discord.Embed(title="Nothing refunded", description=str(exc), colour=BAD)
            await interaction.response.send_message(
                embed=embed, ephemeral=True, allowed_mentions=MENTIONS_NONE
            )
            return

        async def work() -> Reply:
            reply = await _refund(services, window, actor(interaction), reason)
            wake_deliveries(interaction.client)  # the decision DMs
            return reply

        await answer(interaction, work(), defer_after=services.defer_after)


def alert_message(item: OutboxItem) -> dict:
    """The alert as posted in the triage channel (`Messageable.send` keywords)."""
    p = item.payload
    since, at, until = (from_us(int(p[k])) for k in ("since_us", "at_us", "until_us"))
    model = safe(str(p["model"]), 160)  # from the platform: shown as text
    minutes = ALERT_WINDOW_US // 60_000_000
    embed = discord.Embed(
        title=clip(f"Incident: {model} is failing", 256),
        description=(
            f"**{int(p['failures']):,}** generations of **{model}** failed within {minutes}"
            f" minutes (from {discord.utils.format_dt(since, 'T')} to"
            f" {discord.utils.format_dt(at, 'T')}, {discord.utils.format_dt(at, 'R')}),"
            f" on {int(p['accounts']):,} accounts; their charges took"
            f" {tokens(int(p['tokens']))} tokens."
        ),
        colour=WARN,
    )
    embed.add_field(
        name="Refund all",
        value=(
            f"Moderators: refunds every charged failure of **{model}** reported from"
            f" {discord.utils.format_dt(since, 'f')} to {discord.utils.format_dt(until, 'f')}"
            " that is not refunded yet, each on its own ticket. Press it again later for"
            " failures reported since."
        ),
    )
    view = discord.ui.View(timeout=None)
    view.add_item(RefundAllButton(int(p["alert_id"])))
    return {"embed": embed, "view": view, "allowed_mentions": MENTIONS_NONE}


async def deliver_alert(bot: TokendeskBot, item: OutboxItem) -> OutboxOutcome:
    """Post an incident alert in the triage channel, once.

    Raises:
        discord.HTTPException: Discord failed; the deliverer tries again later.
    """
    settings = bot.services.settings
    if settings.triage_channel is None:
        log.warning(
            "incident alert for %r not posted: TOKENDESK_TRIAGE_CHANNEL is unset",
            item.payload.get("model"),
        )
        return OutboxOutcome.UNREACHABLE
    channel = bot.get_partial_messageable(settings.triage_channel, guild_id=settings.guild_id)
    await send_once(channel, item, **alert_message(item))
    return OutboxOutcome.SENT


class RefundAllButton(
    StaffGuard,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"tdk:incident:(?P<id>[0-9]{1,18})",
):
    """An alert's `Refund all`: moderators only; its custom id names the alert."""

    staff_level = "moderator"

    def __init__(self, alert_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Refund all",
                style=discord.ButtonStyle.danger,
                custom_id=f"tdk:incident:{alert_id}",
            )
        )
        self.alert_id = alert_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> RefundAllButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # Discord allows 3 s
        services = services_of(interaction)
        window = await services.desk.incident_window(self.alert_id)
        if window is None:
            embed = discord.Embed(
                title="Nothing refunded", description="That alert no longer exists.", colour=BAD
            )
            await interaction.followup.send(
                embed=embed, ephemeral=True, allowed_mentions=MENTIONS_NONE
            )
            return
        reason = f"incident alert: {window.model}"
        reply = await _refund(services, window, actor(interaction), reason)
        wake_deliveries(interaction.client)
        await interaction.followup.send(ephemeral=True, **reply.kwargs())
