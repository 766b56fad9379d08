"""Units of work that explain an account: `why` its balance moved, and its `usage`.

They read the journal and the generations, add the resets due but not yet written,
and hand both to the pure rules in `why` and `usage`.
"""

from __future__ import annotations

from ledger.balance import balance_of
from ledger.cycles import DAY_US, next_midnight, renewal_at
from ledger.plans import FREE, Catalogue
from ledger.resets import catch_up, next_renewal_us
from ledger.state import AccountState, HistoryRow
from ledger.store import records
from ledger.store.database import Tx
from ledger.usage import UsageReport, UsedGeneration, query_start_us, summarise
from ledger.why import Start, WhyReport, charged_from_settings, explain

__all__ = ["MAX_USAGE_DAYS", "MAX_WHY_HOURS", "usage_op", "why_op"]

MAX_WHY_HOURS = 2_160
MAX_USAGE_DAYS = 90
HOUR_US = 3_600_000_000


def why_op(tx: Tx, state: AccountState, hours: int, now_us: int, catalogue: Catalogue) -> WhyReport:
    """How the account's balance got from `hours` ago to `now_us`."""
    since = now_us - hours * HOUR_US
    current, due = catch_up(state, now_us, catalogue)
    balance = balance_of(current, now_us, catalogue)
    pending = [
        HistoryRow(e.due_us, e.kind, e.bucket, e.amount, e.balance_after, e.reference, e.note, True)
        for e in due
    ]
    at_start = {
        bucket: records.bucket_at(tx, state.account_id, bucket, since)
        for bucket in ("daily", "monthly")
    }
    for row in pending:
        if row.at_us <= since and row.bucket in at_start and row.balance_after is not None:
            at_start[row.bucket] = row.balance_after
    first_midnight = next_midnight(max(since, state.created_us))
    renewals = ()
    if current.anchor_us is not None:
        instants = (renewal_at(current.anchor_us, k) for k in range(1, current.cycle + 1))
        renewals = tuple(at for at in instants if since < at <= now_us)
    start = Start(
        daily=at_start["daily"],
        monthly=at_start["monthly"],
        midnights=tuple(range(first_midnight, now_us + 1, DAY_US)),
        renewals=renewals,
    )
    rows = records.journal_since(tx, state.account_id, since)
    rows += [row for row in pending if row.at_us > since]
    generations = {
        gen.generation_id: charged_from_settings(gen.settings)
        for gen in records.generations_since(tx, state.account_id, since)
    }
    return explain(
        state.account_id,
        since,
        now_us,
        rows,
        generations,
        start,
        balance.total,
        balance.api_credits,
    )


def usage_op(
    tx: Tx, state: AccountState, days: int, now_us: int, catalogue: Catalogue
) -> UsageReport:
    """Use per day over the last `days` UTC days, by model, and the forecast."""
    current, _ = catch_up(state, now_us, catalogue)
    found = records.generations_since(tx, state.account_id, query_start_us(now_us, days))
    used = [
        UsedGeneration(
            gen.charged_us,
            gen.tokens,
            gen.api,
            gen.relaxed,
            gen.refunded,
            gen.refused,
            charged_from_settings(gen.settings).model,
        )
        for gen in found
    ]
    next_grant = next_midnight(now_us) if current.plan == FREE else next_renewal_us(current)
    return summarise(state.account_id, used, now_us, days, current.total, next_grant)
