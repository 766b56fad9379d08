"""Plain words for ledger facts, shared by the command line and the Discord embeds.

Every sentence a person reads about their tokens is written here or in the embeds
module, never in `ledger/` or `diagnostics/`.
"""

from __future__ import annotations

from ledger import Catalogue, HistoryRow, Plan

__all__ = ["cap_ratio", "describe_row", "duration", "plan_name", "tokens"]

BUCKET_NAMES = {
    "daily": "daily",
    "monthly": "monthly",
    "rollover": "rollover bank",
    "api": "API credits",
}


def duration(us: int) -> str:
    """A whole span as people say it: '15 minutes', '1 hour', '2 days'."""
    minutes = us // 60_000_000
    for size, unit in ((24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size and minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}" + ("" if count == 1 else "s")
    seconds = us // 1_000_000
    return f"{seconds} second" + ("" if seconds == 1 else "s")


def cap_ratio(plan: Plan) -> str:
    """How many months of a plan's allowance its rollover bank holds: '3x'."""
    if not plan.monthly:
        return ""
    ratio = plan.rollover_cap / plan.monthly
    return f"{ratio:g}x"


def tokens(n: int) -> str:
    """A whole number with thousands separators: 4100 -> '4,100'."""
    return f"{n:,}"


def plan_name(plan_id: str, catalogue: Catalogue) -> str:
    """The display name of a plan id."""
    return catalogue[plan_id].name if plan_id in catalogue else plan_id


def _unit(bucket: str | None) -> str:
    return "API credits" if bucket == "api" else "tokens"


def describe_row(row: HistoryRow) -> str:
    """One journal row as a sentence: 'charged 12 for generation g-1 (daily)'."""
    amount, bucket = row.amount, row.bucket
    where = BUCKET_NAMES.get(bucket or "", "")
    before = (row.balance_after - amount) if row.balance_after is not None else None
    ref = row.reference
    kind = row.kind
    if kind == "charge":
        unit = "API credits" if bucket == "api" else f"{where} tokens"
        return f"charged {tokens(-amount)} {unit} for generation {ref}"
    if kind == "relaxed":
        return f"generation {ref} ran relaxed: {tokens(-amount)} tokens not charged"
    if kind == "refused":
        return f"generation {ref} was refused: not enough to cover it, nothing charged"
    if kind == "failed":
        why = f": {row.note}" if row.note else ""
        return f"generation {ref} failed{why}"
    if kind == "refund":
        return f"refunded {tokens(amount)} {_unit(bucket)} to {where} ({ref})"
    if kind == "daily_reset":
        expired = before or 0
        after = row.balance_after or 0
        if expired and after:
            return f"daily reset: {tokens(expired)} expired, {tokens(after)} granted"
        if expired:
            return f"daily reset: {tokens(expired)} expired"
        return f"daily reset: {tokens(after)} granted"
    if kind == "renewal":
        return f"monthly renewal: monthly bucket set to {tokens(row.balance_after or 0)}"
    if kind == "rollover":
        if amount >= 0:
            return f"rolled over {tokens(amount)} unspent monthly tokens"
        return f"rollover bank capped: {tokens(-amount)} expired"
    if kind == "expiry":
        return f"plan ended: {tokens(-amount)} {where} tokens expired"
    if kind == "grant":
        if bucket == "api":
            return f"added {tokens(amount)} API credits"
        return f"granted {tokens(amount)} {where} tokens"
    if kind == "adjustment":
        sign = "added" if amount >= 0 else "removed"
        reason = f": {row.note}" if row.note else ""
        return f"adjustment by a moderator, {sign} {tokens(abs(amount))} {_unit(bucket)}{reason}"
    return f"{kind} {amount:+,} {where}".strip()
