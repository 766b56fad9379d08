"""A running tokendesk bot in the Discord emulator, on a real SQLite ledger, at a fixed clock."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.app import TokendeskBot
from bot.emulator import Emulator, Guild, Member, Role
from bot.roles import STAFF_PERMISSIONS
from bot.services import Services, build_services
from bot.settings import Settings
from ledger.clock import FixedClock
from ledger.events import Event, parse_event
from tests.audit import query


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
        """A role of the support server; staff roles may see the staff commands, as a server
        admin sets up with Discord's command permissions."""
        if name not in self.roles:
            staff = name in ("Support", "Moderator")
            permissions = STAFF_PERMISSIONS.value if staff else 0
            self.roles[name] = self.emu.add_role(self.guild, name, permissions=permissions)
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


TABLES = (
    "accounts",
    "journal",
    "generations",
    "refunds",
    "tickets",
    "ticket_log",
    "link_codes",
    "outbox",
    "ticket_replies",
)


async def delivered(services: Services, within: float = 5.0) -> bool:
    """Wait until the outbox has nothing due left to deliver (a running bot delivers it).

    An item due later in ledger time (decided by an event the test sent for a later
    instant than the clock now shows) does not count: nothing would deliver it yet.
    """
    import asyncio

    from ledger.cycles import to_us

    url = services.ledger.db.url
    sql = "SELECT COUNT(*) FROM outbox WHERE done_us IS NULL AND due_us <= ?"
    deadline = asyncio.get_running_loop().time() + within
    while (await query(url, sql, to_us(services.clock.now())))[0][0]:
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def ledger_rows(services: Services) -> dict[str, list[tuple]]:
    """Every row of the ledger and the tickets, to compare before and after a refusal.

    What a running bot still had to deliver is delivered first: delivering writes too
    (the outcome, a triage message's id), and a refusal must be compared with a ledger
    at rest.
    """
    await delivered(services)
    url = services.ledger.db.url
    return {t: await query(url, f"SELECT * FROM {t} ORDER BY 1") for t in TABLES}


def as_an_earlier_version_registered(definitions: list[dict]) -> list[dict]:
    """Command definitions as tokendesk registered them before SPEC 4's rules: global, with
    no contexts, install types or default permissions."""
    keep = ("name", "description", "options", "type")
    return [{k: d[k] for k in keep if k in d} for d in definitions]


@asynccontextmanager
async def write_lock_held(url: str) -> AsyncIterator[None]:
    """Another connection holds the ledger file's write lock (`BEGIN IMMEDIATE`) meanwhile:
    every write waits; reads go on (WAL)."""
    conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("COMMIT")
        conn.close()
