"""Where the bot's commands are registered, and removing its own stale registrations.

- User commands are global and user-installable: installed by a server or by a user,
  usable in servers, in DMs with the bot and in private channels (SPEC 4).
- Staff commands are registered to the support server (`TOKENDESK_GUILD_ID`) only, and
  nowhere when it is unset.
- At start the bot overwrites its global commands with the user commands, which removes
  staff commands an earlier version left global, and empties its commands in every other
  server it is in (a server that was once the support server keeps them otherwise).

Discord clients can keep showing a removed command for a while; invoking one reaches
the bot, which answers it with a refusal (`bot.errors.handle_error`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

log = logging.getLogger(__name__)

__all__ = ["USER_CONTEXTS", "USER_INSTALLS", "register_commands"]

USER_CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
USER_INSTALLS = app_commands.AppInstallationType(guild=True, user=True)


async def register_commands(
    bot: commands.Bot,
    staff: Sequence[commands.Cog],
    support_guild_id: int | None,
    staff_menus: Sequence[app_commands.ContextMenu] = (),
) -> None:
    """Add the staff cogs and context menus to the support server, sync every scope, drop
    stale ones.

    Raises:
        discord.HTTPException: Discord refused the global sync.
    """
    support = discord.Object(id=support_guild_id) if support_guild_id is not None else None
    if support is not None:
        for cog in staff:
            await bot.add_cog(cog, guild=support)
        for menu in staff_menus:
            bot.tree.add_command(menu, guild=support)
    await bot.tree.sync()
    if support is not None:
        try:
            await bot.tree.sync(guild=support)
        except discord.Forbidden:
            log.error(
                "cannot register staff commands in TOKENDESK_GUILD_ID %s: the bot is not in "
                "that server, or lacks the applications.commands scope there",
                support.id,
            )
    await remove_stale_guild_commands(bot, keep=support_guild_id)
    log.info(
        "commands synced globally%s",
        f", staff commands to guild {support_guild_id}" if support_guild_id else "",
    )


async def remove_stale_guild_commands(bot: commands.Bot, *, keep: int | None) -> int:
    """Empty the bot's commands in every server it is in other than `keep`.

    One GET per server, and a PUT only where something is registered.

    Returns:
        How many servers had stale commands removed.
    """
    cleaned = 0
    async for guild in bot.fetch_guilds(limit=None):
        if guild.id == keep:
            continue
        try:
            registered = await bot.tree.fetch_commands(guild=guild)
            if registered:
                await bot.tree.sync(guild=guild)  # the tree holds nothing there: PUT []
        except discord.HTTPException as exc:
            log.warning("could not check commands in guild %s: %s", guild.id, exc)
            continue
        if registered:
            cleaned += 1
            names = ", ".join(sorted(c.name for c in registered))
            log.info("removed stale commands from guild %s: %s", guild.id, names)
    return cleaned
