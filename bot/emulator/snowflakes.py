"""Discord ids (snowflakes), their shard, and Discord's timestamp format."""

from __future__ import annotations

import datetime as dt
import logging
import time

log = logging.getLogger(__name__)

DISCORD_EPOCH_MS = 1_420_070_400_000


def iso(timestamp: float | None = None) -> str:
    """Return an ISO-8601 UTC timestamp as Discord formats them."""
    moment = dt.datetime.fromtimestamp(time.time() if timestamp is None else timestamp, dt.UTC)
    return moment.isoformat()


class Snowflakes:
    """Generates unique, time-ordered Discord snowflakes."""

    def __init__(self) -> None:
        self._last_ms = 0
        self._increment = 0

    def next(self, *, shard: tuple[int, int] | None = None) -> int:
        """Return a new snowflake; with ``shard=(id, count)`` one that lands on that shard."""
        ms = max(int(time.time() * 1000) - DISCORD_EPOCH_MS, self._last_ms)
        if shard is not None:
            shard_id, count = shard
            if not 0 <= shard_id < count:
                raise ValueError(f"shard {shard_id} is not in range for {count} shard(s)")
            ms += (shard_id - ms) % count
        if ms == self._last_ms:
            self._increment += 1
            if self._increment > 0xFFF:
                ms, self._increment = ms + (shard[1] if shard else 1), 0
        else:
            self._increment = 0
        self._last_ms = ms
        return (ms << 22) | self._increment


def shard_of(guild_id: int, shard_count: int) -> int:
    """Return the shard a guild belongs to, per Discord's ``(guild_id >> 22) % count``."""
    return (guild_id >> 22) % shard_count
