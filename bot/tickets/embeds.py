"""Embeds about tickets: one ticket (for its user or the triage channel), decisions, lists."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.paging import page_footer
from bot.style import BAD, BRAND, GOOD, WARN, clip, safe, when
from bot.words import tokens
from diagnostics.desk import Page
from diagnostics.desk_topics import SYSTEM, SYSTEM_NO_ANSWER
from ledger import Ticket, TicketCategory, TicketReply, TicketSide, TicketState

__all__ = [
    "CATEGORY_NAMES",
    "STATE_NAMES",
    "age",
    "decision_notice",
    "queue_embed",
    "ticket_embed",
    "tickets_embed",
    "who",
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
OVERDUE_MARK = "\N{ALARM CLOCK} overdue"


def who(actor: str | None) -> str:
    """Who did something, for staff: a Discord person as a mention, the system in words.

    A mention in an embed or a message sent without pings shows the person's name and
    notifies nobody.
    """
    if not actor:
        return "nobody"
    kind, _, rest = actor.partition(":")
    if kind in ("discord", "user") and rest.isdigit():
        return f"<@{rest}>"
    if actor in (SYSTEM, SYSTEM_NO_ANSWER):
        return "the system"
    return safe(actor, 80)


def age(us: int) -> str:
    """A span as a rough age: '5 min', '3 h 20 min', '4 days'."""
    minutes = max(0, us) // 60_000_000
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes // (24 * 60)} days"


def _waiting(ticket: Ticket) -> str:
    if ticket.last_reply_by is TicketSide.STAFF and ticket.last_reply_us is not None:
        return f"on the user since {_relative(ticket.last_reply_us)}"
    since = ticket.last_reply_us if ticket.last_reply_by is TicketSide.USER else None
    return f"on the support team since {_relative(since or ticket.created_us)}"


def _relative(us: int) -> str:
    return f"<t:{us // 1_000_000}:R>"


def ticket_embed(
    ticket: Ticket, *, for_staff: bool = False, now_us: int | None = None, sla_us: int = 0
) -> discord.Embed:
    """One ticket: what it is about and its state; for staff, who is on it and how long
    it has waited, the answers given, and (with `now_us`) whether it is overdue."""
    colour = {"approved": GOOD, "denied": BAD}.get(ticket.state, BRAND)
    overdue = now_us is not None and ticket.overdue(now_us, sla_us)
    title = f"Ticket #{ticket.id}: {CATEGORY_NAMES[ticket.category]}"
    embed = discord.Embed(title=title, colour=WARN if overdue else colour)
    embed.add_field(name="State", value=STATE_NAMES[ticket.state])
    embed.add_field(name="Opened", value=when(ticket.created_us))
    if for_staff:
        embed.add_field(name="User", value=f"<@{ticket.user_id}>")
        if ticket.claimed_by:
            embed.add_field(name="Claimed by", value=who(ticket.claimed_by))
        if ticket.open:
            mark = f"\n**{OVERDUE_MARK}**: no response yet" if overdue else ""
            embed.add_field(name="Waiting", value=_waiting(ticket) + mark, inline=False)
        elif ticket.resolved_us is not None:
            embed.add_field(
                name="Resolved",
                value=f"{_relative(ticket.resolved_us)} by {who(ticket.decided_by)}",
            )
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
    if for_staff and ticket.answers:
        lines = [f"{safe(q, 120)}: {safe(a, 120)}" for q, a in ticket.answers]
        embed.add_field(
            name="Troubleshooter answers", value=clip("\n".join(lines), 1024), inline=False
        )
    if ticket.decision_reason:
        embed.add_field(name="Reason", value=safe(ticket.decision_reason, 1000), inline=False)
    if ticket.refunded:
        embed.add_field(name="Refunded", value=f"{tokens(ticket.refunded)} tokens")
    if for_staff and ticket.rating is not None:
        embed.add_field(name="Rating", value=f"{ticket.rating}/5")
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


def tickets_embed(
    page: Page[Ticket], notices: list[Ticket], replies: list[TicketReply] = ()
) -> discord.Embed:
    """`/tickets`: the user's own tickets, decisions they have not been told about, and
    messages from the support team that could not reach them by DM."""
    embed = discord.Embed(title="Your tickets", colour=BRAND)
    if notices:
        news = [
            f"#{t.id} was **{t.state}**"
            + (f" ({tokens(t.refunded)} tokens back)" if t.refunded else "")
            for t in notices
        ]
        embed.add_field(name="New since you last looked", value="\n".join(news), inline=False)
    for reply in list(replies)[:5]:
        embed.add_field(
            name=f"Message from the support team about #{reply.ticket_id}",
            value=clip(reply.text, 1024),  # the support team's words; an embed pings nobody
            inline=False,
        )
    if not page.items:
        embed.description = "You have no tickets. `/refund` or `/troubleshoot` can open one."
        return embed
    lines = [
        f"**#{t.id}** {CATEGORY_NAMES[t.category]}: {STATE_NAMES[t.state]}"
        + (f", `{safe(t.generation_id, 60)}`" if t.generation_id else "")
        for t in page.items
    ]
    embed.description = clip("\n".join(lines), 4096)
    embed.set_footer(text=page_footer(page, "ticket", "tickets"))
    return embed


def queue_embed(page: Page[Ticket], now_us: int, sla_us: int) -> discord.Embed:
    """`/ticket queue`: overdue tickets first (marked), then oldest, each with its age."""
    embed = discord.Embed(title="Ticket queue", colour=BRAND)
    if not page.items:
        embed.description = "Nothing waiting."
        embed.set_footer(text=page_footer(page, "ticket", "tickets"))
        return embed
    lines = []
    for t in page.items:
        who_has = f", claimed by {who(t.claimed_by)}" if t.claimed_by else ""
        mark = f" · **{OVERDUE_MARK}**" if t.overdue(now_us, sla_us) else ""
        lines.append(
            f"**#{t.id}** {CATEGORY_NAMES[t.category]}, {t.state}, "
            f"{age(now_us - t.created_us)} old{who_has}{mark}"
        )
    if any(t.overdue(now_us, sla_us) for t in page.items):
        embed.colour = WARN
    embed.description = clip("\n".join(lines), 4096)
    embed.set_footer(text=page_footer(page, "ticket", "tickets"))
    return embed
