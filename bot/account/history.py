"""`/history`, a page at a time, with page buttons for the person who asked."""

from __future__ import annotations

import logging
import re

import discord

from bot.account.embeds import history_embed, not_linked_embed
from bot.guards import OwnerGuard, services_of, settle
from bot.paging import offset_of, page_footer, pager_row
from bot.respond import MENTIONS_NONE, Reply
from bot.services import Services
from diagnostics.desk import Page

log = logging.getLogger(__name__)

__all__ = ["HistoryPage", "history_reply"]

MAX_LIMIT = 25


async def history_reply(services: Services, user_id: str, limit: int, number: int = 1) -> Reply:
    """A page of `limit` journal rows, newest first, saying how many there are in all."""
    ledger = services.ledger
    limit = max(1, min(limit, MAX_LIMIT))
    found = await ledger.history_page(user_id, limit, (max(1, number) - 1) * limit, by_user=True)
    if found is None:
        return Reply(not_linked_embed())
    rows, total = found
    if not rows and total and number > 1:  # fewer rows than when the pages were counted
        number = offset_of(number, limit, total) // limit + 1
        found = await ledger.history_page(user_id, limit, (number - 1) * limit, by_user=True)
        rows, total = found or ([], 0)
    page = Page(rows, total, (max(1, number) - 1) * limit, limit)

    def button(target: int, label: str, disabled: bool) -> discord.ui.Item:
        return HistoryPage(limit, target, label=label, disabled=disabled)

    view = pager_row(discord.ui.View(timeout=None), page, button)
    return Reply(history_embed(rows, page_footer(page, "entry", "entries")), view=view)


class HistoryPage(
    OwnerGuard,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"tdh:(?P<limit>[0-9]{1,2}):(?P<page>[0-9]{1,7})",
):
    """Shows a page of `/history`; for the person who asked only."""

    def __init__(self, limit: int, page: int, *, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or f"Page {page}",
                custom_id=f"tdh:{limit}:{max(0, page)}",
                disabled=disabled,
            )
        )
        self.limit, self.page = limit, page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> HistoryPage:
        return cls(int(match["limit"]), int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # before the database: Discord allows 3 s
        reply = await history_reply(
            services_of(interaction), str(interaction.user.id), self.limit, self.page
        )
        await interaction.edit_original_response(
            embed=reply.embed, view=reply.view, allowed_mentions=MENTIONS_NONE
        )
