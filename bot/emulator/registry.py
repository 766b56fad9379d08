"""Application commands as Discord stores them: global and per guild, live and stale.

A bulk overwrite (PUT) replaces a scope's commands; a DELETE removes one. Discord's
clients cache command lists, so for a while a user can still invoke a command the
application no longer registers there. The registry keeps such removed commands as
*stale*, and the driver can invoke them (``slash(..., stale=True)``) to test that a bot
answers them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from bot.emulator.payloads import command_json
from bot.emulator.problems import CommandNotAvailable
from bot.emulator.world import World

log = logging.getLogger(__name__)

CHAT_INPUT = 1
Key = tuple[str, int]  # (name, type)


@dataclass(eq=False)
class SyncedCommand:
    """One command as Discord stores it (``definition`` is its response JSON)."""

    id: int
    guild_id: int | None
    definition: dict[str, Any]

    @property
    def name(self) -> str:
        """The command's top-level name."""
        return str(self.definition["name"])

    @property
    def key(self) -> Key:
        """(name, type): what makes a command unique in its scope."""
        return self.name, int(self.definition.get("type") or CHAT_INPUT)


class CommandRegistry:
    """Global (scope ``None``) and per-guild commands, and the stale ones users still see."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._scopes: dict[int | None, dict[Key, SyncedCommand]] = {}
        self._stale: dict[int | None, dict[Key, SyncedCommand]] = {}
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self.syncs = 0

    def overwrite(
        self, guild_id: int | None, definitions: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Replace a scope's commands (ids survive for the same name and type)."""
        old = self._scopes.get(guild_id, {})
        new: dict[Key, SyncedCommand] = {}
        for definition in definitions:
            key = (definition["name"], definition.get("type") or CHAT_INPUT)
            command_id = old[key].id if key in old else self._world.ids.next()
            payload = command_json(
                definition,
                command_id=command_id,
                version=self._world.ids.next(),
                app_id=self._world.application.id,
                guild_id=guild_id,
            )
            new[key] = SyncedCommand(command_id, guild_id, payload)
        stale = self._stale.setdefault(guild_id, {})
        for key, command in old.items():
            if key not in new:
                stale[key] = command
        for key in new:
            stale.pop(key, None)
        self._scopes[guild_id] = new
        self.syncs += 1
        log.info("synced %d command(s) for %s", len(new), guild_id or "global scope")
        for target, waiter in self._waiters:
            if self.syncs >= target and not waiter.done():
                waiter.set_result(None)
        return [c.definition for c in new.values()]

    def get(self, guild_id: int | None, command_id: int) -> SyncedCommand | None:
        """A live command of a scope by id."""
        return next(
            (c for c in self._scopes.get(guild_id, {}).values() if c.id == command_id), None
        )

    def delete(self, guild_id: int | None, command_id: int) -> bool:
        """Remove one live command (it stays stale for users); False if there is none."""
        found = self.get(guild_id, command_id)
        if found is None:
            return False
        del self._scopes[guild_id][found.key]
        self._stale.setdefault(guild_id, {})[found.key] = found
        return True

    async def wait_for_sync(self, target: int) -> None:
        """Wait until ``syncs`` reaches ``target`` (bound it with ``asyncio.timeout``)."""
        if self.syncs >= target:
            return
        entry = (target, asyncio.get_running_loop().create_future())
        self._waiters.append(entry)
        try:
            await entry[1]
        finally:
            self._waiters.remove(entry)

    def listing(self, guild_id: int | None) -> list[dict[str, Any]]:
        """Return the stored definitions of a scope."""
        return [c.definition for c in self._scopes.get(guild_id, {}).values()]

    def find(
        self, name: str, guild_id: int | None, kind: int = CHAT_INPUT, *, stale: bool = False
    ) -> SyncedCommand:
        """Find a command a user could see in the guild (or DM when ``guild_id`` is None).

        Args:
            name: The top-level name.
            guild_id: Where the user is (``None``: a DM or private channel).
            kind: 1 chat input, 2 user context menu, 3 message context menu.
            stale: Find a command the application no longer registers there, as a Discord
                client with an old command list still shows it.

        Raises:
            CommandNotAvailable: if no such command was synced (or removed) for that place.
        """
        source = self._stale if stale else self._scopes
        scopes = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            found = source.get(scope, {}).get((name, kind))
            if found is not None:
                return found
        known = sorted({k[0] for s in scopes for k in source.get(s, {})})
        what = "removed" if stale else "synced"
        raise CommandNotAvailable(f"/{name} was not {what} here; {what} commands: {known}")
