"""In-memory model of the Discord world the emulator serves: users, guilds, channels, messages."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.message import Message
from bot.emulator.snowflakes import Snowflakes, iso

log = logging.getLogger(__name__)

ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
#: Every permission bit Discord defines (as of API v10, discord.py 2.7).
ALL_PERMISSIONS = 0x1F7FFFFFFFFFFF
#: @everyone in a new guild: view, send, embed, attach, history, reactions, app commands, ...
DEFAULT_EVERYONE_PERMISSIONS = 277_096_025_153
#: The bot's managed role: what a typical invite URL grants a support bot.
DEFAULT_BOT_PERMISSIONS = 326_417_902_656

SEND_MESSAGES_IN_THREADS = 1 << 38
CREATE_PUBLIC_THREADS = 1 << 35

TEXT_CHANNEL = 0
DM_CHANNEL = 1
GROUP_DM = 3
PUBLIC_THREAD = 11
#: Minutes of inactivity after which Discord hides a thread; what a new one gets.
THREAD_ARCHIVE_MINUTES = (60, 1440, 4320, 10080)


@dataclass(eq=False)
class User:
    """A Discord user (a person in tests, or the bot)."""

    id: int
    name: str
    bot: bool = False
    global_name: str | None = None
    dms_open: bool = True
    locale: str = "en-US"

    @property
    def mention(self) -> str:
        """The ``<@id>`` mention of the user."""
        return f"<@{self.id}>"


@dataclass(eq=False)
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    bot_id: int | None = None


@dataclass(eq=False)
class Channel:
    """A guild text channel, a public thread under one of its messages, the bot's DM with a
    user, or a group DM the bot is not in."""

    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    recipient_id: int | None = None
    recipients: tuple[int, ...] = ()
    parent_id: int | None = None
    owner_id: int | None = None
    archive_minutes: int = 1440
    created_at: str = field(default_factory=iso)

    @property
    def is_thread(self) -> bool:
        """A thread (its id is the id of the message it was started from)."""
        return self.type == PUBLIC_THREAD


@dataclass(eq=False)
class Member:
    """A user's membership in one guild."""

    user: User
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso)

    @property
    def id(self) -> int:
        """The member's user id."""
        return self.user.id


@dataclass(eq=False)
class Guild:
    """A guild with its roles, channels and members (all keyed by id)."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    threads: dict[int, Channel] = field(default_factory=dict)
    locale: str = "en-US"

    @property
    def default_channel(self) -> Channel:
        """The first text channel (created with the guild)."""
        return next(iter(self.channels.values()))


@dataclass(eq=False)
class Application:
    """The bot's application; ``token`` is what the bot logs in with."""

    id: int
    name: str
    bot: User
    owner: User
    token: str
    flags: int = 0


Listener = Callable[[str, Any], None]


NONCE_WINDOW_S = 300.0
MAX_FILES = 256
"""How long Discord remembers a message nonce for `enforce_nonce` (a few minutes)."""


