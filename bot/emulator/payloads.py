"""Serialise the emulator's state into Discord's JSON shapes (REST responses and gateway)."""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.emulator.bodies import strip_nulls
from bot.emulator.message import Message
from bot.emulator.world import (
    DM_CHANNEL,
    GROUP_DM,
    Application,
    Channel,
    Guild,
    Member,
    Role,
    User,
    World,
)

log = logging.getLogger(__name__)


def user_json(user: User) -> dict[str, Any]:
    """Return a ``UserResponse``."""
    return {
        "id": str(user.id),
        "username": user.name,
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "bot": user.bot,
        "global_name": user.global_name,
        "primary_guild": None,
    }


def self_user_json(user: User) -> dict[str, Any]:
    """Return the ``UserPIIResponse`` of ``GET /users/@me`` (and READY's ``user``)."""
    return {**user_json(user), "mfa_enabled": True, "locale": user.locale, "verified": True}


def application_json(app: Application, guild_count: int) -> dict[str, Any]:
    """Return the ``PrivateApplicationResponse`` of ``GET /oauth2/applications/@me``."""
    return {
        "id": str(app.id),
        "name": app.name,
        "icon": None,
        "description": "",
        "type": None,
        "bot": user_json(app.bot),
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": app.flags,
        "flags_new": str(app.flags),
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "owner": user_json(app.owner),
        "approximate_guild_count": guild_count,
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "team": None,
        "eligible_oauth2_scopes": [],
        "rpc_origins": [],
        "tags": [],
    }


def role_json(role: Role) -> dict[str, Any]:
    """Return a ``GuildRoleResponse``."""
    payload: dict[str, Any] = {
        "id": str(role.id),
        "name": role.name,
        "permissions": str(role.permissions),
        "position": role.position,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "managed": role.bot_id is not None,
        "mentionable": role.mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    if role.bot_id is not None:
        payload["tags"] = {"bot_id": str(role.bot_id)}
    return payload


def member_json(member: Member, *, with_user: bool = True) -> dict[str, Any]:
    """Return a ``GuildMemberResponse`` (``with_user=False`` for ``resolved.members``)."""
    payload: dict[str, Any] = {
        "avatar": None,
        "banner": None,
        "communication_disabled_until": None,
        "flags": 0,
        "joined_at": member.joined_at,
        "nick": member.nick,
        "pending": False,
        "premium_since": None,
        "roles": [str(r) for r in member.role_ids],
        "mute": False,
        "deaf": False,
    }
    if with_user:
        payload["user"] = user_json(member.user)
    return payload


def thread_json(thread: Channel, world: World) -> dict[str, Any]:
    """Return a ``ThreadResponse`` (a public thread started from a message)."""
    count = len(world.messages_in(thread))
    return {
        "id": str(thread.id),
        "type": thread.type,
        "guild_id": str(thread.guild_id),
        "parent_id": str(thread.parent_id),
        "owner_id": str(thread.owner_id),
        "name": thread.name,
        "last_message_id": None,
        "flags": 0,
        "rate_limit_per_user": 0,
        "message_count": count,
        "member_count": 1,
        "total_message_sent": count,
        "thread_metadata": {
            "archived": False,
            "archive_timestamp": thread.created_at,
            "auto_archive_duration": thread.archive_minutes,
            "locked": False,
            "create_timestamp": thread.created_at,
        },
    }


def channel_json(channel: Channel, world: World) -> dict[str, Any]:
    """Return a ``GuildChannelResponse``, a ``ThreadResponse``, a
    ``PrivateChannelResponse`` (the bot's DM) or a ``PrivateGroupChannelResponse``
    (a group DM)."""
    if channel.is_thread:
        return thread_json(channel, world)
    if channel.type == GROUP_DM:
        return {
            "id": str(channel.id),
            "type": GROUP_DM,
            "last_message_id": None,
            "flags": 0,
            "recipients": [user_json(world.users[u]) for u in channel.recipients],
            "name": channel.name,
            "icon": None,
            "owner_id": str(channel.recipients[0]),
        }
    if channel.type == DM_CHANNEL:
        recipient = world.users[channel.recipient_id or 0]
        return {
            "id": str(channel.id),
            "type": DM_CHANNEL,
            "last_message_id": None,
            "flags": 0,
            "recipients": [user_json(recipient)],
        }
    return {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "flags": 0,
        "parent_id": None,
        "topic": channel.topic,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "permission_overwrites": [],
    }


def my_guild_json(guild: Guild, world: World) -> dict[str, Any]:
    """Return a ``MyGuildResponse`` (``GET /users/@me/guilds``) for the bot."""
    bot = world.application.bot
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "banner": None,
        "owner": guild.owner_id == bot.id,
        "permissions": str(world.permissions(guild, bot.id)),
        "features": [],
    }


def guild_create_json(guild: Guild, world: World) -> dict[str, Any]:
    """Return the ``d`` of a GUILD_CREATE dispatch: the full guild with all members."""
    bot_member = guild.members[world.application.bot.id]
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "preferred_locale": guild.locale,
        "features": [],
        "roles": [role_json(r) for r in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "channels": [channel_json(c, world) for c in guild.channels.values()],
        "threads": [thread_json(t, world) for t in guild.threads.values()],
        "members": [member_json(m) for m in guild.members.values()],
        "member_count": len(guild.members),
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "large": False,
        "unavailable": False,
        "joined_at": bot_member.joined_at,
        "premium_progress_bar_enabled": False,
    }


def message_json(message: Message, world: World) -> dict[str, Any]:
    """Return a ``MessageResponse``."""
    payload: dict[str, Any] = {
        "id": str(message.id),
        "channel_id": str(message.channel_id),
        "type": message.type,
        "content": message.content,
        "author": user_json(world.users[message.author_id]),
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "attachments": message.attachments,
        "embeds": message.embeds,
        "components": message.components,
        "timestamp": message.timestamp,
        "edited_timestamp": message.edited_timestamp,
        "flags": message.flags,
        "pinned": False,
        "tts": message.tts,
    }
    if message.webhook_id is not None:
        payload["webhook_id"] = str(message.webhook_id)
        payload["application_id"] = str(message.webhook_id)
    if message.metadata_json is not None:
        payload["interaction_metadata"] = json.loads(message.metadata_json)
    return payload


def command_json(
    definition: dict[str, Any], *, command_id: int, version: int, app_id: int, guild_id: int | None
) -> dict[str, Any]:
    """Return the ``ApplicationCommandResponse`` Discord stores for a synced definition."""
    clean = strip_nulls(definition)
    permissions = clean.get("default_member_permissions")
    payload = {
        **clean,
        "id": str(command_id),
        "application_id": str(app_id),
        "version": str(version),
        "type": clean.get("type", 1),
        "description": clean.get("description", ""),
        "default_member_permissions": None if permissions is None else str(permissions),
        "dm_permission": clean.get("dm_permission", True),
        "nsfw": clean.get("nsfw", False),
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    return payload
