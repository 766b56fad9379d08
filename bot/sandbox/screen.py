"""Showing what the bot answered as plain text in a terminal."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = ["Names", "mentions", "render_message", "timestamps"]

_STAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_MENTION = re.compile(r"<@(!|&)?(\d+)>")

Names = Callable[[str, int], str | None]
"""Who a mention names: `("user", id)` or `("role", id)` -> a name, or None if unknown."""


def mentions(text: str, names: Names | None) -> str:
    """Discord mentions (`<@id>`, `<@&id>`) as `@name`, the way a Discord client shows them."""

    def swap(match: re.Match[str]) -> str:
        kind = "role" if match.group(1) == "&" else "user"
        name = names(kind, int(match.group(2))) if names else None
        return f"@{name}" if name else f"@unknown-{kind}"

    return _MENTION.sub(swap, text)


def _relative(seconds: float) -> str:
    ahead, span = seconds > 0, abs(seconds)
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if span >= size:
            count = int(span // size)
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if ahead else f"{text} ago"
    return "now"


def timestamps(text: str, now: datetime) -> str:
    """Discord timestamp markup (`<t:1700000000:R>`) as words a terminal can show."""

    def swap(match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match.group(1)), UTC)
        if match.group(2) == "R":
            return _relative((moment - now).total_seconds())
        return moment.strftime("%a %d %b %Y %H:%M UTC")

    return _STAMP.sub(swap, text)


def _plain(text: str, now: datetime, names: Names | None = None) -> str:
    text = mentions(timestamps(text, now), names)
    return text.replace("**", "").replace("\\", "")


def render_message(
    content: str | None,
    embeds: list[dict[str, Any]],
    buttons: list[dict[str, Any]],
    *,
    ephemeral: bool,
    now: datetime,
    names: Names | None = None,
    first: int = 1,
) -> str:
    """A message as lines of text; buttons are numbered from `first` for `click N`, and
    mentions show as `@name` (`names` says who an id is)."""
    lines: list[str] = []
    if content:
        lines += _plain(content, now, names).splitlines()
    for embed in embeds:
        if embed.get("title"):
            title = _plain(embed["title"], now, names)
            lines += [f"┌ {title}", "│"]
        for line in _plain(embed.get("description", ""), now, names).splitlines():
            lines.append(f"│ {line}")
        for field in embed.get("fields", []):
            name = _plain(field["name"], now, names)
            value = _plain(field["value"], now, names).splitlines() or [""]
            lines.append(f"│ {name}: {value[0]}")
            lines += [f"│   {more}" for more in value[1:]]
        if embed.get("footer", {}).get("text"):
            lines.append(f"└ {_plain(embed['footer']['text'], now, names)}")
        else:
            lines.append("└")
    for number, button in enumerate(buttons, start=first):
        label = button.get("label") or button.get("custom_id", "?")
        lines.append(f"  [{number}] {label}")
    if ephemeral:
        lines.append("  (only you can see this)")
    return "\n".join(lines)
