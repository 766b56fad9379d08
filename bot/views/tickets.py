"""Claim, Approve and Deny buttons on triage messages, working across restarts."""

from __future__ import annotations

import logging
import re

import discord

from bot.embeds.tickets import ticket_embed
from bot.notify import tell_user
from bot.outcomes import refused_text
from bot.respond import MENTIONS_NONE
from bot.roles import require
from bot.views.guarded import services_of, settle
from diagnostics.desk import Decided
from ledger import Ticket

log = logging.getLogger(__name__)

__all__ = ["DenyReason", "TicketAction", "ticket_buttons"]

_STYLE = {
    "claim": discord.ButtonStyle.secondary,
    "approve": discord.ButtonStyle.success,
    "deny": discord.ButtonStyle.danger,
}
_LEVEL = {"claim": "support", "approve": "moderator", "deny": "moderator"}


class TicketAction(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"tdk:(?P<action>claim|approve|deny):(?P<id>[0-9]{1,18})",
):
    """A triage button: its custom id names the action and the ticket."""

    def __init__(self, action: str, ticket_id: int, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=action.capitalize(),
                style=_STYLE[action],
                custom_id=f"tdk:{action}:{ticket_id}",
                disabled=disabled,
            )
        )
        self.action = action
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> TicketAction:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        services = services_of(interaction)
        require(interaction.user, services.settings, _LEVEL[self.action])
        if self.action == "deny":
            await interaction.response.send_modal(DenyReason(self.ticket_id))
            return
        result = await services.desk.act(self.ticket_id, self.action, _actor(interaction))
        await show_result(interaction, result)


class DenyReason(discord.ui.Modal, title="Deny the refund"):
    """Asks the moderator why, then denies."""

    reason: discord.ui.TextInput = discord.ui.TextInput(
        label="Reason (the user will see it)", style=discord.TextStyle.paragraph, max_length=1000
    )

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        services = services_of(interaction)
        require(interaction.user, services.settings, "moderator")
        result = await services.desk.act(
            self.ticket_id, "deny", _actor(interaction), str(self.reason.value)
        )
        await show_result(interaction, result)


def _actor(interaction: discord.Interaction) -> str:
    return f"discord:{interaction.user.id}"


def ticket_buttons(ticket: Ticket) -> discord.ui.View:
    """The triage buttons for a ticket (disabled once it is decided)."""
    view = discord.ui.View(timeout=None)
    actions = ["claim", "approve", "deny"] if ticket.kind == "refund" else ["claim"]
    for action in actions:
        view.add_item(TicketAction(action, ticket.id, disabled=not ticket.open))
    return view


async def show_result(interaction: discord.Interaction, result: Decided | object) -> None:
    """Update the triage message after an action, tell the user of a decision."""
    services = services_of(interaction)
    if not isinstance(result, Decided):
        text = refused_text(result, max_age_days=services.settings.refund_max_age_days)
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=MENTIONS_NONE
        )
        return
    ticket = result.ticket
    embed, view = ticket_embed(ticket, for_staff=True), ticket_buttons(ticket)
    if interaction.message is not None and interaction.message.author == interaction.client.user:
        await interaction.response.edit_message(embed=embed, view=view)
    else:
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=MENTIONS_NONE
        )
    if result.action in ("approve", "deny"):
        await tell_user(interaction.client, services.desk, ticket)
