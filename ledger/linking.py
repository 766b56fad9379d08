"""Linking a Discord user to a platform account with a one-time code."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["LINK_CODE_TTL_US", "LinkOutcome", "LinkResult", "new_link_code"]

LINK_CODE_TTL_US = 15 * 60 * 1_000_000
"""How long a link code stays valid."""
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 8


class LinkOutcome(StrEnum):
    """How redeeming a link code went."""

    LINKED = "linked"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True, slots=True)
class LinkResult:
    """How redeeming a link code went, and the account it names (when it names one)."""

    outcome: LinkOutcome
    account_id: str | None = None


def new_link_code() -> str:
    """A fresh random code, easy to type (no 0/O or 1/I)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def normalise_code(text: str) -> str:
    """A code as typed, made comparable: trimmed and upper-case."""
    return text.strip().upper()
