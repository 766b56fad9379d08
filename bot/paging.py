"""Lists longer than one reply, paged with buttons that outlive a restart.

A page button is a `DynamicItem` whose custom id carries the page it shows and the
list's filters (`tdq:2:open:`, `tdt:3`, `tdh:10:2`). It acts only for the person who
asked for the list (`OwnerGuard`; staff lists also check the role), acknowledges at
once, then edits the list in place. Each list says how many items it has in all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import discord

from diagnostics.desk import Page

log = logging.getLogger(__name__)

__all__ = ["MAX_PAGE_NUMBER", "last_page", "offset_of", "page_footer", "page_number", "pager_row"]

MAX_PAGE_NUMBER = 1_000_000


def last_page(total: int, size: int) -> int:
    """How many pages `total` items make (at least 1)."""
    return max(1, -(-total // size))


def page_number(page: Page) -> int:
    """The page's number, from 1."""
    return page.offset // page.limit + 1


def page_footer(page: Page, one: str, many: str) -> str:
    """'Page 2 of 5 · 43 tickets in all' (`one` and `many`: the noun, 'ticket', 'tickets')."""
    pages = last_page(page.total, page.limit)
    noun = one if page.total == 1 else many
    return f"Page {page_number(page)} of {pages} · {page.total:,} {noun} in all"


def pager_row(
    view: discord.ui.View,
    page: Page,
    button: Callable[[int, str, bool], discord.ui.Item],
) -> discord.ui.View:
    """Add Previous and Next buttons to `view` when the list has more than one page.

    Args:
        view: the reply's components.
        page: the page shown.
        button: makes the button that shows page N, with a label, disabled or not.
    """
    pages, number = last_page(page.total, page.limit), page_number(page)
    if pages > 1:
        view.add_item(button(number - 1, "Previous", number <= 1))
        view.add_item(button(number + 1, "Next", number >= pages))
    return view


def offset_of(number: int, size: int, total: int) -> int:
    """Where page `number` starts, kept within the list as it is now (it may have shrunk)."""
    number = max(1, min(number, last_page(total, size)))
    return (number - 1) * size
