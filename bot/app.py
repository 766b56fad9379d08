"""The bot: a `commands.Bot` given its services, with one cog per area."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.cogs.account import AccountCog
from bot.cogs.help import HelpCog
from bot.cogs.pricing import PricingCog
from bot.cogs.support import SupportCog
from bot.gate import GatedTree, InteractionGate
from bot.registration import USER_CONTEXTS, USER_INSTALLS, register_commands
from bot.services import Services
from bot.views.guarded import answer_unclaimed
from bot.views.tickets import TicketAction
from bot.views.troubleshoot import FlowChoice, RefundPick

log = logging.getLogger(__name__)

__all__ = ["TokendeskBot"]


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
        self.synced = False
        self.staff_command_names: frozenset[str] = frozenset()
        """Top-level names of the staff commands, registered or not (see `handle_error`)."""

    async def setup_hook(self) -> None:
        self.add_dynamic_items(TicketAction, FlowChoice, RefundPick)
        for cog in (AccountCog, PricingCog, HelpCog):
            await self.add_cog(cog(self.services))
        staff = SupportCog(self.services)
        self.staff_command_names = frozenset(c.name for c in staff.get_app_commands())
        await register_commands(self, staff, self.services.settings.guild_id)
        self.synced = True

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer a button, select or modal none of ours took, rather than leave it failing."""
        await answer_unclaimed(interaction)
