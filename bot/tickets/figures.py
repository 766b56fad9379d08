"""`/ticket stats` in words: counts, refunds, response and resolution times, ratings, SLA."""

from __future__ import annotations

import discord

from bot.style import BRAND
from bot.tickets.embeds import CATEGORY_NAMES, age
from bot.words import tokens
from diagnostics.desk import Stats

__all__ = ["rating_text", "stats_embed"]


def _span(us: int | None) -> str:
    return age(us) if us is not None else "-"


def rating_text(stats: Stats) -> str:
    """'12 ratings, average 4.3 out of 5' (or that there are none yet)."""
    if not stats.ratings or stats.rating_average is None:
        return "none yet"
    noun = "rating" if stats.ratings == 1 else "ratings"
    return f"{stats.ratings:,} {noun}, average {stats.rating_average:.1f} out of 5"


def stats_embed(stats: Stats, sla_hours: int) -> discord.Embed:
    """`/ticket stats`: the window's tickets by category and state, and how they went."""
    embed = discord.Embed(title=f"Tickets, last {stats.days} days", colour=BRAND)
    by_cat = "\n".join(f"{CATEGORY_NAMES[k]}: {v}" for k, v in sorted(stats.by_category.items()))
    by_state = "\n".join(f"{k}: {v}" for k, v in sorted(stats.by_state.items()))
    embed.add_field(name="By category", value=by_cat or "none")
    embed.add_field(name="By state", value=by_state or "none")
    embed.add_field(name="Refunded", value=f"{tokens(stats.refunded_tokens)} tokens")
    embed.add_field(name="Median first response", value=_span(stats.median_first_response_us))
    embed.add_field(name="90th percentile first response", value=_span(stats.p90_first_response_us))
    embed.add_field(name="Median resolution", value=_span(stats.median_resolution_us))
    embed.add_field(name="90th percentile resolution", value=_span(stats.p90_resolution_us))
    embed.add_field(name="Ratings", value=rating_text(stats))
    embed.add_field(
        name=f"Overdue (no response within {sla_hours} h)",
        value=f"{stats.overdue:,} in all, {stats.overdue_open:,} still waiting",
    )
    return embed
