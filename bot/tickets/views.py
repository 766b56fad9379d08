"""Acting on a ticket: one path for the `/ticket` commands, the triage buttons and the modal.

The Claim, Approve, Deny and Close buttons on triage messages work across restarts. They
are staff components: `StaffGuard` checks the support server and the role before
anything runs. Commands, buttons and the deny modal all acknowledge first and then call
`decide`, so they show the same result in the same order: decide (the user's DM, the
triage message's refresh and the thread's line are decided in the same transaction),
then show the actor the ticket as it now is. The triage message itself is only ever
written by the outbox's TRIAGE handler (`bot.tickets.triage`), from the database, so
it shows the ticket as it is whichever way, and in whichever process, it changed.
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
from diagnostics.tickets import Refused, transition
from ledger import Ticket, TicketAction

log = logging.getLogger(__name__)

__all__ = ["DenyReason", "TriageButton", "actor", "decide", "show", "ticket_buttons"]

_STYLE = {
    "claim": discord.ButtonStyle.secondary,
    "approve": discord.ButtonStyle.success,
    "deny": discord.ButtonStyle.danger,
    "close": discord.ButtonStyle.secondary,
}
_LEVEL = {"claim": "support", "approve": "moderator", "deny": "moderator", "close": "support"}
DECISIONS = ("approve", "deny")


def actor(interaction: discord.Interaction) -> str:
    """How the ticket history names the staff member."""
    return f"discord:{interaction.user.id}"


async def decide(
    interaction: discord.Interaction, ticket_id: int, action: str, text: str | None = None
) -> None:
    """Act on a ticket for an interaction that is already acknowledged (deferred).

    The actor sees the ticket as it now is, for them alone: in the deferred reply of a
    command, or a follow-up to a button or the modal. The triage message and thread are
    brought up to date by the deliverer (woken at once), like the user's DM of an
    approval or denial: all were decided with the action, in its transaction.

    Raises:
        discord.HTTPException: Discord refused an edit or follow-up.
        DatabaseUnavailable: the ledger cannot be reached (the error handler answers).
    """
    services = services_of(interaction)
    result = await services.desk.act(ticket_id, action, actor(interaction), text)
    if not isinstance(result, Decided):
        why = refused_text(result, max_age_days=services.settings.refund_max_age_days)
        await show(interaction, discord.Embed(title="Not done", description=why, colour=BAD))
        return
    wake_deliveries(interaction.client)
    ticket = result.ticket
    now, sla = services.ledger.now_us(), services.desk.policy.sla_us
    embed = ticket_embed(ticket, for_staff=True, now_us=now, sla_us=sla)
    if action in DECISIONS:
        embed.set_footer(text="The user is told by DM, or in /tickets if their DMs are closed.")
    await show(interaction, embed)


async def show(interaction: discord.Interaction, embed: discord.Embed) -> None:
    """Show the actor an answer, for them alone, once the interaction was deferred.

    Raises:
        discord.HTTPException: Discord refused it.
    """
    if interaction.type is discord.InteractionType.application_command:
        await interaction.edit_original_response(embed=embed, allowed_mentions=MENTIONS_NONE)
        return
    await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=MENTIONS_NONE)


class TriageButton(
    StaffGuard,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"tdk:(?P<action>claim|approve|deny|close):(?P<id>[0-9]{1,18})",
):
    """A triage button: its custom id names the action and the ticket."""

    def __init__(self, action: str, ticket_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=action.capitalize(),
                style=_STYLE[action],
                custom_id=f"tdk:{action}:{ticket_id}",
            )
        )
        self.action = action
        self.ticket_id = ticket_id
        self.staff_level = _LEVEL[action]

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> TriageButton:
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


def ticket_buttons(ticket: Ticket) -> discord.ui.View | None:
    """The triage buttons that still apply to a ticket; None once it is decided or closed."""
    actions = [
        action
        for action in ("claim", "approve", "deny", "close")
        if not isinstance(transition(ticket, TicketAction(action)), Refused)
    ]
    if not actions:
        return None
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(TriageButton(action, ticket.id))
    return view
