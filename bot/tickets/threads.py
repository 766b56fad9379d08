"""Lines in a ticket's thread: every action and message, the SLA reminder, the warning.

THREAD items wait (`NotYet`, tried again shortly) until the ticket's thread exists: its
TRIAGE item, decided in the same transaction and delivered first, makes it. Each line
is sent with the item's nonce, so a retry never posts it twice. Nothing in a thread
pings anyone, except the SLA reminder, which pings the support role and nothing else.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.delivery import send_once
from bot.respond import MENTIONS_NONE
from bot.tickets.lines import closing_line, line_text, sla_line
from bot.tickets.triage import thread_for
from ledger import OutboxItem, OutboxOutcome, Ticket

if TYPE_CHECKING:
    from bot.app import TokendeskBot

log = logging.getLogger(__name__)

__all__ = ["deliver_closing_line", "deliver_line", "deliver_sla", "support_role_id"]


async def _thread(
    bot: TokendeskBot, item: OutboxItem
) -> tuple[Ticket, discord.abc.Messageable] | None:
    settings = bot.services.settings
    ticket = await bot.services.desk.get(item.ticket_id or 0)
    if ticket is None or ticket.quiet or settings.triage_channel is None:
        return None
    thread_id = await thread_for(bot, ticket)
    channel = bot.get_partial_messageable(
        thread_id, guild_id=settings.guild_id, type=discord.ChannelType.public_thread
    )
    return ticket, channel


async def deliver_line(bot: TokendeskBot, item: OutboxItem) -> OutboxOutcome:
    """Write one action or message of a ticket in its thread.

    Raises:
        NotYet: the thread is not there yet.
        discord.HTTPException: Discord failed (Forbidden/NotFound: not retried).
    """
    found = await _thread(bot, item)
    if found is None:
        return OutboxOutcome.SKIPPED
    days = bot.services.settings.auto_close_days
    text = line_text(item.payload, auto_close_days=days)
    await send_once(found[1], item, content=text, allowed_mentions=MENTIONS_NONE)
    return OutboxOutcome.SENT


async def deliver_closing_line(bot: TokendeskBot, item: OutboxItem) -> OutboxOutcome:
    """Write in the thread that the user was warned of the auto-close.

    Raises:
        NotYet: the thread is not there yet.
        discord.HTTPException: Discord failed.
    """
    found = await _thread(bot, item)
    if found is None:
        return OutboxOutcome.SKIPPED
    text = closing_line(int(item.payload["close_at_us"]))
    await send_once(found[1], item, content=text, allowed_mentions=MENTIONS_NONE)
    return OutboxOutcome.SENT


async def deliver_sla(bot: TokendeskBot, item: OutboxItem) -> OutboxOutcome:
    """The ticket's one SLA reminder, pinging the support role (and only it).

    Raises:
        NotYet: the thread is not there yet.
        discord.HTTPException: Discord failed.
    """
    found = await _thread(bot, item)
    if found is None:
        return OutboxOutcome.SKIPPED
    role_id = await support_role_id(bot)
    payload = item.payload
    text = sla_line(
        f"<@&{role_id}>" if role_id else None, int(payload["created_us"]), payload["sla_hours"]
    )
    pings = discord.AllowedMentions(
        everyone=False, users=False, roles=[discord.Object(role_id)] if role_id else False
    )
    await send_once(found[1], item, content=text, allowed_mentions=pings)
    return OutboxOutcome.SENT


async def support_role_id(bot: TokendeskBot) -> int | None:
    """The support role's id: the setting's digits, or the role of that name in the
    support server (from the cache, or asked of Discord when another process's shard
    holds the server)."""
    settings = bot.services.settings
    wanted = (settings.support_role or "").strip()
    if not wanted or settings.guild_id is None:
        return None
    if wanted.isdigit():
        return int(wanted)
    guild = bot.get_guild(settings.guild_id)
    if guild is not None:
        role = discord.utils.get(guild.roles, name=wanted)
        return role.id if role is not None else None
    try:
        roles = await bot.http.get_roles(settings.guild_id)
    except discord.HTTPException:
        log.warning("cannot read the support server's roles to mention the support role")
        return None
    return next((int(r["id"]) for r in roles if r["name"] == wanted), None)
