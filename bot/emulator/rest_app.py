"""REST routes for login, the gateway URL, the bot's guilds and guild/user/channel lookups."""

from __future__ import annotations

import logging

from bot.emulator.payloads import (
    application_json,
    channel_json,
    member_json,
    my_guild_json,
    role_json,
    self_user_json,
    user_json,
)
from bot.emulator.problems import (
    MISSING_ACCESS,
    UNKNOWN_CHANNEL,
    UNKNOWN_GUILD,
    UNKNOWN_MEMBER,
    UNKNOWN_USER,
    forbidden,
    not_found,
)
from bot.emulator.rest import Call, GatewayInfo, Reply, RestApi
from bot.emulator.world import GROUP_DM, Guild, World

log = logging.getLogger(__name__)


def install(api: RestApi, world: World, gateway_info: GatewayInfo) -> None:
    """Register the application and gateway routes on `api`."""

    async def me(call: Call) -> Reply:
        return Reply(body=self_user_json(world.application.bot))

    async def application(call: Call) -> Reply:
        return Reply(body=application_json(world.application, len(world.guilds)))

    async def gateway(call: Call) -> Reply:
        return Reply(body={"url": gateway_info.url()})

    async def gateway_bot(call: Call) -> Reply:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        body = {
            "url": gateway_info.url(),
            "shards": gateway_info.shards,
            "session_start_limit": limit,
        }
        return Reply(body=body)

    def guild_of(call: Call) -> Guild:
        guild = world.guilds.get(call.snowflake("guild_id"))
        if guild is None:
            raise not_found(UNKNOWN_GUILD, "Guild")
        return guild

    async def my_guilds(call: Call) -> Reply:
        """The bot's guilds in id order, paged by ``before``/``after`` and ``limit``."""
        after = int(call.query.get("after") or 0)
        before = int(call.query.get("before") or 1 << 64)
        limit = min(max(int(call.query.get("limit") or 200), 1), 200)
        found = sorted(g.id for g in world.guilds.values() if after < g.id < before)
        backwards = "before" in call.query and "after" not in call.query
        page = found[-limit:] if backwards else found[:limit]
        return Reply(body=[my_guild_json(world.guilds[i], world) for i in page])

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
        if found.type == GROUP_DM:  # the bot is not in group DMs
            raise forbidden(MISSING_ACCESS, "Missing Access")
        return Reply(body=channel_json(found, world))

    api.add("GET", "/users/@me", me)
    api.add("GET", "/oauth2/applications/@me", application)
    api.add("GET", "/gateway", gateway, auth=False)
    api.add("GET", "/gateway/bot", gateway_bot)
    api.add("GET", "/users/@me/guilds", my_guilds)
    api.add("GET", "/guilds/{guild_id}/members/{user_id}", member)
    api.add("GET", "/guilds/{guild_id}/roles", roles)
    api.add("GET", "/users/{user_id}", user)
    api.add("GET", "/channels/{channel_id}", channel)
