"""Embeds for `/cost` and `/plans`."""

from __future__ import annotations

import discord

from bot.outcomes import refusal_text
from bot.style import BAD, BRAND, safe
from bot.words import tokens
from ledger import Balance, Catalogue, PricingTable, Quote, Refusal

__all__ = ["cost_embed", "plans_embed"]

_PART = {
    "base": "Model",
    "resolution": "Resolution",
    "alchemy": "Alchemy",
    "photoreal": "PhotoReal",
}


def cost_embed(result: Quote | Refusal, table: PricingTable) -> discord.Embed:
    """`/cost`: the price of the settings, with its breakdown, or why they cannot be priced."""
    if isinstance(result, Refusal):
        return discord.Embed(
            title="Those settings cannot be priced",
            colour=BAD,
            description=refusal_text(result, table),
        )
    q = result
    extras = [name for name, on in (("Alchemy", q.alchemy), ("PhotoReal", q.photoreal)) if on]
    settings = f"{safe(q.model.name, 80)}, {q.width} x {q.height}"
    if extras:
        settings += ", " + " and ".join(extras)
    embed = discord.Embed(title=f"{tokens(q.total)} tokens", colour=BRAND)
    each = f"{tokens(q.per_image)} tokens per image x {q.count}" if q.count > 1 else ""
    embed.description = settings + (f"\n{each}" if each else "")
    lines = [f"{_PART[line.part]}: {tokens(line.tokens)}" for line in q.breakdown]
    embed.add_field(name="Per image", value="\n".join(lines) or "-", inline=False)
    embed.set_footer(text="Web generations spend tokens; API generations spend API credits.")
    return embed


def plans_embed(catalogue: Catalogue, balance: Balance | None) -> discord.Embed:
    """`/plans`: every plan, and what upgrading would give right now."""
    embed = discord.Embed(title="Plans", colour=BRAND)
    current = catalogue[balance.plan] if balance is not None else None
    for plan in catalogue.ordered():
        price = "free" if not plan.price_cents else f"${plan.price_cents / 100:.0f}/month"
        if plan.paid:
            body = (
                f"{tokens(plan.monthly)} tokens a month, rollover bank up to "
                f"{tokens(plan.rollover_cap)}, relaxed mode {'included' if plan.relaxed else 'no'}"
            )
        else:
            daily = tokens(catalogue.daily_allowance)
            body = f"{daily} tokens every day at 00:00 UTC; they do not carry over"
        if current is not None and plan.id == current.id:
            body += "\n**Your plan.**"
        elif current is not None and plan.paid and plan.monthly > current.monthly:
            now = plan.monthly - current.monthly if current.paid else plan.monthly
            body += f"\nUpgrading now adds **{tokens(now)}** tokens at once"
            body += "; your renewal date stays." if current.paid else "; your cycle starts now."
        embed.add_field(name=f"{plan.name} ({price})", value=body, inline=False)
    embed.set_footer(text="Tokens cannot be bought in packs, transferred or gifted.")
    return embed
