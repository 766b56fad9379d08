"""REST routes for application commands: list, bulk overwrite, get and delete, global and
per guild, as Discord serves them."""

from __future__ import annotations

import logging
from typing import Any

from bot.emulator.problems import (
    MISSING_ACCESS,
    UNKNOWN_APPLICATION_COMMAND,
    forbidden,
    not_found,
)
from bot.emulator.registry import CommandRegistry, SyncedCommand
from bot.emulator.rest import Call, Reply, RestApi, invalid_form
from bot.emulator.rules import command_errors
from bot.emulator.world import World

log = logging.getLogger(__name__)

GLOBAL = "/applications/{application_id}/commands"
GUILD = "/applications/{application_id}/guilds/{guild_id}/commands"


def install(api: RestApi, world: World, registry: CommandRegistry) -> None:
    """Register the command registration routes on `api`."""

    def scope(call: Call) -> int | None:
        """The scope a route names (``None``: global), after Discord's access checks."""
        if call.snowflake("application_id") != world.application.id:
            raise forbidden(MISSING_ACCESS, "Missing Access")
        if "guild_id" not in call.params:
            return None
        guild = world.guilds.get(call.snowflake("guild_id"))
        if guild is None:  # the bot is not in it: Discord says Missing Access, not 404
            raise forbidden(MISSING_ACCESS, "Missing Access")
        return guild.id

    def one(call: Call) -> SyncedCommand:
        found = registry.get(scope(call), call.snowflake("command_id"))
        if found is None:
            raise not_found(UNKNOWN_APPLICATION_COMMAND, "application command")
        return found

    async def listing(call: Call) -> Reply:
        return Reply(body=registry.listing(scope(call)))

    async def overwrite(call: Call) -> Reply:
        where = scope(call)
        definitions: list[dict[str, Any]] = call.body or []  # the schema allows null
        errors = command_errors(definitions)
        if errors:
            raise invalid_form(errors)
        return Reply(body=registry.overwrite(where, definitions))

    async def get(call: Call) -> Reply:
        return Reply(body=one(call).definition)

    async def delete(call: Call) -> Reply:
        registry.delete(scope(call), one(call).id)
        return Reply(204)

    for path in (GLOBAL, GUILD):
        api.add("GET", path, listing)
        api.add("PUT", path, overwrite)
        api.add("GET", path + "/{command_id}", get)
        api.add("DELETE", path + "/{command_id}", delete)
