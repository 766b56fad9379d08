"""Platform events: parsing and validating one JSON line (SPEC section 2).

Validation needs no database: it checks shape, types and bounds. Whether an event
fits the account it names (unknown account, a known generation id...) is decided
when it is applied, by `ledger.apply`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from ledger.cycles import to_us
from ledger.plans import Catalogue

__all__ = ["MAX_LINE_BYTES", "Event", "Invalid", "parse_event", "parse_line"]

MAX_LINE_BYTES = 64 * 1024
MAX_ID = 128
MAX_AMOUNT = 1_000_000_000_000
MAX_SETTINGS_BYTES = 4 * 1024
MAX_REASON = 1_000
"""A failure reason is kept (and shown) cut to its first this many characters; never rejected."""
EARLIEST = datetime.fromisoformat("2000-01-01T00:00:00+00:00")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_NOT_IN_ID = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""A control character or a lone surrogate (JSON lets `\\ud800` through, and no database
can store it as UTF-8): one search for the usual, clean id."""
_DIGITS = re.compile(r"[0-9]{1,128}")
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""Compact JSON with sorted keys: what `json.dumps(..., sort_keys=True, ...)` makes, without
building an encoder for every line."""
_CANONICAL_ASCII = json.JSONEncoder(sort_keys=True, separators=(",", ":"))

TYPES = {
    "account.created",
    "account.linked",
    "subscription.changed",
    "payment.failed",
    "payment.succeeded",
    "generation.charged",
    "generation.succeeded",
    "generation.failed",
    "api_credits.added",
}


class Event(NamedTuple):
    """A validated platform event. `digest` identifies its content for idempotency."""

    id: str
    type: str
    at_us: int
    account_id: str
    digest: str
    plan: str | None = None
    discord_user_id: str | None = None
    generation_id: str | None = None
    source: str | None = None
    cost: int | None = None
    amount: int | None = None
    settings: str | None = None
    reason: str | None = None
    model: str | None = None
    """The model a charge names in its settings (text, cut to `MAX_ID`), for incidents."""


@dataclass(frozen=True, slots=True)
class Invalid:
    """A line that failed validation; `event_id` is set when the line had a usable id."""

    reason: str
    event_id: str | None = None


class _Bad(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_line(line: str | bytes, catalogue: Catalogue) -> Event | Invalid:
    """Parse and validate one line of an events file (without its newline)."""
    raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_LINE_BYTES:
        return Invalid(f"line is longer than {MAX_LINE_BYTES // 1024} KB")
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return Invalid(f"not valid JSON ({_short(str(exc))})")
    return parse_event(obj, catalogue)


def parse_event(obj: Any, catalogue: Catalogue) -> Event | Invalid:
    """Validate one decoded JSON value as an event."""
    if not isinstance(obj, dict):
        return Invalid("an event must be a JSON object")
    event_id = obj.get("id")
    usable_id = event_id if _is_id(event_id) else None
    try:
        return _build(obj, catalogue)
    except _Bad as bad:
        return Invalid(bad.reason, usable_id)
    except RecursionError:  # nesting the decoder accepted but re-encoding does not
        return Invalid("event is nested too deeply", usable_id)


def _build(obj: dict[str, Any], catalogue: Catalogue) -> Event:
    event_id = _ident(obj, "id")
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in TYPES:
        raise _Bad(f"unknown type {_show(kind)}")
    common = {
        "id": event_id,
        "type": kind,
        "at_us": _instant(obj.get("at")),
        "account_id": _ident(obj, "account_id"),
        "digest": _digest(obj),
    }
    if kind == "account.created":
        user = _discord_id(obj, required=False)
        return Event(**common, plan=_plan(obj, catalogue), discord_user_id=user)
    if kind == "account.linked":
        return Event(**common, discord_user_id=_discord_id(obj, required=True))
    if kind == "subscription.changed":
        return Event(**common, plan=_plan(obj, catalogue))
    if kind == "generation.charged":
        source = obj.get("source")
        if source not in ("web", "api"):
            raise _Bad("source must be 'web' or 'api'")
        return Event(
            **common,
            generation_id=_ident(obj, "generation_id"),
            source=source,
            cost=_positive(obj, "cost"),
            settings=_settings(obj.get("settings")),
            model=_model(obj.get("settings")),
        )
    if kind in ("generation.succeeded", "generation.failed"):
        reason = _reason(obj.get("reason"))
        return Event(**common, generation_id=_ident(obj, "generation_id"), reason=reason)
    if kind == "api_credits.added":
        return Event(**common, amount=_positive(obj, "amount"))
    return Event(**common)


def _is_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID and not _NOT_IN_ID.search(value)


def _ident(obj: dict[str, Any], field: str) -> str:
    value = obj.get(field)
    if value is None:
        raise _Bad(f"{field} is missing")
    if not isinstance(value, str) or not value:
        raise _Bad(f"{field} must be a non-empty string")
    if len(value) > MAX_ID:
        raise _Bad(f"{field} is longer than {MAX_ID} characters")
    if _NOT_IN_ID.search(value):
        if _CONTROL.search(value):
            raise _Bad(f"{field} contains control characters")
        raise _Bad(f"{field} contains a lone surrogate (not valid Unicode)")
    return value


def _instant(value: object) -> int:
    if not isinstance(value, str):
        raise _Bad("at must be an ISO 8601 string with a UTC offset")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(f"at is not an ISO 8601 instant: {_show(value)}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _Bad("at has no UTC offset")
    if parsed < EARLIEST:
        raise _Bad(f"at is before the year {EARLIEST.year}")
    return to_us(parsed)


def _plan(obj: dict[str, Any], catalogue: Catalogue) -> str:
    plan = obj.get("plan")
    if not isinstance(plan, str) or plan not in catalogue:
        raise _Bad(f"unknown plan {_show(plan)}")
    return plan


def _discord_id(obj: dict[str, Any], *, required: bool) -> str | None:
    value = obj.get("discord_user_id")
    if value is None and not required:
        return None
    if type(value) is int and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise _Bad("discord_user_id must be a string of digits")
    return value


def _positive(obj: dict[str, Any], field: str) -> int:
    value = obj.get(field)
    if type(value) is not int or value <= 0:
        raise _Bad(f"{field} must be a positive integer")
    if value > MAX_AMOUNT:
        raise _Bad(f"{field} is larger than {MAX_AMOUNT:,}")
    return value


def _settings(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Bad("settings must be a JSON object")
    # Measured as SPEC 2 says: the compact JSON text in UTF-8, non-ASCII not escaped
    # (sorting the keys changes no length).
    compact = _CANONICAL.encode(value)
    if compact.isascii() and "\x7f" not in compact:  # the usual case: one text for both
        if len(compact) > MAX_SETTINGS_BYTES:
            raise _Bad(f"settings is larger than {MAX_SETTINGS_BYTES:,} bytes")
        return compact
    if len(compact.encode("utf-8", "surrogatepass")) > MAX_SETTINGS_BYTES:
        raise _Bad(f"settings is larger than {MAX_SETTINGS_BYTES:,} bytes")
    # Stored with non-ASCII escaped, so a lone surrogate inside it is still storable text.
    return _CANONICAL_ASCII.encode(value)


def _model(settings: object) -> str | None:
    """The model named by valid settings, as stored: text, cut to `MAX_ID`, or None."""
    model = settings.get("model") if isinstance(settings, dict) else None
    if not isinstance(model, str) or not model:
        return None
    return _UNSTORABLE.sub("\ufffd", model[:MAX_ID])


def _reason(value: object) -> str | None:
    """A failure reason as it is kept: text, cut to MAX_REASON characters, never a rejection.

    A reason that is not a string is kept as its JSON text; NUL characters and lone
    surrogates (which no database stores as UTF-8) become U+FFFD.
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = _UNSTORABLE.sub("\ufffd", text[:MAX_REASON])
    return text or None


def _digest(obj: dict[str, Any]) -> str:
    canonical = _CANONICAL.encode(obj)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _show(value: object) -> str:
    return _short(json.dumps(value, ensure_ascii=True, default=str))


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
