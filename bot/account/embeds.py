"""Embeds about a person's own account: balance, resets, rollover, relaxed, history, linking."""

from __future__ import annotations

import discord

from bot.outcomes import link_text
from bot.style import BAD, BRAND, GOOD, WARN, clip, safe, when
from bot.words import cap_ratio, describe_row, duration, plan_name, tokens
from ledger import LINK_CODE_TTL_US, Balance, Catalogue, HistoryRow, LinkResult, from_us

__all__ = [
    "balance_embed",
    "history_embed",
    "link_embed",
    "not_linked_embed",
    "relaxed_embed",
    "reset_embed",
    "rollover_embed",
]

NEVER_OWED = (
    "You ran out of tokens and kept generating in relaxed mode. The minus figure counts "
    "those relaxed tokens since 00:00 UTC; it is never owed and never deducted."
)


def not_linked_embed() -> discord.Embed:
    """What an unlinked user sees instead of an error (codes last `LINK_CODE_TTL_US`)."""
    return _not_linked(duration(LINK_CODE_TTL_US))


def _not_linked(ttl: str) -> discord.Embed:
    """What an unlinked user sees instead of an error."""
    embed = discord.Embed(title="Link your account first", colour=WARN)
    embed.description = (
        "tokendesk does not know which platform account is yours yet.\n"
        "1. Open your account settings on the platform and ask for a Discord link code.\n"
        f"2. Type `/link code:` followed by the code here. Codes work once, for {ttl}."
    )
    return embed


def _status_line(b: Balance, catalogue: Catalogue) -> str | None:
    if b.status == "past_due":
        return (
            "**Payment past due.** Renewals do not grant monthly tokens until the payment "
            f"goes through; the daily top-up to {tokens(catalogue.daily_allowance)} still comes."
        )
    return None


def balance_embed(b: Balance, catalogue: Catalogue) -> discord.Embed:
    """`/balance`: tokens per bucket and total, API credits apart, plan, relaxed state."""
    embed = discord.Embed(title="Your tokens", colour=BRAND)
    if b.display_total < 0:
        embed.description = f"**{tokens(b.display_total)}** tokens (relaxed mode)\n{NEVER_OWED}"
    else:
        embed.description = f"**{tokens(b.total)}** tokens to spend"
    status = _status_line(b, catalogue)
    if status:
        embed.description += "\n\n" + status
    embed.add_field(name="Daily", value=tokens(b.daily))
    embed.add_field(name="Monthly", value=tokens(b.monthly))
    cap = f" of {tokens(b.rollover_cap)}" if b.rollover_cap else ""
    embed.add_field(name="Rollover bank", value=f"{tokens(b.rollover)}{cap}")
    embed.add_field(name="Plan", value=plan_name(b.plan, catalogue))
    embed.add_field(name="Relaxed", value=_relaxed_short(b))
    embed.add_field(
        name="API credits (separate pool)",
        value=f"{tokens(b.api_credits)} credits, used only by API generations, not tokens",
        inline=False,
    )
    embed.set_footer(text="Spending order: daily, then monthly, then the rollover bank.")
    return embed


def _relaxed_short(b: Balance) -> str:
    if not b.relaxed_eligible:
        return "not on this plan" if b.status == "active" else "paused while past due"
    return "active" if b.relaxed_active else "ready if tokens run out"


def reset_embed(b: Balance, catalogue: Catalogue) -> discord.Embed:
    """`/reset`: the next daily reset and the next renewal, and what each will do."""
    embed = discord.Embed(title="Your next resets", colour=BRAND)
    daily = b.daily_preview
    if daily.expires and daily.sets_to:
        does = f"{tokens(daily.expires)} daily tokens expire; you get {tokens(daily.sets_to)}."
    elif daily.sets_to:
        does = f"You get {tokens(daily.sets_to)} daily tokens."
    elif daily.expires:
        does = f"{tokens(daily.expires)} daily tokens expire; no top-up is needed."
    else:
        floor = tokens(catalogue.daily_allowance)
        does = f"Nothing changes: you have {floor} or more tokens, so no top-up is needed."
    embed.add_field(name="Daily reset", value=f"{when(daily.at_us)}\n{does}", inline=False)
    renewal = b.renewal_preview
    if renewal is None:
        embed.add_field(
            name="Renewal", value="None: the free plan has no billing cycle.", inline=False
        )
    else:
        embed.add_field(
            name="Renewal",
            value=f"{when(renewal.at_us)}\n{_renewal_does(b, catalogue)}",
            inline=False,
        )
    return embed


