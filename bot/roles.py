"""Who may act as staff, and where: the one guard for every staff action (SPEC 4).

A staff action (a support or moderator command, a triage button, the deny modal, the
`Tokens` context menu) acts only when all of these hold:

1. `TOKENDESK_GUILD_ID` is set: it names the support server.
2. The interaction comes from that server, through the bot's own install there (not a
   user install, not a DM, not another server, whatever roles are held there).
3. The member holds the configured role among the support server's roles. A setting of
   digits only is a role id and is compared with role ids only; anything else is a role
   name, matched exactly.

Discord's `default_member_permissions` only hides the commands by default (server admins
can change it); this check runs on the server side every time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import StaffOnly
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

__all__ = [
    "STAFF_CONTEXTS",
    "STAFF_INSTALLS",
    "STAFF_PERMISSIONS",
    "StaffCog",
    "holds_role",
    "require_staff",
    "staff_check",
    "staff_command",
    "staff_group",
    "staff_refusal",
]

T = TypeVar("T")

STAFF_PERMISSIONS = discord.Permissions(manage_messages=True)
"""What Discord asks of a member before it even shows a staff command (a default only)."""
STAFF_CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)
STAFF_INSTALLS = app_commands.AppInstallationType(guild=True, user=False)
LEVELS = ("support", "moderator")


def holds_role(member: discord.Member, configured: str | None, guild_id: int) -> bool:
    """Whether `member` holds the role a setting names, among the roles of `guild_id`."""
    wanted = (configured or "").strip()
    if not wanted:
        return False
    if wanted.isdigit():
        return any(role.id == int(wanted) for role in member.roles if role.guild.id == guild_id)
    return any(role.name == wanted for role in member.roles if role.guild.id == guild_id)


def staff_refusal(
    interaction: discord.Interaction, settings: Settings, level: str
) -> StaffOnly | None:
    """Why `interaction` may not act at `level` (`support` or `moderator`), or None.

    Raises:
        ValueError: `level` is not a staff level (a programming error).
    """
    if level not in LEVELS:
        raise ValueError(f"unknown staff level {level!r}")
    support = settings.guild_id
    if support is None:
        return StaffOnly("no_support_server", level)
    if interaction.guild_id != support or not interaction.is_guild_integration():
        return StaffOnly("elsewhere", level)
    member = interaction.user
    if not isinstance(member, discord.Member):
        return StaffOnly("elsewhere", level)
    moderator = holds_role(member, settings.moderator_role, support)
    if level == "moderator" and not moderator:
        return StaffOnly("not_staff", level)
    if not (moderator or holds_role(member, settings.support_role, support)):
        return StaffOnly("not_staff", level)  # moderators can triage too
    return None


def require_staff(interaction: discord.Interaction, settings: Settings, level: str) -> None:
    """Raise unless `interaction` may act at `level`.

    Raises:
        StaffOnly: with the reason; the error handler words it without naming the role.
    """
    refusal = staff_refusal(interaction, settings, level)
    if refusal is not None:
        raise refusal


def staff_check(level: str) -> Callable[[T], T]:
    """An `app_commands.check` for staff commands outside the staff cog (a context menu).

    Raises (when the command runs):
        StaffOnly: the interaction may not act at `level`.
    """

    def predicate(interaction: discord.Interaction) -> bool:
        services = interaction.client.services  # type: ignore[attr-defined]
        require_staff(interaction, services.settings, level)
        return True

    return app_commands.check(predicate)


class StaffCog(commands.Cog):
    """A cog of staff commands: each acts at the level its `extras` name (`support` unless
    `{"level": "moderator"}`), and only where `staff_refusal` allows it."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Every command here: the support server, its own install, the role it needs.

        Raises:
            StaffOnly: refused; the error handler answers "staff only".
        """
        command = interaction.command
        level = command.extras.get("level", "support") if command is not None else "support"
        refusal = staff_refusal(interaction, self.services.settings, level)
        if refusal is None:
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            return False  # discord.py answers an autocomplete that fails its check with []
        log.info(
            "refused /%s from user %s in guild %s: %s",
            command.qualified_name if command else "?",
            interaction.user.id,
            interaction.guild_id,
            refusal.reason,
        )
        raise refusal


def staff_group(name: str, description: str) -> app_commands.Group:
    """A group of staff commands: guild install, guild context, hidden by default."""
    return app_commands.Group(
        name=name,
        description=description,
        default_permissions=STAFF_PERMISSIONS,
        allowed_contexts=STAFF_CONTEXTS,
        allowed_installs=STAFF_INSTALLS,
    )


def staff_command(func: T) -> T:
    """Register a command as staff: guild install, guild context, hidden by default."""
    func = app_commands.default_permissions(manage_messages=True)(func)
    func = app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)(func)
    return app_commands.allowed_installs(guilds=True, users=False)(func)