class World:
    """Everything the emulator knows; mutated by REST handlers and by the driver.

    Args:
        bot_name: Username of the bot user.
        max_messages: Messages kept; the oldest are forgotten beyond that (memory bound
            for long benchmark runs; Discord itself keeps them forever).
    """

    def __init__(self, bot_name: str = "tokendesk", *, max_messages: int = 10_000) -> None:
        self.ids = Snowflakes()
        bot = User(self.ids.next(), bot_name, bot=True)
        owner = User(self.ids.next(), "owner")
        app_id = bot.id  # modern applications share the bot user's id
        token = f"{secrets.token_urlsafe(18)}.emulator.{secrets.token_urlsafe(27)}"
        self.application = Application(app_id, bot_name, bot, owner, token)
        self.users: dict[int, User] = {bot.id: bot, owner.id: owner}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.max_messages = max_messages
        self._dms: dict[int, int] = {}
        self._listeners: list[Listener] = []
        self._nonces: dict[tuple[int, int, str], tuple[int, float]] = {}
        self.files: dict[int, bytes] = {}
        """Uploaded files' bytes by attachment id (the latest `MAX_FILES`)."""
        self.hold_answers: asyncio.Event | None = None
        """While an unset event: a message a bot creates is stored, then Discord's answer
        waits for the event (a process killed meanwhile never learns its message exists)."""

    def listen(self, listener: Listener) -> None:
        """Call ``listener(event, obj)`` on every change.

        Events: ``guild_create`` (Guild), ``role_create`` (Role), ``channel_create``
        and ``thread_create`` (Channel), ``member_add``/``member_update`` (Member),
        ``message_create``/``message_update``/``message_delete`` (Message).
        """
        self._listeners.append(listener)

    def emit(self, event: str, obj: Any) -> None:
        """Notify listeners; a failing listener is logged, never propagated."""
        for listener in self._listeners:
            try:
                listener(event, obj)
            except Exception:
                log.exception("emulator listener failed on %s", event)

    def add_user(self, name: str, *, dms_open: bool = True) -> User:
        """Create a user who is in no guild yet."""
        user = User(self.ids.next(), name, dms_open=dms_open)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        shard: tuple[int, int] | None = None,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
    ) -> Guild:
        """Create a guild with @everyone, the bot's managed role and member, and #general."""
        guild = Guild(self.ids.next(shard=shard), name, owner_id=self.application.owner.id)
        everyone = Role(guild.id, guild.id, "@everyone", DEFAULT_EVERYONE_PERMISSIONS)
        guild.roles[everyone.id] = everyone
        bot = self.application.bot
        managed = self._new_role(guild, bot.name, permissions=bot_permissions, bot_id=bot.id)
        guild.members[bot.id] = Member(bot, guild.id, [managed.id])
        guild.members[self.application.owner.id] = Member(self.application.owner, guild.id)
        self._new_channel(guild, "general")
        self.guilds[guild.id] = guild
        self.emit("guild_create", guild)
        return guild

    def add_role(self, guild: Guild, name: str, *, permissions: int = 0) -> Role:
        """Create a role above the existing ones."""
        role = self._new_role(guild, name, permissions=permissions)
        self.emit("role_create", role)
        return role

    def _new_role(self, guild: Guild, name: str, *, permissions: int, **extra: Any) -> Role:
        role = Role(
            self.ids.next(), guild.id, name, permissions, position=len(guild.roles), **extra
        )
        guild.roles[role.id] = role
        return role

    def add_member(
        self, guild: Guild, user: User | str, *, roles: list[Role] | None = None
    ) -> Member:
        """Add a user (or a new user with that name) to a guild with the given roles."""
        person = self.add_user(user) if isinstance(user, str) else user
        role_ids = [r.id for r in roles or []]
        if any(rid not in guild.roles for rid in role_ids):
            raise ValueError(f"a role given to {person.name} does not belong to {guild.name}")
        member = Member(person, guild.id, role_ids)
        guild.members[person.id] = member
        self.emit("member_add", member)
        return member

    def set_roles(self, member: Member, roles: list[Role]) -> None:
        """Replace a member's roles (a moderator granting or removing them)."""
        guild = self.guilds[member.guild_id]
        if any(r.id not in guild.roles for r in roles):
            raise ValueError(f"a role given to {member.user.name} does not belong to {guild.name}")
        member.role_ids = [r.id for r in roles]
        self.emit("member_update", member)

    def add_channel(self, guild: Guild, name: str, *, topic: str | None = None) -> Channel:
        """Create a text channel in a guild."""
        channel = self._new_channel(guild, name, topic=topic)
        self.emit("channel_create", channel)
        return channel

    def _new_channel(self, guild: Guild, name: str, *, topic: str | None = None) -> Channel:
        channel = Channel(
            self.ids.next(), TEXT_CHANNEL, name, guild.id, len(guild.channels), topic=topic
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def add_thread(
        self, message: Message, name: str, owner: User, *, archive_minutes: int = 1440
    ) -> Channel:
        """Start a public thread from a message of a guild text channel.

        As on Discord, the thread's id is the message's id (one thread per message).
        """
        parent = self.channels[message.channel_id]
        guild = self.guilds[parent.guild_id or 0]
        thread = Channel(
            message.id,
            PUBLIC_THREAD,
            name,
            guild.id,
            parent_id=parent.id,
            owner_id=owner.id,
            archive_minutes=archive_minutes,
        )
        guild.threads[thread.id] = thread
        self.channels[thread.id] = thread
        self.emit("thread_create", thread)
        return thread

    def dm_channel(self, user: User) -> Channel:
        """Return the bot's DM channel with ``user``, opening it on first use."""
        channel_id = self._dms.get(user.id)
        if channel_id is None:
            channel = Channel(self.ids.next(), DM_CHANNEL, recipient_id=user.id)
            self.channels[channel.id] = channel
            self._dms[user.id] = channel_id = channel.id
        return self.channels[channel_id]

    def add_private_channel(self, users: list[User], name: str | None = None) -> Channel:
        """Create a group DM between people; the bot is not in it (user installs only)."""
        channel = Channel(self.ids.next(), GROUP_DM, name, recipients=tuple(u.id for u in users))
        self.channels[channel.id] = channel
        return channel

    def permissions(self, guild: Guild, user_id: int) -> int:
        """Return a member's guild-level permissions (owner and administrators get all)."""
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        value = guild.roles[guild.id].permissions
        for role_id in member.role_ids if member else []:
            value |= guild.roles[role_id].permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def add_message(self, channel: Channel, author: User, **fields: Any) -> Message:
        """Store a new message and notify listeners."""
        message = Message(self.ids.next(), channel.id, author.id, **fields)
        self.messages[message.id] = message
        while len(self.messages) > self.max_messages:
            del self.messages[next(iter(self.messages))]
        self.emit("message_create", message)
        return message

    def message_by_nonce(self, channel: Channel, author: User, nonce: str) -> Message | None:
        """The message `author` sent to `channel` with `nonce` in the last few minutes.

        Discord answers a create with `enforce_nonce` by returning such a message instead
        of posting a second one.
        """
        found = self._nonces.get((channel.id, author.id, nonce))
        if found is None or time.monotonic() - found[1] > NONCE_WINDOW_S:
            return None
        message = self.messages.get(found[0])
        return None if message is None or message.deleted else message

    def remember_nonce(self, message: Message, nonce: str) -> None:
        """Keep a sent message's nonce for `message_by_nonce`."""
        now = time.monotonic()
        self._nonces[(message.channel_id, message.author_id, nonce)] = (message.id, now)
        if len(self._nonces) > self.max_messages:
            for key in [k for k, (_, at) in self._nonces.items() if now - at > NONCE_WINDOW_S]:
                del self._nonces[key]

    def keep_file(self, attachment_id: int, data: bytes) -> None:
        """Keep an uploaded file's bytes (the oldest are forgotten past `MAX_FILES`)."""
        self.files[attachment_id] = data
        while len(self.files) > MAX_FILES:
            del self.files[next(iter(self.files))]

    def edit_message(self, message: Message, **fields: Any) -> Message:
        """Apply edited fields to a stored message and notify listeners."""
        for name, value in fields.items():
            setattr(message, name, value)
        message.edited_timestamp = iso()
        self.emit("message_update", message)
        return message

    def delete_message(self, message: Message) -> None:
        """Mark a message deleted and notify listeners."""
        message.deleted = True
        self.emit("message_delete", message)

    def messages_in(self, channel: Channel, *, include_ephemeral: bool = False) -> list[Message]:
        """Return the live messages of a channel, oldest first."""
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel.id
            and not m.deleted
            and (include_ephemeral or not m.ephemeral)
        ]
