"""The driver: build a Discord world, run real discord.py clients, act as its users.

Example::

    async with Emulator() as emu:
        guild = emu.add_guild("Test guild")
        alice = emu.add_member(guild, "alice", roles=[emu.add_role(guild, "Moderator")])
        await emu.start_client(bot)
        reply = await emu.slash(alice, "ticket open", topic="billing")
        again = await emu.click(reply, "Close")
        emu.raise_for_problems()
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import discord

from bot.emulator.discordpy import (
    configure_discordpy,
    restore_discordpy,
    run_until_ready,
    stop_client_task,
)
from bot.emulator.forgery import ForgedActions
from bot.emulator.gateway import PRIVILEGED_INTENTS, GatewaySession
from bot.emulator.message import Message
from bot.emulator.problems import EmulatorError, Problem, ProblemsRecorded
from bot.emulator.result import InteractionResult
from bot.emulator.server import EmulatorServer
from bot.emulator.world import DEFAULT_BOT_PERMISSIONS, Channel, Guild, Member, Role, User

log = logging.getLogger(__name__)


class Emulator(ForgedActions):
    """A loopback Discord for tests and the offline sandbox.

    Args:
        ack_timeout: Seconds a bot has to acknowledge an interaction (Discord: 3).
        reply_timeout: Seconds the driver waits for a deferred interaction to be finished.
        shard_count: Shard count recommended by ``GET /gateway/bot``.
        paranoid: Double-check every schema validation with ``jsonschema`` (slower).
        port: TCP port on 127.0.0.1 (0 = any free port).
        heartbeat_interval: Seconds announced in the gateway HELLO.
        privileged_intents: Privileged intents the application may use (default: all).
        bot_name: Username of the bot.
        history: Finished interactions kept for inspection; older ones are forgotten.
    """

    def __init__(
        self,
        *,
        ack_timeout: float = 3.0,
        reply_timeout: float = 10.0,
        shard_count: int = 1,
        paranoid: bool = False,
        port: int = 0,
        heartbeat_interval: float = 41.25,
        privileged_intents: int = PRIVILEGED_INTENTS,
        bot_name: str = "tokendesk",
        history: int = 10_000,
    ) -> None:
        self.server = EmulatorServer(
            port=port,
            ack_timeout=ack_timeout,
            shard_count=shard_count,
            heartbeat_interval=heartbeat_interval,
            privileged_intents=privileged_intents,
            paranoid=paranoid,
            bot_name=bot_name,
            history=history,
        )
        self.reply_timeout = reply_timeout
        self._clients: dict[discord.Client, tuple[asyncio.Task[None], set[str]]] = {}
        self._starting = asyncio.Lock()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start serving on 127.0.0.1."""
        await self.server.start()

    async def stop(self) -> None:
        """Stop all clients started here, then the server."""
        for client in list(self._clients):
            await self.stop_client(client)
        await self.server.stop()
        restore_discordpy(self.server.rest_url)

    @property
    def token(self) -> str:
        """The bot token clients must log in with."""
        return self.world.application.token

    def connection_info(self) -> dict[str, str]:
        """URLs and token another process needs (see ``configure_discordpy``)."""
        return {
            "rest_url": self.server.rest_url,
            "gateway_url": self.server.gateway_url,
            "token": self.token,
        }

    # -- problems ---------------------------------------------------------------------

    @property
    def problems(self) -> list[Problem]:
        """Everything recorded so far that real Discord would refuse or show as failed."""
        return list(self.server.problems)

    def take_problems(self, kind: str | None = None) -> list[Problem]:
        """Remove and return recorded problems (only those of ``kind`` if given)."""
        taken = [p for p in self.server.problems if kind is None or p.kind == kind]
        kept = [p for p in self.server.problems if kind is not None and p.kind != kind]
        self.server.problems[:] = kept
        return taken

    def raise_for_problems(self) -> None:
        """Raise :class:`ProblemsRecorded` if any problem was recorded."""
        if self.server.problems:
            raise ProblemsRecorded(self.problems)

    # -- world building ---------------------------------------------------------------

    def add_guild(
        self,
        name: str,
        *,
        shard: tuple[int, int] | None = None,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
    ) -> Guild:
        """Create a guild the bot is in; ``shard=(id, count)`` places it on that shard."""
        return self.world.add_guild(name, shard=shard, bot_permissions=bot_permissions)

    def add_role(self, guild: Guild, name: str, *, permissions: int = 0) -> Role:
        """Create a role (``permissions`` is Discord's bit field)."""
        return self.world.add_role(guild, name, permissions=permissions)

    def add_member(self, guild: Guild, user: User | str, *, roles: Sequence[Role] = ()) -> Member:
        """Add a user (or a new user of that name) to ``guild``."""
        return self.world.add_member(guild, user, roles=list(roles))

    def add_user(self, name: str, *, dms_open: bool = True) -> User:
        """Create a user outside any guild; ``dms_open=False`` makes DMs fail with 50007."""
        return self.world.add_user(name, dms_open=dms_open)

    def add_channel(self, guild: Guild, name: str) -> Channel:
        """Create a text channel."""
        return self.world.add_channel(guild, name)

    def add_private_channel(self, *users: User | Member, name: str | None = None) -> Channel:
        """Create a group DM between people; the bot is not in it (user-installed apps only)."""
        people = [u.user if isinstance(u, Member) else u for u in users]
        return self.world.add_private_channel(people, name)

    def register_commands(
        self, definitions: list[dict[str, Any]], *, guild: Guild | None = None
    ) -> None:
        """Register commands as the application did before (an earlier version, another
        process): replaces the global commands, or ``guild``'s."""
        self.server.commands.overwrite(guild.id if guild is not None else None, definitions)

    def registered(self, guild: Guild | None = None) -> list[dict[str, Any]]:
        """The commands registered globally, or to ``guild``, as Discord stores them."""
        return self.server.commands.listing(guild.id if guild is not None else None)

    def set_roles(self, member: Member, roles: Sequence[Role]) -> None:
        """Replace a member's roles (connected bots get GUILD_MEMBER_UPDATE)."""
        self.world.set_roles(member, list(roles))

    # -- clients ----------------------------------------------------------------------

    async def start_client(
        self, client: discord.Client, *, syncs: int = 1, within: float = 10.0
    ) -> None:
        """Point discord.py here, start ``client`` and wait until it is ready.

        Args:
            client: A real, unmodified discord.py client or bot.
            syncs: Also wait for this many command syncs (bulk overwrites, global or per
                guild) since this call, as a bot does in ``setup_hook``/``on_ready``.
            within: Seconds to wait for readiness, then as long again for the syncs.

        Raises:
            EmulatorError: the client failed, was not ready, or did not sync in time.
        """
        configure_discordpy(self.server.rest_url, self.server.gateway_url)
        target = self.server.commands.syncs + syncs
        async with self._starting:  # one at a time, so new sessions belong to this client
            before = set(self.server.gateway.sessions)
            task = await run_until_ready(client, self.token, within=within)
            self._clients[client] = (task, set(self.server.gateway.sessions) - before)
        try:
            async with asyncio.timeout(within):
                await self.server.commands.wait_for_sync(target)
        except TimeoutError:
            raise EmulatorError(f"{client!r} did not sync its commands {syncs} time(s)") from None

    async def stop_client(self, client: discord.Client) -> None:
        """Close a client started with :meth:`start_client` and end its gateway sessions.

        discord.py's ``close()`` ends up sending close code 4000, after which Discord keeps
        the session resumable for a while; the client is gone for good here, so its
        sessions end at once (events no longer queue up for it).
        """
        running = self._clients.pop(client, None)
        if running is None:
            return
        task, sessions = running
        await stop_client_task(client, task)
        for session_id in sessions:
            self.server.gateway.end(session_id)

    @property
    def sessions(self) -> list[GatewaySession]:
        """Live gateway sessions (one per connected shard)."""
        return [s for s in self.server.gateway.sessions.values() if not s.invalid]

    def request_reconnect(self, session: GatewaySession) -> None:
        """Send opcode 7 RECONNECT; the client should come back with RESUME."""
        self.server.gateway.send_reconnect(session)

    # -- inspection -------------------------------------------------------------------

    def latest_interaction(self) -> InteractionResult | None:
        """The interaction a user started last, even while the bot is still answering it."""
        record = self.server.tracker.latest()
        return None if record is None else InteractionResult(record, self.world)

    def attachment(self, attachment: dict[str, Any]) -> bytes:
        """The bytes of an uploaded attachment (from a message's ``attachments``)."""
        return self.world.files[int(attachment["id"])]

    def hold_answers(self) -> None:
        """From now on, a message the bot creates is stored but Discord's answer waits,
        as when a process dies between Discord accepting a message and hearing back."""
        self.world.hold_answers = asyncio.Event()

    def release_answers(self) -> None:
        """Answer the held message creations, and hold no more."""
        held, self.world.hold_answers = self.world.hold_answers, None
        if held is not None:
            held.set()

    def dms_to(self, user: Member | User) -> list[Message]:
        """Messages the bot sent to ``user`` in DMs, oldest first."""
        person = user.user if isinstance(user, Member) else user
        return self.world.messages_in(self.world.dm_channel(person))

    def channel_messages(
        self, channel: Channel, *, include_ephemeral: bool = False
    ) -> list[Message]:
        """Live messages of a channel, oldest first."""
        return self.world.messages_in(channel, include_ephemeral=include_ephemeral)

    def thread_of(self, message: Message) -> Channel | None:
        """The thread started from ``message``, if there is one (its id is the message's)."""
        found = self.world.channels.get(message.id)
        return found if found is not None and found.is_thread else None

    def thread_messages(self, message: Message) -> list[Message]:
        """Live messages of the thread started from ``message``, oldest first ([] if none)."""
        thread = self.thread_of(message)
        return [] if thread is None else self.world.messages_in(thread)
