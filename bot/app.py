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
from bot.services import Services
from bot.views.tickets import TicketAction
from bot.views.troubleshoot import FlowChoice, RefundPick

log = logging.getLogger(__name__)

__all__ = ["TokendeskBot"]


class TokendeskBot(commands.AutoShardedBot):
    """tokendesk: app commands only. Services come from the composition root.

    Sharded: with no shard options discord.py asks Discord how many shards to run;
    `shard_count` and `shard_ids` run a slice of them, so several processes can share
    one PostgreSQL ledger.
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
            **options,
        )
        self.services = services
        self.gate = InteractionGate(services.metrics)
        self.synced = False

    async def setup_hook(self) -> None:
        self.add_dynamic_items(TicketAction, FlowChoice, RefundPick)
        for cog in (AccountCog, PricingCog, HelpCog, SupportCog):
            await self.add_cog(cog(self.services))
        guild_id = self.services.settings.guild_id
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()
        self.synced = True
        log.info("commands synced%s", f" to guild {guild_id}" if guild_id else " globally")
