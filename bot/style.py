"""Shared pieces of every embed: colours, times, safe text, limits."""

from __future__ import annotations

import discord

from ledger import from_us

__all__ = ["BRAND", "WARN", "clip", "safe", "when"]

BRAND = discord.Colour(0x5865F2)
WARN = discord.Colour(0xFEE75C)
BAD = discord.Colour(0xED4245)
GOOD = discord.Colour(0x57F287)


def when(us: int) -> str:
    """An instant as Discord timestamp markup, absolute and relative."""
    moment = from_us(us)
    return f"{discord.utils.format_dt(moment, 'f')} ({discord.utils.format_dt(moment, 'R')})"


def safe(text: str, limit: int = 200) -> str:
    """Text from outside (ids, reasons) made inert: no markdown, no mentions, bounded."""
    cleaned = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in text)
    cleaned = discord.utils.escape_mentions(discord.utils.escape_markdown(cleaned))
    return clip(cleaned, limit)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
