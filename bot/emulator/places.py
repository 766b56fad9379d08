"""Where an interaction happens: guild, DM with the bot or private channel, and which install.

Discord says in every interaction how the app is installed where it was used
(``authorizing_integration_owners``: ``"0"`` the guild install, ``"1"`` the user install)
and in which context (``context``: 0 guild, 1 the bot's DM, 2 a private channel the bot
is not in). Its client only offers a command where the command's ``contexts`` and
``integration_types`` allow it, and a guild-installed command only to members with its
``default_member_permissions``. :func:`check_available` does the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.emulator.problems import CommandNotAvailable, EmulatorError
from bot.emulator.registry import SyncedCommand
from bot.emulator.world import ADMINISTRATOR, GROUP_DM, Channel, Guild, Member, User, World

log = logging.getLogger(__name__)

GUILD_CONTEXT, BOT_DM_CONTEXT, PRIVATE_CHANNEL_CONTEXT = 0, 1, 2
GUILD_INSTALL, USER_INSTALL = 0, 1
INSTALLS = {"guild": GUILD_INSTALL, "user": USER_INSTALL}


@dataclass(frozen=True, eq=False)
class Place:
    """A user in a guild channel, their DM with the bot, or a private channel."""

    user: User
    guild: Guild | None
    channel: Channel
    install: int = GUILD_INSTALL

    @property
    def context(self) -> int:
        """Discord's interaction context type."""
        if self.guild is not None:
            return GUILD_CONTEXT
        return PRIVATE_CHANNEL_CONTEXT if self.channel.type == GROUP_DM else BOT_DM_CONTEXT

    def owners(self) -> dict[str, str]:
        """``authorizing_integration_owners`` as Discord sends it."""
        if self.install == USER_INSTALL:
            return {str(USER_INSTALL): str(self.user.id)}
        return {str(GUILD_INSTALL): str(self.guild.id) if self.guild is not None else "0"}


def locate(
    world: World,
    user: Member | User,
    guild: Guild | None = None,
    channel: Channel | None = None,
    install: str = "guild",
) -> Place:
    """Where ``user`` acts: a :class:`Member` in their guild, a :class:`User` in the bot's
    DM, or in ``channel`` if it is a private channel they are in (user install only).

    Raises:
        EmulatorError: the user, guild, channel and install do not fit together.
    """
    if install not in INSTALLS:
        raise EmulatorError(f"install is 'guild' or 'user', not {install!r}")
    kind = INSTALLS[install]
    where: Guild | None
    if isinstance(user, Member):
        home = world.guilds[user.guild_id]
        person, where = user.user, home
        if guild is not None and guild is not home:
            raise EmulatorError(f"{person.name} is a member of {home.name}, not {guild.name}")
    else:
        person, where = user, guild
        if guild is not None and user.id not in guild.members:
            raise EmulatorError(f"{user.name} is not a member of {guild.name}")
    if where is not None:
        if channel is not None and channel.guild_id != where.id:
            raise EmulatorError(f"channel {channel.name} is not in {where.name}")
        return Place(person, where, channel or where.default_channel, kind)
    if channel is not None and channel.type == GROUP_DM:
        if person.id not in channel.recipients:
            raise EmulatorError(f"{person.name} is not in that private channel")
        if kind != USER_INSTALL:
            raise EmulatorError("the bot is not in private channels: use install='user'")
        return Place(person, None, channel, kind)
    dm = world.dm_channel(person)
    if channel is not None and channel is not dm:
        raise EmulatorError("a DM interaction happens in the user's DM channel")
    return Place(person, None, dm, kind)


def check_available(command: SyncedCommand, world: World, place: Place) -> None:
    """Refuse commands Discord's client would not offer this user in this place.

    Raises:
        CommandNotAvailable: the context, install or member permissions rule it out.
    """
    spec, name = command.definition, command.name
    if command.guild_id is not None:  # guild commands: that guild, through its install
        if place.guild is None or place.guild.id != command.guild_id:
            raise CommandNotAvailable(f"/{name} is registered to another guild only")
        if place.install != GUILD_INSTALL:
            raise CommandNotAvailable(f"/{name} is a guild command, not user-installable")
    else:
        contexts = spec.get("contexts")
        if contexts is None:
            contexts = [GUILD_CONTEXT, BOT_DM_CONTEXT] if spec["dm_permission"] else [0]
        if place.context not in contexts:
            raise CommandNotAvailable(f"/{name} cannot be used in context {place.context}")
        installs = spec.get("integration_types") or [GUILD_INSTALL]
        if place.install not in installs:
            raise CommandNotAvailable(f"/{name} is not available to install type {place.install}")
    required = spec.get("default_member_permissions")
    if place.guild is not None and place.install == GUILD_INSTALL and required is not None:
        have, needed = world.permissions(place.guild, place.user.id), int(required)
        if not have & ADMINISTRATOR and (needed == 0 or needed & ~have):
            raise CommandNotAvailable(f"{place.user.name} lacks the permissions /{name} needs")
