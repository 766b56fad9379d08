"""The one error handler for slash commands, buttons, selects and modals."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.outcomes import not_yours_text, staff_only_text, stale_command_text
from bot.respond import MENTIONS_NONE
from bot.style import BAD
from ledger import DatabaseUnavailable

log = logging.getLogger(__name__)

__all__ = ["NotYours", "StaffOnly", "handle_error", "incident_id", "refuse"]


class StaffOnly(app_commands.CheckFailure):
    """A staff action was refused; nothing was done.

    Attributes:
        reason: `no_support_server` (`TOKENDESK_GUILD_ID` is unset), `elsewhere` (not
            from the support server's own install), `not_staff` (lacks the role) or
            `stale` (an out-of-date registration of a staff command).
        level: `support` or `moderator`.
    """

    def __init__(self, reason: str, level: str = "support") -> None:
        super().__init__(reason)
        self.reason = reason
        self.level = level


class NotYours(app_commands.CheckFailure):
    """A component made for one person was used by another; nothing was done."""


def incident_id() -> str:
    """A short id a user can quote to support, and that appears in the log line."""
    return secrets.token_hex(4).upper()


async def handle_error(interaction: discord.Interaction, error: Exception) -> None:
    """Turn any failure into a short, ephemeral answer; never leave the interaction hanging.

    Errors are treated in this order:
    1. Autocomplete: whatever failed, the answer is an empty list of suggestions.
    2. `StaffOnly`: "staff only", never naming the configured role; nothing is logged.
    3. `NotYours`: someone else's component.
    4. A command the bot does not offer there (a stale registration Discord still shows):
       refused like a staff action if it is one, else "not available".
    5. Other check failures (a cooldown, a guild-only command in DMs): their message.
    6. `TransformerError`: an option Discord sent that we could not read.
    7. An unreachable database: a "try again shortly" with an incident id, logged.
    8. Anything else: logged with the command, user and incident id; the user gets the id.
    """
    original = getattr(error, "original", error)
    if interaction.type is discord.InteractionType.autocomplete:
        if not interaction.response.is_done():
            await interaction.response.autocomplete([])
        return
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        error = _stale(interaction, error)
    if isinstance(error, StaffOnly):
        await refuse(interaction, "Staff only", staff_only_text(error.reason, error.level))
        return
    if isinstance(error, NotYours):
        await refuse(interaction, "Not yours", not_yours_text())
        return
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        await refuse(interaction, "Not available here", stale_command_text())
        return
    if isinstance(error, app_commands.CommandOnCooldown):
        await refuse(interaction, "Slow down", f"Try again in {error.retry_after:.0f} seconds.")
        return
    if isinstance(error, app_commands.CheckFailure):
        await refuse(interaction, "Not available here", "This cannot be used here.")
        return
    if isinstance(error, app_commands.TransformerError):
        await refuse(interaction, "That option looks wrong", "Check the values and try again.")
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
    await refuse(interaction, "Sorry", f"{text}\nIncident `{incident}`, if you contact support.")


def _stale(interaction: discord.Interaction, error: app_commands.AppCommandError) -> Exception:
    """A staff command the bot does not offer there is refused as a staff action."""
    data = interaction.data or {}
    staff = getattr(interaction.client, "staff_command_names", frozenset())
    if data.get("name") not in staff:
        return error
    settings = interaction.client.services.settings  # type: ignore[attr-defined]
    log.info(
        "refused stale registration of /%s from guild %s", data.get("name"), interaction.guild_id
    )
    return StaffOnly("no_support_server" if settings.guild_id is None else "stale")


async def refuse(interaction: discord.Interaction, title: str, text: str) -> None:
    """Answer ephemerally with a red embed, whether or not the interaction was acknowledged."""
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