def _renewal_does(b: Balance, catalogue: Catalogue) -> str:
    r = b.renewal_preview
    assert r is not None
    if r.ends_plan:
        return (
            f"Your plan ends and you move to Free: {tokens(r.rollover_expires)} monthly and "
            f"rollover tokens expire, and your daily tokens are set to "
            f"{tokens(catalogue.daily_allowance)}."
        )
    parts = []
    if r.plan_after != b.plan:
        parts.append(f"Your plan changes to {plan_name(r.plan_after, catalogue)}.")
    parts.append(f"{tokens(r.rolls_over)} unspent monthly tokens roll over.")
    if r.rollover_expires:
        parts.append(f"{tokens(r.rollover_expires)} expire over the bank's cap.")
    if r.withheld:
        parts.append("No new monthly tokens until your payment goes through.")
    else:
        parts.append(f"You get {tokens(r.grant)} new monthly tokens.")
    return " ".join(parts)


def rollover_embed(b: Balance, catalogue: Catalogue) -> discord.Embed:
    """`/rollover`: the bank, its cap, and what will roll over at renewal."""
    embed = discord.Embed(title="Your rollover bank", colour=BRAND)
    r = b.renewal_preview
    if r is None:
        embed.description = (
            "The free plan has no rollover bank: daily tokens expire at 00:00 UTC. "
            "Paid plans keep unspent monthly tokens in a bank with a cap (see `/plans`)."
        )
        return embed
    embed.add_field(name="In the bank", value=tokens(b.rollover))
    ratio = cap_ratio(catalogue[b.plan])
    note = f" ({ratio} monthly)" if ratio else ""
    embed.add_field(name="Cap", value=f"{tokens(b.rollover_cap)}{note}")
    text = f"At {when(r.at_us)}: {_renewal_does(b, catalogue)}"
    if b.rollover > b.rollover_cap:
        text += " The bank is over its cap after a refund; the cap applies at renewal."
    embed.add_field(name="At renewal", value=clip(text, 1024), inline=False)
    embed.set_footer(text="Rollover tokens are spent only after daily and monthly are empty.")
    return embed


def relaxed_embed(b: Balance) -> discord.Embed:
    """`/relaxed`: eligible or not, active or not, relaxed usage today."""
    embed = discord.Embed(title="Relaxed mode", colour=GOOD if b.relaxed_active else BRAND)
    if not b.relaxed_eligible:
        why = (
            "Your plan does not include relaxed mode (Artisan and Maestro do)."
            if b.status == "active"
            else "Relaxed mode is paused while a payment is past due."
        )
        embed.description = why + " When tokens run out, generations wait for the next reset."
    elif b.relaxed_active:
        embed.description = (
            "**Active.** You are out of tokens, so generations run slower and cost nothing. "
            f"It ends at the daily top-up, {when(b.next_daily_reset_us)}."
        )
    else:
        embed.description = (
            "**Ready.** It switches on by itself once daily, monthly and rollover tokens "
            "are all spent. It cannot be switched on by hand."
        )
    embed.add_field(name="Relaxed usage today", value=f"{tokens(b.relaxed_used_today)} tokens")
    if b.display_total < 0:
        embed.add_field(name="Shown balance", value=f"{tokens(b.display_total)}")
        embed.set_footer(text="The negative balance is informational: it is never owed.")
    return embed


def history_embed(rows: list[HistoryRow], footer: str | None = None) -> discord.Embed:
    """`/history`: journal rows in plain words, newest first (`footer`: which page)."""
    embed = discord.Embed(title="What moved your tokens", colour=BRAND)
    if footer:
        embed.set_footer(text=footer)
    if not rows:
        embed.description = "Nothing yet."
        return embed
    lines = []
    for row in rows:
        due = " (due, recorded at your next activity)" if row.pending else ""
        text = safe(describe_row(row), 300)
        lines.append(f"{discord.utils.format_dt(from_us(row.at_us), 'R')} {text}{due}")
    embed.description = clip("\n".join(lines), 4096)
    return embed


def link_embed(result: LinkResult) -> discord.Embed:
    """`/link`: what redeeming the code did."""
    title, text = link_text(result)
    colour = GOOD if result.outcome == "linked" else BAD
    return discord.Embed(title=title, colour=colour, description=text)
