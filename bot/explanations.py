"""Why a balance moved, and usage, in plain words: shared by the command line and Discord.

Times are formatted by the caller (`when`): ISO 8601 on the command line, Discord
timestamps in embeds.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.words import BUCKET_NAMES, tokens
from ledger import FORECAST_DAYS, Change, ChangeCause, Forecast, WhyReport

__all__ = ["change_sentence", "forecast_sentence", "totals_sentence"]

When = Callable[[int], str]


def _generation(change: Change) -> str:
    ref = change.reference or "a generation"
    gen = change.generation
    if gen is None:
        return ref
    parts = [part for part in (gen.model,) if part]
    if gen.width and gen.height:
        parts.append(f"{gen.width}x{gen.height}")
    return f"{ref} ({', '.join(parts)})" if parts else ref


def _unit(change: Change) -> str:
    return "API credits" if change.pool == "api" else "tokens"


def _buckets(change: Change) -> str:
    names = [BUCKET_NAMES.get(bucket, bucket) for bucket in change.buckets]
    if not names or change.pool == "api":
        return "API credits"
    joined = " and ".join(dict.fromkeys(names))
    return f"{joined} tokens"


def change_sentence(change: Change, when: When, *, show: Callable[[str], str] = str) -> str:
    """One change as a sentence.

    Args:
        change: what moved.
        when: formats an instant.
        show: makes outside text (ids, reasons) safe for where it is shown.
    """
    n = tokens(abs(change.amount))
    at = when(change.at_us)
    cause = change.cause
    if cause is ChangeCause.CHARGE:
        return f"{show(_generation(change))} cost {n} {_unit(change)}."
    if cause is ChangeCause.REFUND:
        ref = show(change.reference or "a refund")
        who = f"Ticket {ref}" if ref.startswith("#") else f"Refund {ref}"
        return f"{who} returned {n} to your {_buckets(change)}."
    if cause is ChangeCause.DAILY_EXPIRY:
        return f"At {at} your {n} daily tokens expired unused."
    if cause is ChangeCause.DAILY_GRANT:
        return f"At {at} you got {n} daily tokens."
    if cause is ChangeCause.MONTHLY_GRANT:
        return f"At {at} your plan granted {n} monthly tokens."
    if cause is ChangeCause.ROLLOVER:
        return (
            f"At your renewal ({at}) {tokens(change.moved)} unspent monthly tokens "
            "moved to your rollover bank."
        )
    if cause is ChangeCause.ROLLOVER_CAP:
        return f"{n} rollover tokens were lost to the bank's cap at your renewal ({at})."
    if cause is ChangeCause.PLAN_END:
        return f"Your paid plan ended at {at}: {n} monthly and rollover tokens expired."
    if cause is ChangeCause.API_CREDITS:
        return f"At {at} {n} API credits were added."
    sign = "added" if change.amount >= 0 else "took"
    reason = f" ({show(change.note)})" if change.note else ""
    return f"A moderator {sign} {n} {_unit(change)}{reason}."


def totals_sentence(report: WhyReport, when: When) -> str:
    """Where the balance started and where it is now."""
    text = (
        f"You had {tokens(report.total_before)} tokens at {when(report.from_us)} "
        f"and have {tokens(report.total_after)} now."
    )
    if report.api_before or report.api_after:
        text += f" API credits: {tokens(report.api_before)} then, {tokens(report.api_after)} now."
    if report.relaxed_tokens:
        text += (
            f" {tokens(report.relaxed_tokens)} tokens of generations ran in relaxed mode "
            "and cost nothing."
        )
    return text


def forecast_sentence(forecast: Forecast, total: int, when: When, *, free: bool) -> str:
    """The run-out forecast in words."""
    grant = "your next daily tokens" if free else "your renewal"
    if total <= 0:
        return "You have no tokens left to spend until " + grant + "."
    if forecast.runs_out_us is None:
        return (
            f"You used no tokens in the last {FORECAST_DAYS} full days, "
            "so there is no run-out to forecast."
        )
    pace = tokens(round(forecast.pace_per_day))
    order = "before" if forecast.before_next_grant else "after"
    return (
        f"At your pace of the last {FORECAST_DAYS} days ({pace} tokens a day) you run out "
        f"{when(forecast.runs_out_us)}, {order} {grant}."
    )
