"""Embeds for `/why` (how the balance moved) and `/usage` (use per day, models, forecast)."""

from __future__ import annotations

import discord

from bot.account.chart import CHART_FILENAME, DayBar
from bot.explanations import change_sentence, forecast_sentence, totals_sentence
from bot.style import BRAND, clip, safe, when
from bot.words import duration, tokens
from ledger import FORECAST_DAYS, Cause, UsageReport, WhyReport

__all__ = ["DESCRIPTION_BUDGET", "TOP_MODELS", "chart_days", "usage_embed", "why_embed"]

DESCRIPTION_BUDGET = 3_600
"""Characters of an embed description the changes may fill (Discord allows 4,096)."""
TOP_MODELS = 5
_CAUSE_NAMES = {
    "daily_grant": "daily grants",
    "daily_expiry": "daily tokens expired",
    "monthly_grant": "monthly grants",
    "rollover": "moved to the rollover bank",
    "rollover_cap": "lost to the rollover cap",
    "plan_end": "expired when the plan ended",
    "charge": "generations",
    "refund": "refunds",
    "adjustment": "moderator adjustments",
    "api_credits": "API credits added",
}


def _signed(n: int) -> str:
    return f"{n:+,}" if n else "0"


def why_embed(report: WhyReport, hours: int) -> discord.Embed:
    """`/why`: the totals, then each change largest first; a long answer is summarised.

    Every change fits while it can; past the budget, the embed says how many more there
    are, and the "In all" field still sums every cause, so nothing is left unaccounted.
    """
    embed = discord.Embed(title=f"Why your balance moved: the last {_span(hours)}", colour=BRAND)
    lines = [totals_sentence(report, when), ""]
    used = len(lines[0])
    shown = 0
    for change in report.changes:
        due = " *(due, recorded at your next activity)*" if change.pending else ""
        line = f"`{_signed(change.amount):>8}` {change_sentence(change, when, show=safe)}{due}"
        if used + len(line) + 1 > DESCRIPTION_BUDGET:
            break
        lines.append(line)
        used += len(line) + 1
        shown += 1
    if not report.changes:
        lines.append("Nothing changed your tokens in that time.")
    more = len(report.changes) - shown
    if more:
        lines.append(f"… and {more:,} more, smaller changes (summed below).")
    embed.description = clip("\n".join(lines), 4096)
    if report.causes:
        embed.add_field(name="In all", value=clip(_causes(report.causes), 1024), inline=False)
    return embed


def _span(hours: int) -> str:
    return duration(hours * 3_600_000_000)


def _causes(causes: tuple[Cause, ...]) -> str:
    lines = []
    for cause in causes:
        unit = "API credits" if cause.pool == "api" else "tokens"
        name = _CAUSE_NAMES.get(cause.cause.value, cause.cause.value)
        times = f" ({cause.count:,}x)" if cause.count > 1 else ""
        lines.append(f"{name}{times}: {_signed(cause.amount)} {unit}")
    return "\n".join(lines)


def chart_days(report: UsageReport) -> list[DayBar]:
    """The report's days, as the chart draws them."""
    return [DayBar(d.day, d.tokens, d.relaxed, d.api_credits) for d in report.days]


def usage_embed(report: UsageReport, total: int, *, free: bool, chart: bool) -> discord.Embed:
    """`/usage`: the chart (attached), the period's sums, the top models, the forecast."""
    days = len(report.days)
    embed = discord.Embed(title=f"Your use over the last {days} days", colour=BRAND)
    spent = sum(d.tokens for d in report.days)
    api = sum(d.api_credits for d in report.days)
    relaxed = sum(d.relaxed for d in report.days)
    generations = sum(d.generations for d in report.days)
    parts = [f"**{tokens(spent)}** tokens over {generations:,} generations"]
    if relaxed:
        parts.append(f"{tokens(relaxed)} more ran in relaxed mode, free")
    if api:
        parts.append(f"{tokens(api)} API credits")
    text = "; ".join(parts) + " (UTC days, refunds taken off)."
    embed.description = f"{text}\n\n{forecast_sentence(report.forecast, total, when, free=free)}"
    if report.by_model:
        lines = []
        for model in report.by_model[:TOP_MODELS]:
            name = safe(model.model, 60) if model.model else "*not given*"
            credits = f", {tokens(model.api_credits)} API credits" if model.api_credits else ""
            lines.append(
                f"{name}: {tokens(model.tokens)} tokens{credits}, {model.generations:,} generations"
            )
        embed.add_field(name="Top models", value=clip("\n".join(lines), 1024), inline=False)
    if chart:
        embed.set_image(url=f"attachment://{CHART_FILENAME}")
    embed.set_footer(text=f"The pace is your use over the last {FORECAST_DAYS} full days.")
    return embed
