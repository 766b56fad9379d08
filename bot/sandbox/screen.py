"""Showing what the bot answered as plain text in a terminal."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

__all__ = ["render_message", "timestamps"]

_STAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")


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


def _plain(text: str, now: datetime) -> str:
    text = timestamps(text, now)
    return text.replace("**", "").replace("\\", "")


def render_message(
    content: str | None,
    embeds: list[dict[str, Any]],
    buttons: list[dict[str, Any]],
    *,
    ephemeral: bool,
    now: datetime,
) -> str:
    """A message as lines of text; buttons are numbered from 1 for `click N`."""
    lines: list[str] = []
    if content:
        lines.append(_plain(content, now))
    for embed in embeds:
        if embed.get("title"):
            title = _plain(embed["title"], now)
            lines += [f"┌ {title}", "│"]
        for line in _plain(embed.get("description", ""), now).splitlines():
            lines.append(f"│ {line}")
        for field in embed.get("fields", []):
            name = _plain(field["name"], now)
            value = _plain(field["value"], now).splitlines() or [""]
            lines.append(f"│ {name}: {value[0]}")
            lines += [f"│   {more}" for more in value[1:]]
        if embed.get("footer", {}).get("text"):
            lines.append(f"└ {_plain(embed['footer']['text'], now)}")
        else:
            lines.append("└")
    for number, button in enumerate(buttons, start=1):
        label = button.get("label") or button.get("custom_id", "?")
        lines.append(f"  [{number}] {label}")
    if ephemeral:
        lines.append("  (only you can see this)")
    return "\n".join(lines)
