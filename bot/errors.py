"""The one error handler for slash commands, buttons, selects and modals."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.embeds.common import BAD
from bot.respond import MENTIONS_NONE
from ledger import DatabaseUnavailable

log = logging.getLogger(__name__)

__all__ = ["NotAllowed", "handle_error", "incident_id"]


class NotAllowed(app_commands.CheckFailure):
    """The user lacks the role a command or button needs.

    Attributes:
        role: the role's name or id as configured.
    """

    def __init__(self, role: str | None) -> None:
        super().__init__(role or "")
        self.role = role


def incident_id() -> str:
    """A short id a user can quote to support, and that appears in the log line."""
    return secrets.token_hex(4).upper()


async def handle_error(interaction: discord.Interaction, error: Exception) -> None:
    """Turn any failure into a short, ephemeral answer; never leave the interaction hanging.

    Errors are treated in this order:
    1. `NotAllowed`: the user is told which role the action needs; nothing is logged.
    2. Other check failures (a cooldown, a guild-only command in DMs): their message.
    3. `TransformerError`: an option Discord sent that we could not read.
    4. An unreachable database: a "try again shortly" with an incident id, logged.
    5. Anything else: logged with the command, user and incident id; the user gets the id.
    """
    original = getattr(error, "original", error)
    if isinstance(error, NotAllowed):
        role = f" (**{discord.utils.escape_markdown(error.role)}**)" if error.role else ""
        text = f"Only the support team{role} can do that."
        await _send(interaction, "Not allowed", text)
        return
    if isinstance(error, app_commands.CommandOnCooldown):
        await _send(interaction, "Slow down", f"Try again in {error.retry_after:.0f} seconds.")
        return
    if isinstance(error, app_commands.CheckFailure):
        await _send(interaction, "Not available here", "This cannot be used here.")
        return
    if isinstance(error, app_commands.TransformerError):
        await _send(interaction, "That option looks wrong", "Check the values and try again.")
        return
    incident = incident_id()
    name = interaction.command.qualified_name if interaction.command else interaction.type.name
    log.error(
        "incident %s: %s by user %s in guild %s failed",
        incident,
        name,
        interaction.user.id,
        interaction.guild_id,
        exc_info=original,
    )
    if isinstance(original, DatabaseUnavailable | OSError | ConnectionError):
        text = "The ledger is unreachable right now; please try again in a minute."
    else:
        text = "Something went wrong on our side; please try again."
    await _send(interaction, "Sorry", f"{text}\nIncident `{incident}`, if you contact support.")


async def _send(interaction: discord.Interaction, title: str, text: str) -> None:
    embed = discord.Embed(title=title, description=text, colour=BAD)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(
                embed=embed, ephemeral=True, allowed_mentions=MENTIONS_NONE
            )
        else:
            await interaction.response.send_message(
                embed=embed, ephemeral=True, allowed_mentions=MENTIONS_NONE
            )
    except discord.HTTPException:
        log.warning("could not tell user %s about an error", interaction.user.id, exc_info=True)
