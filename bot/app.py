"""The bot: a `commands.Bot` given its services, with one package per feature.

Each feature package (`bot.account`, `bot.pricing`, `bot.tickets`, `bot.troubleshoot`)
has a `setup(bot)` that adds its cogs and persistent components, as python-discord's
extensions do; staff cogs are collected and registered to the support server only.
"""

from __future__ import annotations

import logging
from typing import Protocol

import discord
from discord import app_commands
from discord.ext import commands

from bot import account, pricing, tickets, troubleshoot
from bot.delivery import Deliverer
from bot.gate import GatedTree, InteractionGate
from bot.guards import answer_unclaimed
from bot.registration import USER_CONTEXTS, USER_INSTALLS, register_commands
from bot.services import Services

log = logging.getLogger(__name__)

__all__ = ["FEATURES", "Background", "TokendeskBot"]

FEATURES = (account, pricing, tickets, troubleshoot)


class Background(Protocol):
    """A job a bot process runs from start to close (the desk's timed jobs)."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


class TokendeskBot(commands.AutoShardedBot):
    """tokendesk: app commands only. Services come from the composition root.

    Sharded: with no shard options discord.py asks Discord how many shards to run;
    `shard_count` and `shard_ids` run a slice of them, so several processes can share
    one PostgreSQL ledger.

    Commands are user-installable by default (`bot.registration`); the staff cog
    overrides that for its own commands.
    """

    def __init__(self, services: Services, **options: object) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=GatedTree,  # every interaction passes the gate; its errors, handle_error
            allowed_contexts=USER_CONTEXTS,
            allowed_installs=USER_INSTALLS,
            **options,
        )
        self.services = services
        self.gate = InteractionGate(services.metrics)
        self.deliverer = Deliverer(
            services.ledger.deliveries,
            lease_s=services.settings.delivery_lease_s,
            give_way=self.gate.quiet,
        )
        """Delivers the outbox (DMs, thread lines, triage messages) from this process."""
        self.synced = False
        self.staff_command_names: frozenset[str] = frozenset()
        """Top-level names of the staff commands, registered or not (see `handle_error`)."""
        self._staff_cogs: list[commands.Cog] = []
        self._staff_menus: list[app_commands.ContextMenu] = []
        self._background: list[Background] = []

    def add_staff_cog(self, cog: commands.Cog) -> None:
        """A cog of staff commands: registered to the support server only, at setup's end."""
        self._staff_cogs.append(cog)

    def add_staff_menu(self, menu: app_commands.ContextMenu) -> None:
        """A staff context menu (Apps -> name): registered to the support server only."""
        self._staff_menus.append(menu)

    def add_background(self, job: Background) -> None:
        """A job this process runs in the background from start to close (a timer)."""
        self._background.append(job)

    @property
    def background(self) -> tuple[Background, ...]:
        """The background jobs (for tests that run one now instead of waiting for it)."""
        return tuple(self._background)

    async def setup_hook(self) -> None:
        for feature in FEATURES:
            await feature.setup(self)
        self.staff_command_names = frozenset(
            [command.name for cog in self._staff_cogs for command in cog.get_app_commands()]
            + [menu.name for menu in self._staff_menus]
        )
        guild_id = self.services.settings.guild_id
        await register_commands(self, self._staff_cogs, guild_id, self._staff_menus)
        self.synced = True
        self.deliverer.start()
        for job in self._background:
            job.start()

    async def close(self) -> None:
        """Stop the background jobs, finish the delivery in hand, then disconnect."""
        for job in self._background:
            await job.stop()
        await self.deliverer.stop()
        await super().close()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer a button, select or modal none of ours took, rather than leave it failing."""
        await answer_unclaimed(interaction)
