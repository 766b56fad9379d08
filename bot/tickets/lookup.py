"""Looking at and adjusting another user's tokens: `/lookup`, Apps -> `Tokens`, `/adjust`.

All three are staff commands, registered to the support server only and checked on the
server for every use (`bot.roles`): `/lookup` and `/adjust` by the cog's
`interaction_check`, the `Tokens` context menu by `staff_check`.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.account.embeds import balance_embed, history_embed
from bot.guards import services_of
from bot.respond import Reply, answer
from bot.roles import StaffCog, staff_check, staff_command
from bot.services import Services
from bot.style import BAD, GOOD
from bot.tickets.views import actor
from bot.words import tokens

__all__ = ["LookupCog", "lookup_reply", "tokens_menu"]

MODERATOR = {"level": "moderator"}


async def lookup_reply(services: Services, user: discord.abc.User) -> Reply:
    """What `/lookup` and Apps -> Tokens show: a user's balance and recent history."""
    ledger = services.ledger
    found = await ledger.balance(str(user.id), by_user=True)
    if found is None:
        return Reply(discord.Embed(description="That user has not linked an account."))
    rows = await ledger.history(str(user.id), 10, by_user=True) or []
    embed = balance_embed(found, ledger.catalogue)
    embed.title = f"Tokens of {user.display_name}"[:256]
    recent = history_embed(rows).description or ""
    embed.add_field(name="Recent history", value=recent[:1024], inline=False)
    return Reply(embed)


@staff_check("support")
@staff_command
async def _tokens(interaction: discord.Interaction, user: discord.User) -> None:
    services = services_of(interaction)
    await answer(interaction, lookup_reply(services, user), defer_after=services.defer_after)


def tokens_menu() -> app_commands.ContextMenu:
    """Apps -> Tokens on a member: what `/lookup` shows for them (one per bot's tree)."""
    return app_commands.ContextMenu(name="Tokens", callback=_tokens)


class LookupCog(StaffCog):
    """`/lookup` for the support team, `/adjust` for moderators."""

    @app_commands.command(name="lookup")
    @staff_command
    async def lookup(self, interaction: discord.Interaction, user: discord.User) -> None:
        """Support: another user's balance and recent history.

        Args:
            user: The Discord user to look up.
        """
        work = lookup_reply(self.services, user)
        await answer(interaction, work, defer_after=self.services.defer_after)

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
