"""REST routes for login, the gateway URL, command sync and guild/user/channel lookups."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.emulator.errors import (
    MISSING_ACCESS,
    UNKNOWN_CHANNEL,
    UNKNOWN_GUILD,
    UNKNOWN_MEMBER,
    UNKNOWN_USER,
    forbidden,
    not_found,
)
from bot.emulator.payloads import (
    application_json,
    channel_json,
    member_json,
    role_json,
    self_user_json,
    user_json,
)
from bot.emulator.rest import Call, Reply, invalid_form
from bot.emulator.rules import command_errors
from bot.emulator.state import Guild

if TYPE_CHECKING:
    from bot.emulator.server import EmulatorServer

log = logging.getLogger(__name__)


def install(server: EmulatorServer) -> None:
    """Register this module's routes on ``server.api``."""
    world, api = server.world, server.api

    async def me(call: Call) -> Reply:
        return Reply(body=self_user_json(world.application.bot))

    async def application(call: Call) -> Reply:
        return Reply(body=application_json(world.application, len(world.guilds)))

    async def gateway(call: Call) -> Reply:
        return Reply(body={"url": server.gateway_url})

    async def gateway_bot(call: Call) -> Reply:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        body = {
            "url": server.gateway_url,
            "shards": server.recommended_shards,
            "session_start_limit": limit,
        }
        return Reply(body=body)

    def check_app(call: Call) -> None:
        if call.snowflake("application_id") != world.application.id:
            raise forbidden(MISSING_ACCESS, "Missing Access")

    def guild_of(call: Call, *, code: int = UNKNOWN_GUILD) -> Guild:
        guild = world.guilds.get(call.snowflake("guild_id"))
        if guild is None:
            if code == MISSING_ACCESS:
                raise forbidden(MISSING_ACCESS, "Missing Access")
            raise not_found(UNKNOWN_GUILD, "Guild")
        return guild

    async def list_global(call: Call) -> Reply:
        check_app(call)
        return Reply(body=server.commands.listing(None))

    async def put_global(call: Call) -> Reply:
        check_app(call)
        return Reply(body=_overwrite(server, None, call))

    async def list_guild(call: Call) -> Reply:
        check_app(call)
        return Reply(body=server.commands.listing(guild_of(call, code=MISSING_ACCESS).id))

    async def put_guild(call: Call) -> Reply:
        check_app(call)
        return Reply(body=_overwrite(server, guild_of(call, code=MISSING_ACCESS).id, call))

    async def member(call: Call) -> Reply:
        guild = guild_of(call)
        found = guild.members.get(call.snowflake("user_id"))
        if found is None:
            raise not_found(UNKNOWN_MEMBER, "Member")
        return Reply(body=member_json(found))

    async def roles(call: Call) -> Reply:
        return Reply(body=[role_json(r) for r in guild_of(call).roles.values()])

    async def user(call: Call) -> Reply:
        found = world.users.get(call.snowflake("user_id"))
        if found is None:
            raise not_found(UNKNOWN_USER, "User")
        return Reply(body=user_json(found))

    async def channel(call: Call) -> Reply:
        found = world.channels.get(call.snowflake("channel_id"))
        if found is None:
            raise not_found(UNKNOWN_CHANNEL, "Channel")
        return Reply(body=channel_json(found, world))

    api.add("GET", "/users/@me", me)
    api.add("GET", "/oauth2/applications/@me", application)
    api.add("GET", "/gateway", gateway, auth=False)
    api.add("GET", "/gateway/bot", gateway_bot)
    api.add("GET", "/applications/{application_id}/commands", list_global)
    api.add("PUT", "/applications/{application_id}/commands", put_global)
    api.add("GET", "/applications/{application_id}/guilds/{guild_id}/commands", list_guild)
    api.add("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", put_guild)
    api.add("GET", "/guilds/{guild_id}/members/{user_id}", member)
    api.add("GET", "/guilds/{guild_id}/roles", roles)
    api.add("GET", "/users/{user_id}", user)
    api.add("GET", "/channels/{channel_id}", channel)


def _overwrite(server: EmulatorServer, guild_id: int | None, call: Call) -> list[dict[str, Any]]:
    definitions = call.body or []  # the schema allows null: an empty list
    errors = command_errors(definitions)
    if errors:
        raise invalid_form(errors)
    return server.commands.overwrite(guild_id, definitions)
