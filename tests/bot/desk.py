"""A running tokendesk bot in the Discord emulator, on a real SQLite ledger, at a fixed clock."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.app import TokendeskBot
from bot.emulator import Emulator, Guild, Member, Role
from bot.services import Services, build_services
from bot.settings import Settings
from ledger.clock import FixedClock
from ledger.events import Event, parse_event


@dataclass
class Desk:
    emu: Emulator
    guild: Guild
    services: Services
    clock: FixedClock
    bot: TokendeskBot | None = None
    roles: dict[str, Role] = field(default_factory=dict)
    people: dict[str, Member] = field(default_factory=dict)

    def person(self, name: str, *roles: str) -> Member:
        """A guild member (created on first use) with the named roles."""
        if name not in self.people:
            granted = [self.role(r) for r in roles]
            self.people[name] = self.emu.add_member(self.guild, name, roles=granted)
        return self.people[name]

    def role(self, name: str) -> Role:
        if name not in self.roles:
            self.roles[name] = self.emu.add_role(self.guild, name)
        return self.roles[name]

    def uid(self, name: str) -> str:
        return str(self.person(name).id)

    async def send(self, kind: str, at: str, account: str, **fields: Any) -> str:
        """Apply one platform event at its own instant; returns its outcome."""
        self.clock.set(datetime.fromisoformat(at))
        body = {"id": f"{account}-{kind}-{at}-{fields.get('generation_id', '')}", "type": kind}
        body.update(at=at, account_id=account, **fields)
        parsed = parse_event(body, self.services.ledger.catalogue)
        assert isinstance(parsed, Event), parsed
        result = await self.services.ledger.apply(parsed)
        assert result.outcome in ("applied", "late", "refused"), result
        return result.outcome

    async def start(self) -> None:
        # A short guild_ready_timeout: the emulator sends every guild at once, so waiting
        # discord.py's default two seconds for more would only slow the tests.
        self.bot = TokendeskBot(self.services, guild_ready_timeout=0.05)
        await self.emu.start_client(self.bot)

    async def stop(self) -> None:
        if self.bot is not None:
            await self.emu.stop_client(self.bot)
            self.bot = None


def settings_for(url: str, guild: Guild, triage: int | None = None) -> Settings:
    return dataclasses.replace(
        Settings(),
        database_url=url,
        guild_id=guild.id,
        support_role="Support",
        moderator_role="Moderator",
        triage_channel=triage,
    )


async def open_desk(emu: Emulator, url: str, at: datetime, **service_options: Any) -> Desk:
    guild = emu.add_guild("Test guild")
    clock = FixedClock(at)
    services = await build_services(settings_for(url, guild, guild.default_channel.id), clock)
    for key, value in service_options.items():
        setattr(services, key, value)
    opened = Desk(emu, guild, services, clock)
    for name in ("Support", "Moderator"):  # roles exist before the bot joins, as on a server
        opened.role(name)
    return opened


def fields(embed: dict) -> dict[str, str]:
    """An embed's fields by name."""
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


async def eventually(probe, within: float = 5.0):
    """Wait for something the bot does after answering (a DM, a triage post); return it."""
    import asyncio

    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = probe()
        if found or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.01)
