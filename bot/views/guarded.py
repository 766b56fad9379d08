"""A base for persistent components: their errors reach the one error handler.

discord.py only logs what a DynamicItem's callback raises, which would leave the user
with "This interaction failed"; these items answer through `handle_error` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import discord

from bot.errors import handle_error

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

__all__ = ["services_of", "settle"]


def services_of(interaction: discord.Interaction) -> Services:
    """The bot's services, from the client that received the interaction."""
    return interaction.client.services  # type: ignore[attr-defined]


async def settle(interaction: discord.Interaction, work: Awaitable[None]) -> None:
    """Run a component's work; any failure is answered by the error handler."""
    try:
        await work
    except Exception as exc:
        await handle_error(interaction, exc)
