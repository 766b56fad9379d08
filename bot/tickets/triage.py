"""Each ticket's triage message: posted once with its thread, then always the ticket as it is.

Every change to a ticket adds a TRIAGE item to the outbox in its own transaction
(`diagnostics.decisions.announce`), whoever made it: a button, a command, the system's
timed jobs, another bot process on the same database. `deliver_triage` is its handler,
and the only writer of triage messages:

- the first time, it posts the message and starts its thread. The post carries a nonce
  made from the ticket (`tdt<N>`), so two items (or two processes) posting at once get
  one message; the ids are stored once (`set_triage_message`, `set_thread`). Starting a
  thread a second time is refused by Discord with 160004, and a thread started from a
  message has the message's id, so a retry that finds the thread started takes that id;
- afterwards it edits the message from the database: state, who claimed it, how long
  it has waited, only the buttons that still apply. It reads again after each edit and
  edits again if the ticket changed meanwhile, so the last edit shows the latest state
  even when two processes deliver two changes in the wrong order.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.delivery import NotYet, send_once
from bot.respond import MENTIONS_NONE
from bot.style import clip
from bot.tickets.embeds import CATEGORY_NAMES, ticket_embed
from bot.tickets.views import ticket_buttons
from ledger import OutboxItem, OutboxOutcome, Ticket

if TYPE_CHECKING:
    from bot.app import TokendeskBot

log = logging.getLogger(__name__)

__all__ = ["deliver_triage", "thread_for", "triage_message"]

THREAD_ALREADY_CREATED = 160004
THREAD_ARCHIVE_MINUTES = 10080
"""A week without a message before Discord hides the thread (a new line brings it back)."""
EDITS = 3


def triage_message(ticket: Ticket, now_us: int, sla_us: int) -> dict[str, Any]:
    """What the triage message shows for a ticket now (`Messageable.send`/`edit` keywords)."""
    return {
        "embed": ticket_embed(ticket, for_staff=True, now_us=now_us, sla_us=sla_us),
        "view": ticket_buttons(ticket),
        "allowed_mentions": MENTIONS_NONE,
    }


def _signature(message: dict[str, Any]) -> tuple[Any, Any]:
    view = message["view"]
    return message["embed"].to_dict(), None if view is None else view.to_components()


async def start_thread(bot: TokendeskBot, channel_id: int, message_id: int, name: str) -> int:
    """Start the thread under a triage message, or find it started; returns its id.

    Raises:
        discord.Forbidden: the bot may not start threads in the triage channel.
        discord.HTTPException: Discord failed (the item is tried again).
    """
    try:
        # The HTTP client directly: the support server need not be in this process's
        # cache (another shard's process may hold it), which `Message.create_thread` needs.
        data = await bot.http.start_thread_with_message(
            channel_id, message_id, name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
        )
    except discord.HTTPException as exc:
        if exc.code == THREAD_ALREADY_CREATED:  # a retry, or another process: same thread
            return message_id
        raise
    return int(data["id"])


async def thread_for(bot: TokendeskBot, ticket: Ticket) -> int:
    """The ticket's thread id, starting the thread if its message is posted but it is not.

    Raises:
        NotYet: the triage message is not posted yet (its TRIAGE item comes first).
        discord.Forbidden: the bot may not start threads there.
        discord.HTTPException: Discord failed.
    """
    if ticket.thread_id is not None:
        return int(ticket.thread_id)
    channel_id = bot.services.settings.triage_channel
    if ticket.triage_message_id is None or channel_id is None:
        raise NotYet(f"ticket #{ticket.id} has no triage message yet")
    name = clip(f"Ticket #{ticket.id}: {CATEGORY_NAMES[ticket.category]}", 100)
    thread_id = await start_thread(bot, channel_id, int(ticket.triage_message_id), name)
    await bot.services.desk.set_thread(ticket.id, str(thread_id))
    return thread_id


async def deliver_triage(bot: TokendeskBot, item: OutboxItem) -> OutboxOutcome:
    """Post or update a ticket's triage message (see the module docstring).

    Raises:
        discord.NotFound: the message or channel is gone (not retried).
        discord.HTTPException: Discord failed; the deliverer tries again later.
    """
    services = bot.services
    desk, channel_id = services.desk, services.settings.triage_channel
    ticket = await desk.get(item.ticket_id or 0)
    if ticket is None or ticket.quiet or channel_id is None:
        return OutboxOutcome.SKIPPED
    channel = bot.get_partial_messageable(channel_id, guild_id=services.settings.guild_id)
    shown = None
    for _ in range(EDITS):
        message = triage_message(ticket, services.ledger.now_us(), desk.policy.sla_us)
        signature = _signature(message)
        if signature == shown:
            break
        if ticket.triage_message_id is None:
            posted = await send_once(channel, item, nonce=f"tdt{ticket.id}", **message)
            await desk.set_triage_message(ticket.id, str(posted.id))
            # A retry gets the message an earlier attempt posted (the nonce), as it was
            # then: compare, and edit it below if it shows something else.
            same = [e.to_dict() for e in posted.embeds] == [message["embed"].to_dict()]
            shown = signature if same else None
        else:  # view None: no buttons apply any more, and the edit removes them
            await channel.get_partial_message(int(ticket.triage_message_id)).edit(**message)
            shown = signature
        ticket = await desk.get(ticket.id) or ticket
        if ticket.thread_id is None:
            await _thread(bot, ticket)
            ticket = await desk.get(ticket.id) or ticket
    return OutboxOutcome.SENT


async def _thread(bot: TokendeskBot, ticket: Ticket) -> None:
    try:
        await thread_for(bot, ticket)
    except discord.Forbidden:
        log.warning(
            "ticket #%d: cannot start its thread in the triage channel (the bot needs "
            "Create Public Threads and Send Messages in Threads there)",
            ticket.id,
        )
