"""Relay changes of the emulated world to connected clients as gateway dispatches.

A guild, role, channel, thread or member added after a client connected reaches it as
GUILD_CREATE, GUILD_ROLE_CREATE, CHANNEL_CREATE, THREAD_CREATE or GUILD_MEMBER_ADD, and
the bot's own (non-ephemeral) messages as MESSAGE_CREATE/UPDATE/DELETE, each to the
session holding the guild's shard and only if that session asked for the event's intent.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.emulator.gateway import Gateway
from bot.emulator.message import Message
from bot.emulator.payloads import (
    channel_json,
    guild_create_json,
    member_json,
    message_json,
    role_json,
    thread_json,
)
from bot.emulator.world import DM_CHANNEL, GROUP_DM, Channel, Guild, Member, Role, World

log = logging.getLogger(__name__)

GUILDS_INTENT = 1 << 0
GUILD_MEMBERS_INTENT = 1 << 1
GUILD_MESSAGES_INTENT = 1 << 9
DIRECT_MESSAGES_INTENT = 1 << 12


class EventRelay:
    """A :class:`~bot.emulator.world.World` listener that dispatches to the gateway.

    Args:
        world: The state to watch.
        gateway: Where sessions live.
    """

    def __init__(self, world: World, gateway: Gateway) -> None:
        self._world = world
        self._gateway = gateway
        world.listen(self)

    def __call__(self, event: str, obj: Any) -> None:
        """Translate one world event into a dispatch (if any session wants it)."""
        if isinstance(obj, Message):
            self._message(event, obj)
        elif isinstance(obj, Guild):
            self._send(obj.id, GUILDS_INTENT, "GUILD_CREATE", guild_create_json(obj, self._world))
        elif isinstance(obj, Role):
            data = {"guild_id": str(obj.guild_id), "role": role_json(obj)}
            self._send(obj.guild_id, GUILDS_INTENT, "GUILD_ROLE_CREATE", data)
        elif isinstance(obj, Channel) and obj.is_thread:
            data = {**thread_json(obj, self._world), "newly_created": True}
            self._send(obj.guild_id, GUILDS_INTENT, "THREAD_CREATE", data)
        elif isinstance(obj, Channel) and obj.guild_id is not None:
            data = channel_json(obj, self._world)
            self._send(obj.guild_id, GUILDS_INTENT, "CHANNEL_CREATE", data)
        elif isinstance(obj, Member):
            data = {**member_json(obj), "guild_id": str(obj.guild_id)}
            name = "GUILD_MEMBER_ADD" if event == "member_add" else "GUILD_MEMBER_UPDATE"
            self._send(obj.guild_id, GUILD_MEMBERS_INTENT, name, data)

    def _message(self, event: str, message: Message) -> None:
        channel = self._world.channels.get(message.channel_id)
        if channel is None or message.ephemeral or channel.type == GROUP_DM:
            return  # the bot is not in group DMs: it hears nothing from them
        if event == "message_delete":
            data: dict[str, Any] = {"id": str(message.id), "channel_id": str(channel.id)}
        else:
            data = message_json(message, self._world)
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        intent = DIRECT_MESSAGES_INTENT if channel.type == DM_CHANNEL else GUILD_MESSAGES_INTENT
        self._send(channel.guild_id, intent, event.upper(), data)

    def _send(self, guild_id: int | None, intent: int, event: str, data: dict[str, Any]) -> None:
        session = self._gateway.route(guild_id)
        if session is not None and session.intents & intent:
            session.dispatch(event, data)
