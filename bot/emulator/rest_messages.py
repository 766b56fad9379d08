"""REST routes for DMs, channel and thread messages (create, edit, fetch, delete), and
starting a thread from a message."""

from __future__ import annotations

import logging

from bot.emulator.bodies import edit_fields, is_empty, message_fields
from bot.emulator.message import EPHEMERAL, Message
from bot.emulator.payloads import channel_json, message_json, thread_json
from bot.emulator.problems import (
    CANNOT_EDIT_OTHERS_MESSAGE,
    CANNOT_SEND_EMPTY_MESSAGE,
    CANNOT_SEND_TO_USER,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    THREAD_ALREADY_CREATED,
    UNKNOWN_CHANNEL,
    UNKNOWN_MESSAGE,
    UNKNOWN_USER,
    DiscordHTTPError,
    forbidden,
    not_found,
)
from bot.emulator.rest import Call, Reply, RestApi
from bot.emulator.world import (
    CREATE_PUBLIC_THREADS,
    DM_CHANNEL,
    GROUP_DM,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    TEXT_CHANNEL,
    THREAD_ARCHIVE_MINUTES,
    VIEW_CHANNEL,
    Channel,
    World,
)

log = logging.getLogger(__name__)

MANAGE_MESSAGES = 1 << 13


def empty_message() -> DiscordHTTPError:
    """Return Discord's answer to a message with nothing in it."""
    return DiscordHTTPError(400, CANNOT_SEND_EMPTY_MESSAGE, "Cannot send an empty message")


def channel_for(world: World, call: Call, *, needed: int = VIEW_CHANNEL) -> Channel:
    """Return the channel of the route, checking the bot may use it.

    Raises:
        DiscordHTTPError: 404 Unknown Channel, 403 Missing Access/Permissions, or 403
            Cannot send messages to this user (DM to a user with DMs closed).
    """
    channel = world.channels.get(call.snowflake("channel_id"))
    if channel is None:
        raise not_found(UNKNOWN_CHANNEL, "Channel")
    if channel.type == GROUP_DM:  # only user installs reach group DMs, never the bot
        raise forbidden(MISSING_ACCESS, "Missing Access")
    if channel.type == DM_CHANNEL:
        recipient = world.users[channel.recipient_id or 0]
        if needed & SEND_MESSAGES and not recipient.dms_open:
            raise forbidden(CANNOT_SEND_TO_USER, "Cannot send messages to this user")
        return channel
    guild = world.guilds[channel.guild_id or 0]
    have = world.permissions(guild, world.application.bot.id)
    if channel.is_thread and needed & SEND_MESSAGES:  # threads have their own permission
        needed = (needed & ~SEND_MESSAGES) | SEND_MESSAGES_IN_THREADS
    if not have & VIEW_CHANNEL:
        raise forbidden(MISSING_ACCESS, "Missing Access")
    if needed & ~have:
        raise forbidden(MISSING_PERMISSIONS, "Missing Permissions")
    return channel


def message_for(world: World, call: Call, channel: Channel) -> Message:
    """Return the (live) message of the route in ``channel``."""
    message = world.messages.get(call.snowflake("message_id"))
    if message is None or message.deleted or message.channel_id != channel.id:
        raise not_found(UNKNOWN_MESSAGE, "Message")
    if message.ephemeral:  # only reachable through the interaction's webhook
        raise not_found(UNKNOWN_MESSAGE, "Message")
    return message


def install(api: RestApi, world: World) -> None:
    """Register the channel and message routes on `api`."""
    bot = world.application.bot

    async def open_dm(call: Call) -> Reply:
        recipient = world.users.get(int((call.body or {}).get("recipient_id") or 0))
        if recipient is None:
            raise not_found(UNKNOWN_USER, "User")
        return Reply(body=channel_json(world.dm_channel(recipient), world))

    async def create(call: Call) -> Reply:
        channel = channel_for(world, call, needed=VIEW_CHANNEL | SEND_MESSAGES)
        fields = message_fields(call.body, call.files, world)
        fields["flags"] &= ~EPHEMERAL  # only interaction responses can be ephemeral
        if is_empty(fields):
            raise empty_message()
        body = call.body if isinstance(call.body, dict) else {}
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            earlier = world.message_by_nonce(channel, bot, str(nonce))
            if earlier is not None:  # a retry: Discord returns the first, posts nothing
                return Reply(body=message_json(earlier, world))
        message = world.add_message(channel, bot, **fields)
        if nonce is not None:
            world.remember_nonce(message, str(nonce))
        if world.hold_answers is not None:  # stored, but the answer is held (a test's doing)
            await world.hold_answers.wait()
        return Reply(body=message_json(message, world))

    async def edit(call: Call) -> Reply:
        channel = channel_for(world, call)
        message = message_for(world, call, channel)
        if message.author_id != bot.id:
            raise forbidden(
                CANNOT_EDIT_OTHERS_MESSAGE, "Cannot edit a message authored by another user"
            )
        world.edit_message(message, **edit_fields(call.body, call.files, world))
        return Reply(body=message_json(message, world))

    async def fetch(call: Call) -> Reply:
        channel = channel_for(world, call)
        return Reply(body=message_json(message_for(world, call, channel), world))

    async def delete(call: Call) -> Reply:
        channel = channel_for(world, call)
        message = message_for(world, call, channel)
        if message.author_id != bot.id and channel.type != DM_CHANNEL:
            channel_for(world, call, needed=MANAGE_MESSAGES)
        world.delete_message(message)
        return Reply(204)

    async def start_thread(call: Call) -> Reply:
        channel = channel_for(world, call, needed=VIEW_CHANNEL | CREATE_PUBLIC_THREADS)
        if channel.type != TEXT_CHANNEL:
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        message = message_for(world, call, channel)
        if message.id in world.channels:  # Discord: one thread per message
            raise DiscordHTTPError(
                400,
                THREAD_ALREADY_CREATED,
                "A thread has already been created for this message",
                expected=True,
            )
        body = call.body if isinstance(call.body, dict) else {}
        minutes = body.get("auto_archive_duration") or 1440
        if minutes not in THREAD_ARCHIVE_MINUTES:
            raise DiscordHTTPError(400, 50035, "Invalid Form Body")
        thread = world.add_thread(message, str(body["name"]), bot, archive_minutes=minutes)
        return Reply(201, thread_json(thread, world))

    api.add("POST", "/users/@me/channels", open_dm)
    api.add("POST", "/channels/{channel_id}/messages", create)
    api.add("PATCH", "/channels/{channel_id}/messages/{message_id}", edit)
    api.add("GET", "/channels/{channel_id}/messages/{message_id}", fetch)
    api.add("DELETE", "/channels/{channel_id}/messages/{message_id}", delete)
    api.add("POST", "/channels/{channel_id}/messages/{message_id}/threads", start_thread)
