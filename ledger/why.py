"""Why a balance moved: the journal between two instants, grouped into causes (pure).

Every change of the spendable total (or of the API pool) between `from` and `to` is a
journal row due in that window, written or still due (resets computed but not yet
journalled). Each row, or each group of rows one event wrote, becomes a `Change` a
sentence can tell; the `Change`s add up to a `Cause` per kind and pool. Amounts add up
exactly: the start totals are the end totals minus the window's changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ledger.state import HistoryRow

__all__ = [
    "MAX_REFERENCES",
    "Cause",
    "Change",
    "ChangeCause",
    "Charged",
    "Start",
    "WhyReport",
    "charged_from_settings",
    "explain",
]

MAX_REFERENCES = 10


class ChangeCause(StrEnum):
    """What moved tokens or API credits (SPEC 3, `why --json`)."""

    DAILY_GRANT = "daily_grant"
    DAILY_EXPIRY = "daily_expiry"
    MONTHLY_GRANT = "monthly_grant"
    ROLLOVER = "rollover"
    ROLLOVER_CAP = "rollover_cap"
    PLAN_END = "plan_end"
    CHARGE = "charge"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    API_CREDITS = "api_credits"


@dataclass(frozen=True, slots=True)
class Charged:
    """What a generation was, for a sentence about its charge or refund."""

    model: str | None
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class Change:
    """One thing that moved a pool, as a sentence would tell it.

    Attributes:
        at_us: when it was due.
        cause: what kind of change.
        pool: `tokens` or `api`.
        amount: the signed net change of the pool.
        reference: a generation id, ticket `#N`, event id or actor.
        buckets: the buckets it touched.
        moved: for `rollover`, the monthly tokens moved to the bank; else 0.
        generation: the generation's settings, for charges and refunds, when known.
        note: an adjustment's reason.
        pending: due, but not yet journalled (resets written at the next activity).
    """

    at_us: int
    cause: ChangeCause
    pool: str
    amount: int
    reference: str | None = None
    buckets: tuple[str, ...] = ()
    moved: int = 0
    generation: Charged | None = None
    note: str | None = None
    pending: bool = False

    @property
    def size(self) -> int:
        """How big the change is, for ordering largest first."""
        return abs(self.amount) or self.moved


@dataclass(frozen=True, slots=True)
class Cause:
    """The changes of one cause and pool, summed (an entry of `why --json`'s `causes`)."""

    cause: ChangeCause
    pool: str
    amount: int
    count: int
    references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WhyReport:
    """How a balance got from `from_us` to `to_us`."""

    account_id: str
    from_us: int
    to_us: int
    total_before: int
    total_after: int
    api_before: int
    api_after: int
    relaxed_tokens: int
    causes: tuple[Cause, ...]
    changes: tuple[Change, ...]
    """Every change, largest first."""


_GRANTS = {"daily": ChangeCause.DAILY_GRANT, "monthly": ChangeCause.MONTHLY_GRANT}
_RESET_KINDS = frozenset({"daily_reset", "renewal", "rollover", "expiry"})
_GROUPED = {"charge": ChangeCause.CHARGE, "refund": ChangeCause.REFUND}


@dataclass(frozen=True, slots=True)
class Start:
    """What explaining a window needs to know besides its journal rows.

    A reset that changed nothing writes no row (a free account's untouched daily tokens
    replaced by as many new ones, a bank already at its cap), yet people ask about
    exactly those: so the window's midnights and renewals are given, with the daily and
    monthly buckets at its start, and the missing resets are told from them.

    Attributes:
        daily: the daily bucket at the window's start.
        monthly: the monthly bucket at the window's start.
        midnights: the 00:00 UTC instants in the window while the account existed.
        renewals: the renewal instants in the window.
    """

    daily: int = 0
    monthly: int = 0
    midnights: tuple[int, ...] = ()
    renewals: tuple[int, ...] = ()


def explain(
    account_id: str,
    from_us: int,
    to_us: int,
    rows: Sequence[HistoryRow],
    generations: dict[str, Charged],
    start: Start,
    total_after: int,
    api_after: int,
) -> WhyReport:
    """Group the window's journal rows into changes and causes.

    Args:
        account_id: the account.
        from_us: the start of the window (exclusive).
        to_us: its end (inclusive); the present.
        rows: journal rows due in the window, written and pending, in the order written.
        generations: what each generation referenced by a charge was.
        start: the buckets at the window's start, and its midnights and renewals.
        total_after: the spendable total at `to_us`, due resets included.
        api_after: the API pool at `to_us`.
    """
    changes: list[Change] = []
    relaxed = 0
    daily, monthly = start.daily, start.monthly
    midnights, renewals = set(start.midnights), set(start.renewals)
    for at, group in _timeline(rows, midnights | renewals):
        if group and group[0].kind == "relaxed":
            relaxed -= sum(row.amount for row in group)
            continue
        if not group or group[0].kind in _RESET_KINDS:
            flags = (at in midnights, at in renewals)
            changes.extend(_reset_changes(group, at, daily, monthly, *flags))
        else:
            changes.extend(_row_changes(group, generations))
        for row in group:
            if row.balance_after is not None and row.bucket == "monthly":
                monthly = row.balance_after
            elif row.balance_after is not None and row.bucket == "daily":
                daily = row.balance_after
    tokens = sum(c.amount for c in changes if c.pool == "tokens")
    api = sum(c.amount for c in changes if c.pool == "api")
    ordered = sorted(changes, key=lambda c: (-c.size, c.at_us))
    return WhyReport(
        account_id=account_id,
        from_us=from_us,
        to_us=to_us,
        total_before=total_after - tokens,
        total_after=total_after,
        api_before=api_after - api,
        api_after=api_after,
        relaxed_tokens=relaxed,
        causes=_causes(ordered),
        changes=tuple(ordered),
    )


def _timeline(
    rows: Sequence[HistoryRow], reset_instants: set[int]
) -> list[tuple[int, list[HistoryRow]]]:
    """The row groups in order, with an empty group at each reset instant no row tells of.

    Resets due at an instant come before anything else at that instant.
    """
    groups = list(_groups(rows))
    told = {g[0].at_us for g in groups if g[0].kind in _RESET_KINDS}
    items = [
        (g[0].at_us, 0 if g[0].kind in _RESET_KINDS else 1, n, g) for n, g in enumerate(groups)
    ]
    items += [(at, 0, -1, []) for at in reset_instants - told]
    items.sort(key=lambda item: item[:3])
    return [(at, group) for at, _, _, group in items]


def _groups(rows: Sequence[HistoryRow]) -> Iterable[list[HistoryRow]]:
    """Rows one thing wrote: a charge over several buckets, one instant's resets."""
    group: list[HistoryRow] = []
    for row in rows:
        if group and _same(group[0], row):
            group.append(row)
            continue
        if group:
            yield group
        group = [row]
    if group:
        yield group


def _same(first: HistoryRow, row: HistoryRow) -> bool:
    if first.at_us != row.at_us or first.pending != row.pending:
        return False
    if first.kind in _RESET_KINDS:
        return row.kind in _RESET_KINDS
    return (first.kind, first.reference) == (row.kind, row.reference)


def _pool(bucket: str | None) -> str:
    return "api" if bucket == "api" else "tokens"


def _reset_changes(
    group: list[HistoryRow],
    at: int,
    daily_before: int,
    monthly_before: int,
    midnight: bool,
    renewal: bool,
) -> list[Change]:
    """One instant's resets: daily expiry and grant, renewal, rollover and cap, plan end.

    A part the rows do not tell (it changed no bucket) is told from the buckets before.
    """
    pending = bool(group) and group[0].pending
    out: list[Change] = []
    by_kind = {row.kind: row for row in group}
    daily = by_kind.get("daily_reset")
    if daily is not None:
        out.extend(_daily(daily))
    elif midnight and daily_before:  # the same amount expired and was granted again
        out.append(Change(at, ChangeCause.DAILY_EXPIRY, "tokens", -daily_before))
        out.append(Change(at, ChangeCause.DAILY_GRANT, "tokens", daily_before))
    ended = [row for row in group if row.kind == "expiry"]
    if ended:
        out.append(
            Change(
                at,
                ChangeCause.PLAN_END,
                "tokens",
                sum(row.amount for row in ended),
                buckets=tuple(row.bucket or "" for row in ended),
                pending=pending,
            )
        )
        return out
    renewed, rollover = by_kind.get("renewal"), by_kind.get("rollover")
    if renewed is None and rollover is None and not renewal:
        return out
    grant = (renewed.balance_after or 0) if renewed is not None else monthly_before
    lost = monthly_before - (rollover.amount if rollover is not None else 0)
    if grant:
        out.append(Change(at, ChangeCause.MONTHLY_GRANT, "tokens", grant, pending=pending))
    if monthly_before:
        out.append(
            Change(at, ChangeCause.ROLLOVER, "tokens", 0, moved=monthly_before, pending=pending)
        )
    if lost:
        out.append(Change(at, ChangeCause.ROLLOVER_CAP, "tokens", -lost, pending=pending))
    return out


def _daily(row: HistoryRow) -> list[Change]:
    after = row.balance_after or 0
    before = after - row.amount
    out = []
    if before:
        out.append(
            Change(row.at_us, ChangeCause.DAILY_EXPIRY, "tokens", -before, pending=row.pending)
        )
    if after:
        out.append(Change(row.at_us, ChangeCause.DAILY_GRANT, "tokens", after, pending=row.pending))
    return out


def _row_changes(group: list[HistoryRow], generations: dict[str, Charged]) -> list[Change]:
    first = group[0]
    kind, pending = first.kind, first.pending
    amount = sum(row.amount for row in group)
    buckets = tuple(row.bucket for row in group if row.bucket)
    if not buckets or (amount == 0 and kind != "adjustment"):
        return []  # a refused charge, a failure: nothing moved
    pool = _pool(buckets[0])
    if kind in _GROUPED:
        cause = _GROUPED[kind]
        gen = generations.get(first.reference or "") if kind == "charge" else None
        return [
            Change(
                first.at_us, cause, pool, amount, first.reference, buckets, 0, gen, None, pending
            )
        ]
    if kind == "grant":
        cause = ChangeCause.API_CREDITS if pool == "api" else _GRANTS.get(buckets[0])
        if cause is None:
            return []
        return [Change(first.at_us, cause, pool, amount, first.reference, buckets, pending=pending)]
    if kind == "adjustment":
        if amount == 0:
            return []
        return [
            Change(
                first.at_us,
                ChangeCause.ADJUSTMENT,
                pool,
                amount,
                first.reference,
                buckets,
                note=first.note,
            )
        ]
    return []


def _causes(changes: Sequence[Change]) -> tuple[Cause, ...]:
    totals: dict[tuple[ChangeCause, str], list[Change]] = {}
    for change in changes:
        totals.setdefault((change.cause, change.pool), []).append(change)
    out = []
    for (cause, pool), found in totals.items():
        refs: list[str] = []
        for change in found:
            if change.reference and change.reference not in refs:
                refs.append(change.reference)
        out.append(
            Cause(
                cause,
                pool,
                sum(c.amount for c in found),
                len(found),
                tuple(refs[:MAX_REFERENCES]),
            )
        )
    return tuple(sorted(out, key=lambda c: (-abs(c.amount), c.cause.value, c.pool)))


def charged_from_settings(settings: str | None) -> Charged:
    """A generation's model and size, read from the settings the platform sent (if any)."""
    try:
        values = json.loads(settings) if settings else {}
    except ValueError:
        values = {}
    if not isinstance(values, dict):
        values = {}
    model = values.get("model")
    width, height = values.get("width"), values.get("height")
    return Charged(
        model if isinstance(model, str) else None,
        width if type(width) is int else None,
        height if type(height) is int else None,
    )
