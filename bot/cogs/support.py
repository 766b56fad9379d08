"""Support and moderator commands: /ticket ..., /lookup, /adjust.

Roles are checked here, on the server, for every command, whatever Discord's own
permission settings say.
"""

from __future__ import annotations

import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds.account import balance_embed, history_embed
from bot.embeds.common import BAD, GOOD
from bot.embeds.tickets import queue_embed, stats_embed, ticket_embed
from bot.notify import tell_user
from bot.outcomes import refused_text
from bot.respond import Reply, answer
from bot.roles import require
from bot.services import Services
from bot.views.tickets import ticket_buttons
from bot.words import tokens
from diagnostics.desk import Decided

log = logging.getLogger(__name__)

__all__ = ["SupportCog"]

State = Literal["open", "claimed", "approved", "denied", "closed"]
Category = Literal["refund", "missing_tokens", "not_refreshing", "billing", "other"]
TicketId = app_commands.Range[int, 1, 10**15]


class SupportCog(commands.Cog):
    """Triage for the support team, decisions for moderators."""

    ticket = app_commands.Group(name="ticket", description="Support: triage and decide tickets")

    def __init__(self, services: Services) -> None:
        self.services = services

    def _actor(self, interaction: discord.Interaction) -> str:
        return f"discord:{interaction.user.id}"

    async def _act(
        self,
        interaction: discord.Interaction,
        level: str,
        ticket_id: int,
        action: str,
        text: str | None = None,
    ) -> None:
        require(interaction.user, self.services.settings, level)
        services = self.services

        async def work() -> Reply:
            result = await services.desk.act(ticket_id, action, self._actor(interaction), text)
            if not isinstance(result, Decided):
                return Reply(discord.Embed(description=refused_text(result), colour=BAD))
            if action in ("approve", "deny"):
                told = await tell_user(interaction.client, services.desk, result.ticket)
                note = (
                    "The user was told by DM."
                    if told
                    else "DMs are closed: the user will see it in /tickets."
                )
            else:
                note = None
            embed = ticket_embed(result.ticket, for_staff=True)
            if note:
                embed.set_footer(text=note)
            return Reply(embed, view=ticket_buttons(result.ticket))

        await answer(interaction, work(), defer_after=services.defer_after)

    @ticket.command(name="queue")
    async def queue(
        self,
        interaction: discord.Interaction,
        status: State | None = None,
        category: Category | None = None,
    ) -> None:
        """Tickets waiting, oldest first, with their age.

        Args:
            status: Only tickets in this state (default: open and claimed).
            category: Only tickets of this category.
        """
        require(interaction.user, self.services.settings, "support")
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
        await self._act(interaction, "support", id, "claim")

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
        await self._act(interaction, "support", id, "note", text)

    @ticket.command(name="close")
    async def close(self, interaction: discord.Interaction, id: TicketId) -> None:
        """Close a ticket without a refund decision.

        Args:
            id: The ticket number.
        """
        await self._act(interaction, "support", id, "close")

    @ticket.command(name="approve")
    async def approve(self, interaction: discord.Interaction, id: TicketId) -> None:
        """Approve a refund: the tokens go back to their buckets, once.

        Args:
            id: The ticket number.
        """
        await self._act(interaction, "moderator", id, "approve")

    @ticket.command(name="deny")
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
        await self._act(interaction, "moderator", id, "deny", reason)

    @ticket.command(name="stats")
    async def stats(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] = 7
    ) -> None:
        """Ticket counts, refunded tokens and response times.

        Args:
            days: How many days back to count (default 7).
        """
        require(interaction.user, self.services.settings, "support")

        async def work() -> Reply:
            return Reply(stats_embed(await self.services.desk.stats(days)))

        await answer(interaction, work(), defer_after=self.services.defer_after)

    @app_commands.command(name="lookup")
    async def lookup(self, interaction: discord.Interaction, user: discord.User) -> None:
        """Support: another user's balance and recent history.

        Args:
            user: The Discord user to look up.
        """
        require(interaction.user, self.services.settings, "support")
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

    @app_commands.command(name="adjust")
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
        require(interaction.user, self.services.settings, "moderator")
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
                account.account_id, amount, actor=self._actor(interaction), reason=reason
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
