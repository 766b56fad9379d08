"""Linking a Discord user to a platform account with a one-time code, and the lockout.

A code works once, for `LINK_CODE_TTL_US`. A Discord user who gives `LINK_ATTEMPT_LIMIT`
failed codes (wrong, used or expired) within `LINK_ATTEMPT_WINDOW_US` is refused until
the oldest of those failures leaves the window. Failures are rows in the database, so
the count holds across processes and restarts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "LINK_ATTEMPT_LIMIT",
    "LINK_ATTEMPT_WINDOW_US",
    "LINK_CODE_TTL_US",
    "LinkOutcome",
    "LinkResult",
    "locked_until",
    "new_link_code",
    "normalise_code",
]

LINK_CODE_TTL_US = 15 * 60 * 1_000_000
"""How long a link code works after it is made."""
LINK_ATTEMPT_LIMIT = 5
"""Failed codes one Discord user may give within the window before being refused."""
LINK_ATTEMPT_WINDOW_US = 15 * 60 * 1_000_000
"""The window the failed codes are counted over."""
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 8


class LinkOutcome(StrEnum):
    """How redeeming a link code went."""

    LINKED = "linked"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    LOCKED = "locked"
    """Too many failed codes lately: the code was not even looked at."""


@dataclass(frozen=True, slots=True)
class LinkResult:
    """How redeeming a link code went.

    Attributes:
        outcome: how it went.
        account_id: the account the code names, when it exists.
        retry_at_us: for `locked`, when the user may try again.
    """

    outcome: LinkOutcome
    account_id: str | None = None
    retry_at_us: int | None = None


def locked_until(failures: list[int]) -> int | None:
    """When a user with these failure instants (oldest first, in the window) may try again.

    None when they may try now: trying works once the count in the window drops below
    the limit.
    """
    if len(failures) < LINK_ATTEMPT_LIMIT:
        return None
    return failures[len(failures) - LINK_ATTEMPT_LIMIT] + LINK_ATTEMPT_WINDOW_US


def new_link_code() -> str:
    """A fresh random code, easy to type (no 0/O or 1/I)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def normalise_code(text: str) -> str:
    """A code as typed, made comparable: trimmed and upper-case."""
    return text.strip().upper()
