"""Guards for components: who each button, select and modal acts for, and answers for all.

discord.py only logs what a DynamicItem's callback or check raises, and silently drops
a component whose custom id is not on its message or a modal it no longer holds. Each
would leave the user with "This interaction failed". So:

- every component of ours claims its interaction first (`claim`), in its
  `interaction_check`;
- a refused check answers with the refusal itself, then returns False (as discord.py's
  examples do);
- callbacks run through `settle`, the interaction gate: counted, timed, and a failure
  reaches the one error handler;
- `answer_unclaimed` answers whatever component or modal nobody claimed (a custom id
  forged or replayed onto another message, a modal from before a restart).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import NotYours, handle_error, refuse
from bot.gate import InteractionGate
from bot.roles import staff_refusal

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

__all__ = [
    "OwnerGuard",
    "StaffGuard",
    "StaffOwnerGuard",
    "answer_unclaimed",
    "claim",
    "owner_of",
    "services_of",
    "settle",
]

_CLAIMED = "tokendesk.claimed"
UNCLAIMED_GRACE = 0.1
"""Seconds before an unclaimed component or modal is answered. discord.py schedules its
handlers before the `on_interaction` event, and ours claim in their first step, so this
only has to outlast a busy event loop, far below Discord's 3 seconds."""


def services_of(interaction: discord.Interaction) -> Services:
    """The bot's services, from the client that received the interaction."""
    return interaction.client.services  # type: ignore[attr-defined]


def claim(interaction: discord.Interaction) -> None:
    """Mark the interaction as handled by one of our components."""
    interaction.extras[_CLAIMED] = True


async def settle(interaction: discord.Interaction, work: Awaitable[None]) -> None:
    """Run a component's work through the bot's interaction gate (`bot.gate`).

    The gate counts and times it, answers any failure through the error handler, and
    leaves it unanswered when the process is stopping.
    """
    gate: InteractionGate = interaction.client.gate  # type: ignore[attr-defined]
    await gate.run(interaction, work)


class StaffGuard:
    """Mixin for staff components (put it before `DynamicItem` or `Modal`).

    Subclasses say which `staff_level` they need (`support` or `moderator`).
    """

    staff_level: str = "support"

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        claim(interaction)
        refusal = staff_refusal(interaction, services_of(interaction).settings, self.staff_level)
        if refusal is None:
            return True
        log.info(
            "refused %s from user %s in guild %s: %s",
            type(self).__name__,
            interaction.user.id,
            interaction.guild_id,
            refusal.reason,
        )
        await handle_error(interaction, refusal)
        return False


def owner_of(message: discord.Message | None) -> int | None:
    """Who a message's components are for: the user whose interaction made it.

    A message in a DM with the bot is for its recipient; any other message (a channel
    post) is for nobody in particular, so it has no owner.
    """
    if message is None:
        return None
    if message.interaction_metadata is not None:
        return message.interaction_metadata.user.id
    channel = message.channel
    if isinstance(channel, discord.DMChannel) and channel.recipient is not None:
        return channel.recipient.id
    return None


class OwnerGuard:
    """Mixin for components made for one person (a user's own troubleshooter or picker)."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        claim(interaction)
        if owner_of(interaction.message) == interaction.user.id:
            return True
        log.info("refused %s pressed by user %s", type(self).__name__, interaction.user.id)
        await handle_error(interaction, NotYours())
        return False


class StaffOwnerGuard(StaffGuard):
    """Mixin for a staff member's own components (the pages of the queue they asked for):
    staff at `staff_level`, and the person the message was made for."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if not await super().interaction_check(interaction):
            return False
        if owner_of(interaction.message) == interaction.user.id:
            return True
        log.info("refused %s pressed by user %s", type(self).__name__, interaction.user.id)
        await handle_error(interaction, NotYours())
        return False


_TYPES = (discord.InteractionType.component, discord.InteractionType.modal_submit)


async def answer_unclaimed(interaction: discord.Interaction) -> None:
    """Answer a component or modal interaction no component of ours took.

    Every component of ours must claim its interaction (`StaffGuard`, `OwnerGuard`, or
    `claim` first thing in its check); anything unclaimed after `UNCLAIMED_GRACE` is
    answered here with a refusal.
    """
    if interaction.type not in _TYPES:
        return
    await asyncio.sleep(UNCLAIMED_GRACE)
    if interaction.extras.get(_CLAIMED) or interaction.response.is_done():
        return
    data: dict[str, Any] = dict(interaction.data or {})  # type: ignore[arg-type]
    log.info(
        "answering unclaimed %s %r from user %s",
        interaction.type.name,
        str(data.get("custom_id", ""))[:100],
        interaction.user.id,
    )
    if str(data.get("custom_id", "")).startswith("tdk:"):
        refusal = staff_refusal(interaction, services_of(interaction).settings, "support")
        if refusal is not None:
            await handle_error(interaction, refusal)
            return
    await refuse(
        interaction,
        "This no longer works",
        "That button or form is out of date or not meant for this message. Run the command again.",
    )
