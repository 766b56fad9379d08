"""Embeds about tickets: opened, refused, decided, queues, statistics."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.style import BAD, BRAND, GOOD, WARN, clip, safe, when
from bot.words import tokens
from diagnostics.desk import Stats
from ledger import Ticket, TicketCategory, TicketState

__all__ = [
    "decision_notice",
    "queue_embed",
    "stats_embed",
    "ticket_embed",
    "tickets_embed",
]

CATEGORY_NAMES: dict[TicketCategory, str] = {
    TicketCategory.REFUND: "refund",
    TicketCategory.MISSING_TOKENS: "missing tokens",
    TicketCategory.NOT_REFRESHING: "tokens not refreshing",
    TicketCategory.BILLING: "billing",
    TicketCategory.OTHER: "other",
}
STATE_NAMES: dict[TicketState, str] = {
    TicketState.OPEN: "open, waiting for the support team",
    TicketState.CLAIMED: "being looked at",
    TicketState.APPROVED: "approved",
    TicketState.DENIED: "denied",
    TicketState.CLOSED: "closed",
}
STATE_CHOICES = [app_commands.Choice(name=state.value, value=state.value) for state in TicketState]
CATEGORY_CHOICES = [
    app_commands.Choice(name=CATEGORY_NAMES[category], value=category.value)
    for category in TicketCategory
]


def ticket_embed(ticket: Ticket, *, for_staff: bool = False) -> discord.Embed:
    """One ticket: what it is about, its state, and (for staff) the answers given."""
    colour = {"approved": GOOD, "denied": BAD}.get(ticket.state, BRAND)
    embed = discord.Embed(
        title=f"Ticket #{ticket.id}: {CATEGORY_NAMES[ticket.category]}", colour=colour
    )
    embed.add_field(name="State", value=STATE_NAMES[ticket.state])
    embed.add_field(name="Opened", value=when(ticket.created_us))
    if ticket.generation_id:
        embed.add_field(
            name="Generation",
            value=f"`{safe(ticket.generation_id, 140)}`, {tokens(ticket.tokens)} tokens",
            inline=False,
        )
    if ticket.details:
        embed.add_field(name="Details", value=safe(ticket.details, 1000), inline=False)
    if for_staff and ticket.failure_reason:  # the platform's words, kept to 1,000 characters
        embed.add_field(
            name="Why it failed (platform)", value=safe(ticket.failure_reason, 1024), inline=False
        )
    if for_staff:
        embed.add_field(name="User", value=f"<@{ticket.user_id}>")
        if ticket.claimed_by:
            embed.add_field(name="Claimed by", value=safe(ticket.claimed_by, 80))
        if ticket.answers:
            lines = [f"{safe(q, 120)}: {safe(a, 120)}" for q, a in ticket.answers]
            embed.add_field(
                name="Troubleshooter answers", value=clip("\n".join(lines), 1024), inline=False
            )
    if ticket.decision_reason:
        embed.add_field(name="Reason", value=safe(ticket.decision_reason, 1000), inline=False)
    if ticket.refunded:
        embed.add_field(name="Refunded", value=f"{tokens(ticket.refunded)} tokens")
    return embed


def decision_notice(ticket: Ticket) -> discord.Embed:
    """What the user is told when their ticket is decided."""
    if ticket.state == "approved":
        embed = discord.Embed(title=f"Refund approved: ticket #{ticket.id}", colour=GOOD)
        gid = safe(ticket.generation_id or "", 140)
        embed.description = (
            f"{tokens(ticket.refunded)} tokens for generation `{gid}` "
            "are back in the buckets they came from."
        )
    else:
        embed = discord.Embed(title=f"Refund denied: ticket #{ticket.id}", colour=WARN)
        reason = safe(ticket.decision_reason or "no reason given", 1000)
        embed.description = (
            f"The support team decided not to refund this generation.\nReason: {reason}"
        )
    return embed


def tickets_embed(tickets: list[Ticket], notices: list[Ticket]) -> discord.Embed:
    """`/tickets`: the user's own tickets, and decisions they have not been told about."""
    embed = discord.Embed(title="Your tickets", colour=BRAND)
    if notices:
        news = [
            f"#{t.id} was **{t.state}**"
            + (f" ({tokens(t.refunded)} tokens back)" if t.refunded else "")
            for t in notices
        ]
        embed.add_field(name="New since you last looked", value="\n".join(news), inline=False)
    if not tickets:
        embed.description = "You have no tickets. `/refund` or `/troubleshoot` can open one."
        return embed
    lines = [
        f"**#{t.id}** {CATEGORY_NAMES[t.category]}: {STATE_NAMES[t.state]}"
        + (f", `{safe(t.generation_id, 60)}`" if t.generation_id else "")
        for t in tickets
    ]
    embed.description = clip("\n".join(lines), 4096)
    return embed


def queue_embed(tickets: list[Ticket], now_us: int) -> discord.Embed:
    """`/ticket queue`: oldest first, with each ticket's age."""
    embed = discord.Embed(title="Ticket queue", colour=BRAND)
    if not tickets:
        embed.description = "Nothing waiting."
        return embed
    lines = []
    for t in tickets:
        age = _age(now_us - t.created_us)
        who = f", claimed by {safe(t.claimed_by, 40)}" if t.claimed_by else ""
        lines.append(f"**#{t.id}** {CATEGORY_NAMES[t.category]}, {t.state}, {age} old{who}")
    embed.description = clip("\n".join(lines), 4096)
    return embed


def _age(us: int) -> str:
    minutes = max(0, us) // 60_000_000
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes // (24 * 60)} days"


def stats_embed(stats: Stats) -> discord.Embed:
    """`/ticket stats`: counts, refunded tokens, median times."""
    embed = discord.Embed(title=f"Tickets, last {stats.days} days", colour=BRAND)
    by_cat = "\n".join(f"{CATEGORY_NAMES[k]}: {v}" for k, v in sorted(stats.by_category.items()))
    by_state = "\n".join(f"{k}: {v}" for k, v in sorted(stats.by_state.items()))
    embed.add_field(name="By category", value=by_cat or "none")
    embed.add_field(name="By state", value=by_state or "none")
    embed.add_field(name="Refunded", value=f"{tokens(stats.refunded_tokens)} tokens")
    first = stats.median_first_response_us
    done = stats.median_resolution_us
    embed.add_field(name="Median first response", value=_age(first) if first is not None else "-")
    embed.add_field(name="Median resolution", value=_age(done) if done is not None else "-")
    return embed
