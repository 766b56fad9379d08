"""Linking a Discord user to a platform account with a one-time code, and the lockout.

A code works once, for `LINK_CODE_TTL_US`. A Discord user who gives `LINK_ATTEMPT_LIMIT`
failed codes (wrong, used or expired) within `LINK_ATTEMPT_WINDOW_US` is refused until
the oldest of those failures leaves the window. Failures are rows in the database, so
the count holds across processes and restarts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ledger.store.database import Tx

log = logging.getLogger(__name__)

__all__ = [
    "LINK_ATTEMPT_LIMIT",
    "LINK_ATTEMPT_WINDOW_US",
    "LINK_CODE_TTL_US",
    "LinkResult",
    "redeem_op",
]

LINK_CODE_TTL_US = 15 * 60 * 1_000_000
"""How long a link code works after it is made."""
LINK_ATTEMPT_LIMIT = 5
"""Failed codes one Discord user may give within the window before being refused."""
LINK_ATTEMPT_WINDOW_US = 15 * 60 * 1_000_000
"""The window the failed codes are counted over."""


@dataclass(frozen=True, slots=True)
class LinkResult:
    """How redeeming a link code went.

    Attributes:
        outcome: `linked`, `unknown`, `expired`, `used`, or `locked` (too many failed
            codes lately; the code was not even looked at).
        account_id: the account the code names, when it exists.
        retry_at_us: for `locked`, when the user may try again.
    """

    outcome: str
    account_id: str | None = None
    retry_at_us: int | None = None


def redeem_op(tx: Tx, code: str, discord_user_id: str, now_us: int) -> LinkResult:
    """Redeem `code` for `discord_user_id` inside a write transaction.

    Exactly one of several users redeeming the same code at once is linked: the code is
    marked used by an UPDATE that only matches while it is unused, and only the
    transaction whose UPDATE changed the row links. The others are told it was used.

    Raises:
        Exception: the driver's own error when a statement fails (the caller's
            transaction is rolled back).
    """
    user = {"user": discord_user_id}
    if tx.dialect == "postgresql":
        tx.one("link_attempts_lock", user)
    since = now_us - LINK_ATTEMPT_WINDOW_US
    failures = [row[0] for row in tx.all("link_failures_since", {**user, "since": since})]
    if len(failures) >= LINK_ATTEMPT_LIMIT:
        # Trying again works once the count in the window drops below the limit.
        oldest_that_counts = failures[len(failures) - LINK_ATTEMPT_LIMIT]
        return LinkResult("locked", retry_at_us=oldest_that_counts + LINK_ATTEMPT_WINDOW_US)
    row = tx.one("link_code", {"code": code})
    if row is None:
        return _failed(tx, LinkResult("unknown"), discord_user_id, now_us)
    account_id, expires_us, used_us = row
    if used_us is not None:
        return _failed(tx, LinkResult("used", account_id), discord_user_id, now_us)
    if expires_us < now_us:
        return _failed(tx, LinkResult("expired", account_id), discord_user_id, now_us)
    if tx.run("link_code_use", {"code": code, "now": now_us}) != 1:
        # Another transaction used it between our read and our update.
        return _failed(tx, LinkResult("used", account_id), discord_user_id, now_us)
    tx.run("unlink_user", {"user": discord_user_id, "id": account_id})
    tx.run("link_user", {"user": discord_user_id, "id": account_id})
    return LinkResult("linked", account_id)


def _failed(tx: Tx, result: LinkResult, discord_user_id: str, now_us: int) -> LinkResult:
    since = now_us - LINK_ATTEMPT_WINDOW_US
    tx.run("link_failures_prune", {"user": discord_user_id, "since": since})
    tx.run("link_failure_insert", {"discord_user_id": discord_user_id, "at_us": now_us})
    return result
