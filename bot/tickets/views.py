"""Acting on a ticket: one path for the `/ticket` commands, the triage buttons and the modal.

The Claim, Approve and Deny buttons on triage messages work across restarts. They are
staff components: `StaffGuard` checks the support server and the role before anything
runs. Commands, buttons and the deny modal all acknowledge first and then call `decide`,
so they show the same result in the same order: decide (the user's DM is decided in the
same transaction), then update what the actor sees.
"""

from __future__ import annotations

import logging
import re

import discord

from bot.delivery import wake_deliveries
from bot.guards import StaffGuard, services_of, settle
from bot.outcomes import refused_text
from bot.respond import MENTIONS_NONE
from bot.style import BAD
from bot.tickets.embeds import ticket_embed
from diagnostics.desk import Decided
from ledger import Ticket

log = logging.getLogger(__name__)

__all__ = ["DenyReason", "TicketAction", "actor", "decide", "ticket_buttons"]

_STYLE = {
    "claim": discord.ButtonStyle.secondary,
    "approve": discord.ButtonStyle.success,
    "deny": discord.ButtonStyle.danger,
}
_LEVEL = {"claim": "support", "approve": "moderator", "deny": "moderator"}
DECISIONS = ("approve", "deny")


def actor(interaction: discord.Interaction) -> str:
    """How the ticket history names the staff member."""
    return f"discord:{interaction.user.id}"


async def decide(
    interaction: discord.Interaction, ticket_id: int, action: str, text: str | None = None
) -> None:
    """Act on a ticket for an interaction that is already acknowledged (deferred).

    The actor sees the ticket as it now is: the triage message is edited in place for a
    button or the modal, the deferred reply for a command. The user is told of an
    approval or denial by a DM the desk decided with it, which the deliverer sends.

    Raises:
        discord.HTTPException: Discord refused an edit or follow-up.
        DatabaseUnavailable: the ledger cannot be reached (the error handler answers).
    """
    services = services_of(interaction)
    result = await services.desk.act(ticket_id, action, actor(interaction), text)
    if not isinstance(result, Decided):
        why = refused_text(result, max_age_days=services.settings.refund_max_age_days)
        embed = discord.Embed(title="Not done", description=why, colour=BAD)
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=MENTIONS_NONE)
        return
    ticket = result.ticket
    embed, view = ticket_embed(ticket, for_staff=True), ticket_buttons(ticket)
    if action in DECISIONS:
        embed.set_footer(text="The user is told by DM, or in /tickets if their DMs are closed.")
    await interaction.edit_original_response(embed=embed, view=view, allowed_mentions=MENTIONS_NONE)
    wake_deliveries(interaction.client)


class TicketAction(
    StaffGuard,
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
        self.staff_level = _LEVEL[action]

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> TicketAction:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        if self.action == "deny":
            await interaction.response.send_modal(DenyReason(self.ticket_id))
            return
        await interaction.response.defer()  # before the database: Discord allows 3 s
        await decide(interaction, self.ticket_id, self.action)


class DenyReason(StaffGuard, discord.ui.Modal, title="Deny the refund"):
    """Asks the moderator why, then denies."""

    staff_level = "moderator"
    reason: discord.ui.TextInput = discord.ui.TextInput(
        label="Reason (the user will see it)", style=discord.TextStyle.paragraph, max_length=1000
    )

    def __init__(self, ticket_id: int) -> None:
        super().__init__(timeout=15 * 60)  # an abandoned form is forgotten, not kept forever
        self.ticket_id = ticket_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # before the database: Discord allows 3 s
        await decide(interaction, self.ticket_id, "deny", str(self.reason.value))


def ticket_buttons(ticket: Ticket) -> discord.ui.View:
    """The triage buttons for a ticket (disabled once it is decided)."""
    view = discord.ui.View(timeout=None)
    actions = ["claim", "approve", "deny"] if ticket.kind == "refund" else ["claim"]
    for action in actions:
        view.add_item(TicketAction(action, ticket.id, disabled=not ticket.open))
    return view
