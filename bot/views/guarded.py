"""A base for persistent components: their errors reach the one error handler.

discord.py only logs what a DynamicItem's callback raises, which would leave the user
with "This interaction failed"; these items answer through the interaction gate, whose
failures reach `handle_error`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import discord

from bot.gate import InteractionGate

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

__all__ = ["services_of", "settle"]


def services_of(interaction: discord.Interaction) -> Services:
    """The bot's services, from the client that received the interaction."""
    return interaction.client.services  # type: ignore[attr-defined]


async def settle(interaction: discord.Interaction, work: Awaitable[None]) -> None:
    """Run a component's work through the bot's interaction gate (`bot.gate`).

    The gate counts and times it, answers any failure through the error handler, and
    leaves it unanswered when the process is stopping.
    """
    gate: InteractionGate = interaction.client.gate  # type: ignore[attr-defined]
    await gate.run(interaction, work)
