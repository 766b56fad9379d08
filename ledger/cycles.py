"""Calendar arithmetic for daily resets and monthly billing cycles, all in UTC.

Instants inside the ledger are integers: microseconds since the Unix epoch, UTC.
They compare and store cheaply and mean the same thing on every database.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from functools import lru_cache

__all__ = [
    "DAY_US",
    "add_months",
    "from_us",
    "next_midnight",
    "renewal_at",
    "to_us",
]

DAY_US = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(at: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (UTC)."""
    if at.tzinfo is None:
        raise ValueError("instants must carry a UTC offset")
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """Integer microseconds since the epoch as an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=us)


def next_midnight(us: int) -> int:
    """The first 00:00 UTC strictly after `us`."""
    return (us // DAY_US + 1) * DAY_US


def add_months(anchor: datetime, months: int) -> datetime:
    """`anchor` moved by whole months, its day clamped to the month's last day.

    Jan 31 + 1 month is Feb 28 (or 29), + 2 months is Mar 31: the day always
    comes from the anchor, never from the previous clamped date.
    """
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


@lru_cache(maxsize=65_536)
def renewal_at(anchor_us: int, cycle: int) -> int:
    """The instant cycle number `cycle` starts (cycle 0 starts at the anchor)."""
    return to_us(add_months(from_us(anchor_us), cycle))
