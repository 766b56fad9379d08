"""Use per day, by model, and when tokens run out at the recent pace (pure).

Usage is counted from the generations charged: what a charge took, less what was
refunded of it, on the UTC day it was charged. Refused charges are not usage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from ledger.cycles import DAY_US, from_us

__all__ = ["FORECAST_DAYS", "DayUse", "Forecast", "ModelUse", "UsageReport", "UsedGeneration"]

FORECAST_DAYS = 7
"""The pace is the use of this many full UTC days before today, per day."""
LAST_INSTANT_US = 253_402_214_400_000_000
"""9999-12-31 00:00 UTC: a run-out further away (a huge balance, a tiny pace) is shown as
this, the last day a date can name, instead of overflowing every calendar."""


class UsedGeneration(NamedTuple):
    """A charged generation as usage counts it."""

    charged_us: int
    tokens: int
    """Tokens its charge deducted (daily + monthly + rollover)."""
    api: int
    relaxed: int
    refunded: bool
    refused: bool
    model: str | None


@dataclass(frozen=True, slots=True)
class DayUse:
    """One UTC day's use."""

    day: date
    tokens: int
    api_credits: int
    relaxed: int
    generations: int


@dataclass(frozen=True, slots=True)
class ModelUse:
    """One model's use over the window (`model` is None when the platform named none)."""

    model: str | None
    tokens: int
    api_credits: int
    generations: int


@dataclass(frozen=True, slots=True)
class Forecast:
    """When the spendable total reaches 0 at the recent pace, counting no grant in between.

    Attributes:
        pace_per_day: tokens used over the last `FORECAST_DAYS` full UTC days, per day.
        runs_out_us: when the total reaches 0; None when the pace is 0 or the total is 0.
        next_grant_us: the next daily grant (free) or the next renewal (paid).
        before_next_grant: whether the run-out comes before that grant.
    """

    pace_per_day: float
    runs_out_us: int | None
    next_grant_us: int | None
    before_next_grant: bool


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Use per day (oldest first), by model (largest first), and the forecast."""

    account_id: str
    days: tuple[DayUse, ...]
    by_model: tuple[ModelUse, ...]
    forecast: Forecast


def window_start_us(now_us: int, days: int) -> int:
    """The first instant counted: 00:00 UTC of the first of the last `days` days."""
    today = now_us // DAY_US * DAY_US
    return today - (days - 1) * DAY_US


def query_start_us(now_us: int, days: int) -> int:
    """The earliest charge the report needs: the window or the pace's days, if earlier."""
    today = now_us // DAY_US * DAY_US
    return min(window_start_us(now_us, days), today - FORECAST_DAYS * DAY_US)


def summarise(
    account_id: str,
    generations: Sequence[UsedGeneration],
    now_us: int,
    days: int,
    total: int,
    next_grant_us: int | None,
) -> UsageReport:
    """The usage report of an account.

    Args:
        account_id: the account.
        generations: its charges since `query_start_us(now_us, days)`.
        now_us: the present.
        days: how many UTC days to show, today included.
        total: the spendable total now (due resets included).
        next_grant_us: the next daily grant (free) or renewal (paid).
    """
    start = window_start_us(now_us, days)
    today = now_us // DAY_US * DAY_US
    per_day = {start + n * DAY_US: [0, 0, 0, 0] for n in range(days)}
    models: dict[str | None, list[int]] = {}
    pace_tokens = 0
    for gen in generations:
        if gen.refused:
            continue
        tokens = 0 if gen.refunded else gen.tokens
        api = 0 if gen.refunded else gen.api
        day = gen.charged_us // DAY_US * DAY_US
        if today - FORECAST_DAYS * DAY_US <= day < today:
            pace_tokens += tokens
        if gen.charged_us < start:
            continue
        counts = per_day.get(day)
        if counts is not None:
            counts[0] += tokens
            counts[1] += api
            counts[2] += gen.relaxed
            counts[3] += 1
        model = models.setdefault(gen.model, [0, 0, 0])
        model[0] += tokens
        model[1] += api
        model[2] += 1
    pace = pace_tokens / FORECAST_DAYS
    runs_out = None
    if pace > 0 and total > 0:
        runs_out = min(LAST_INSTANT_US, now_us + int(min(total / pace, 1e7) * DAY_US))
    return UsageReport(
        account_id=account_id,
        days=tuple(DayUse(from_us(day).date(), *counts) for day, counts in sorted(per_day.items())),
        by_model=tuple(
            sorted(
                (ModelUse(name, *counts) for name, counts in models.items()),
                key=lambda m: (-m.tokens, -m.api_credits, -m.generations, m.model or ""),
            )
        ),
        forecast=Forecast(
            pace_per_day=round(pace, 2),
            runs_out_us=runs_out,
            next_grant_us=next_grant_us,
            before_next_grant=(
                runs_out is not None and next_grant_us is not None and runs_out < next_grant_us
            ),
        ),
    )
