"""The queue and `/tickets`, a page at a time, with page buttons for whoever asked.

`/tickets` also hands the user what waited for them: decisions they were not told of and
messages from the support team their closed DMs kept from them (with Reply buttons).
"""

from __future__ import annotations

import logging
import re

import discord

from bot.guards import OwnerGuard, StaffOwnerGuard, services_of, settle
from bot.paging import offset_of, pager_row
from bot.respond import MENTIONS_NONE, Reply
from bot.services import Services
from bot.tickets.conversation import ReplyButton
from bot.tickets.embeds import queue_embed, tickets_embed
from diagnostics.desk import Page
from ledger import Ticket, TicketReply

log = logging.getLogger(__name__)

__all__ = ["QUEUE_PAGE", "TICKETS_PAGE", "QueuePage", "TicketsPage", "queue_reply", "tickets_reply"]

QUEUE_PAGE = 10
TICKETS_PAGE = 10


async def _paged(fetch, number: int, size: int) -> Page:
    page = await fetch((max(1, number) - 1) * size)
    if not page.items and page.total and page.offset:  # the list shrank: its last page
        page = await fetch(offset_of(number, size, page.total))
    return page


async def queue_reply(
    services: Services, state: str | None, category: str | None, number: int = 1
) -> Reply:
    """A page of the queue: overdue tickets first and marked, then the oldest."""
    desk = services.desk
    page = await _paged(
        lambda offset: desk.queue_page(state, category, QUEUE_PAGE, offset), number, QUEUE_PAGE
    )
    embed = queue_embed(page, services.ledger.now_us(), desk.policy.sla_us)

    def button(target: int, label: str, disabled: bool) -> discord.ui.Item:
        return QueuePage(target, state or "", category or "", label=label, disabled=disabled)

    return Reply(embed, view=pager_row(discord.ui.View(timeout=None), page, button))


async def tickets_reply(services: Services, user_id: str, number: int = 1) -> Reply:
    """A page of a user's tickets; the first page also hands them what waited for them."""
    desk = services.desk
    notices: list[Ticket] = []
    replies: list[TicketReply] = []
    if number == 1:
        notices = await desk.take_notices(user_id)
        replies = await desk.take_replies(user_id)
    page = await _paged(
        lambda offset: desk.user_page(user_id, TICKETS_PAGE, offset), number, TICKETS_PAGE
    )
    view = discord.ui.View(timeout=None)
    for ticket_id in dict.fromkeys(r.ticket_id for r in replies):
        if len(view.children) < 4:
            view.add_item(ReplyButton(ticket_id, label=True))

    def button(target: int, label: str, disabled: bool) -> discord.ui.Item:
        return TicketsPage(target, label=label, disabled=disabled)

    return Reply(tickets_embed(page, notices, replies), view=pager_row(view, page, button))


async def _show(interaction: discord.Interaction, reply: Reply) -> None:
    await interaction.edit_original_response(
        embed=reply.embed, view=reply.view, allowed_mentions=MENTIONS_NONE
    )


class QueuePage(
    StaffOwnerGuard,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"tdq:(?P<page>[0-9]{1,7}):(?P<state>[a-z_]{0,16}):(?P<category>[a-z_]{0,32})",
):
    """Shows a page of the queue, with the same filters; for the staff member who asked."""

    def __init__(
        self, page: int, state: str, category: str, *, label: str = "", disabled: bool = False
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or f"Page {page}",
                custom_id=f"tdq:{max(0, page)}:{state}:{category}",
                disabled=disabled,
            )
        )
        self.page, self.state, self.category = page, state, category

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> QueuePage:
        return cls(int(match["page"]), match["state"], match["category"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # before the database: Discord allows 3 s
        services = services_of(interaction)
        try:
            reply = await queue_reply(
                services, self.state or None, self.category or None, self.page
            )
        except ValueError:  # a forged filter: not one of the ledger's states or categories
            reply = await queue_reply(services, None, None, 1)
        await _show(interaction, reply)


class TicketsPage(
    OwnerGuard, discord.ui.DynamicItem[discord.ui.Button], template=r"tdt:(?P<page>[0-9]{1,7})"
):
    """Shows a page of a user's own tickets; for that user only."""

    def __init__(self, page: int, *, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or f"Page {page}", custom_id=f"tdt:{max(0, page)}", disabled=disabled
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> TicketsPage:
        return cls(int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # before the database: Discord allows 3 s
        services = services_of(interaction)
        await _show(interaction, await tickets_reply(services, str(interaction.user.id), self.page))
