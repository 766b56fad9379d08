"""Support and moderator commands: /ticket ..., /lookup, /adjust.

Registered to the support server only (`bot.registration`), and checked on the server for
every command by this cog's `interaction_check`: the support server, its own install,
the configured role (`bot.roles`), whatever Discord's own permission settings say.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.account.embeds import balance_embed, history_embed
from bot.respond import Reply, answer
from bot.roles import (
    STAFF_CONTEXTS,
    STAFF_INSTALLS,
    STAFF_PERMISSIONS,
    staff_command,
    staff_refusal,
)
from bot.services import Services
from bot.style import BAD, GOOD
from bot.tickets.embeds import CATEGORY_CHOICES, STATE_CHOICES, queue_embed, stats_embed
from bot.tickets.views import actor, decide
from bot.words import tokens

log = logging.getLogger(__name__)

__all__ = ["SupportCog"]

TicketId = app_commands.Range[int, 1, 10**15]
MODERATOR = {"level": "moderator"}


class SupportCog(commands.Cog):
    """Triage for the support team, decisions for moderators."""

    ticket = app_commands.Group(
        name="ticket",
        description="Support: triage and decide tickets",
        default_permissions=STAFF_PERMISSIONS,
        allowed_contexts=STAFF_CONTEXTS,
        allowed_installs=STAFF_INSTALLS,
    )

    def __init__(self, services: Services) -> None:
        self.services = services

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Every command here: the support server, its own install, the role it needs.

        Raises:
            StaffOnly: refused; the error handler answers "staff only".
        """
        command = interaction.command
        level = command.extras.get("level", "support") if command is not None else "support"
        refusal = staff_refusal(interaction, self.services.settings, level)
        if refusal is None:
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            return False  # discord.py answers an autocomplete that fails its check with []
        log.info(
            "refused /%s from user %s in guild %s: %s",
            command.qualified_name if command else "?",
            interaction.user.id,
            interaction.guild_id,
            refusal.reason,
        )
        raise refusal

    async def _act(
        self, interaction: discord.Interaction, ticket_id: int, action: str, text: str | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await decide(interaction, ticket_id, action, text)

    @ticket.command(name="queue")
    @app_commands.choices(status=STATE_CHOICES, category=CATEGORY_CHOICES)
    async def queue(
        self,
        interaction: discord.Interaction,
        status: str | None = None,
        category: str | None = None,
    ) -> None:
        """Tickets waiting, oldest first, with their age.

        Args:
            status: Only tickets in this state (default: open and claimed).
            category: Only tickets of this category.
        """
        desk = self.services.desk

        async def work() -> Reply:
            found = await desk.queue(status, category)
            return Reply(queue_embed(found, self.services.ledger.now_us()))

        await answer(interaction, work(), defer_after=self.services.defer_after)

    @ticket.command(name="claim")
    async def claim(self, interaction: discord.Interaction, id: TicketId) -> None:
        """Take a ticket: you are looking at it.

        Args:
            id: The ticket number.
        """
        await self._act(interaction, id, "claim")

    @ticket.command(name="note")
    async def note(
        self,
        interaction: discord.Interaction,
        id: TicketId,
        text: app_commands.Range[str, 1, 1000],
    ) -> None:
        """Add a note to a ticket's history (the user does not see it).

        Args:
            id: The ticket number.
            text: The note.
        """
        await self._act(interaction, id, "note", text)

    @ticket.command(name="close")
    async def close(self, interaction: discord.Interaction, id: TicketId) -> None:
        """Close a ticket without a refund decision.

        Args:
            id: The ticket number.
        """
        await self._act(interaction, id, "close")

    @ticket.command(name="approve", extras=MODERATOR)
    async def approve(self, interaction: discord.Interaction, id: TicketId) -> None:
        """Approve a refund: the tokens go back to their buckets, once.

        Args:
            id: The ticket number.
        """
        await self._act(interaction, id, "approve")

    @ticket.command(name="deny", extras=MODERATOR)
    async def deny(
        self,
        interaction: discord.Interaction,
        id: TicketId,
        reason: app_commands.Range[str, 1, 1000],
    ) -> None:
        """Deny a refund, saying why (the user sees the reason).

        Args:
            id: The ticket number.
            reason: Why the refund is denied.
        """
        await self._act(interaction, id, "deny", reason)

    @ticket.command(name="stats")
    async def stats(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] = 7
    ) -> None:
        """Ticket counts, refunded tokens and response times.

        Args:
            days: How many days back to count (default 7).
        """

        async def work() -> Reply:
            return Reply(stats_embed(await self.services.desk.stats(days)))

        await answer(interaction, work(), defer_after=self.services.defer_after)

    @app_commands.command(name="lookup")
    @staff_command
    async def lookup(self, interaction: discord.Interaction, user: discord.User) -> None:
        """Support: another user's balance and recent history.

        Args:
            user: The Discord user to look up.
        """
        ledger = self.services.ledger

        async def work() -> Reply:
            found = await ledger.balance(str(user.id), by_user=True)
            if found is None:
                return Reply(discord.Embed(description="That user has not linked an account."))
            rows = await ledger.history(str(user.id), 10, by_user=True) or []
            embed = balance_embed(found, ledger.catalogue)
            embed.title = f"Tokens of {user.display_name}"[:256]
            recent = history_embed(rows).description or ""
            embed.add_field(name="Recent history", value=recent[:1024], inline=False)
            return Reply(embed)

        await answer(interaction, work(), defer_after=self.services.defer_after)

    @app_commands.command(name="adjust", extras=MODERATOR)
    @staff_command
    async def adjust(
        self,
        interaction: discord.Interaction,
        user: discord.User,
        amount: app_commands.Range[int, -1_000_000_000, 1_000_000_000],
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        """Moderators: grant (+) or deduct (-) tokens, journalled with the reason.

        Args:
            user: Whose tokens.
            amount: Tokens to add (positive) or take (negative).
            reason: Why; it is kept in the journal.
        """
        ledger = self.services.ledger

        async def work() -> Reply:
            account = await ledger.account(str(user.id), by_user=True)
            if account is None or amount == 0:
                text = (
                    "That user has not linked an account."
                    if account is None
                    else "Amount 0 changes nothing."
                )
                return Reply(discord.Embed(description=text, colour=BAD))
            done = await ledger.adjust(
                account.account_id, amount, actor=actor(interaction), reason=reason
            )
            assert done is not None
            embed = discord.Embed(title="Adjusted", colour=GOOD)
            embed.description = (
                f"Asked {amount:+,}, applied {done.applied:+,} tokens on {user.mention}'s account."
            )
            if done.applied != amount:
                embed.description += (
                    f"\nOnly {tokens(-done.applied)} could be taken: buckets never go below zero."
                )
            return Reply(embed)

        await answer(interaction, work(), defer_after=self.services.defer_after)
