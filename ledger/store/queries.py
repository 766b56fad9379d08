"""Every SQL statement the ledger runs, in one place, with `:name` parameters.

Statements are written once in the SQL both SQLite and PostgreSQL speak; `prepare`
turns them into the form a driver wants (named for sqlite3, `$n` for asyncpg).
"""

from __future__ import annotations

import re

__all__ = [
    "ACCOUNT_COLUMNS",
    "GENERATION_COLUMNS",
    "POSTGRES_OVERRIDES",
    "SQL",
    "in_ids",
    "prepare",
]

ACCOUNT_COLUMNS = (
    "account_id",
    "plan",
    "status",
    "daily",
    "monthly",
    "rollover",
    "api_credits",
    "anchor_us",
    "cycle",
    "pending_plan",
    "relaxed_used",
    "withheld_renewal",
    "withheld_upgrade",
    "processed_us",
    "last_write_us",
    "created_us",
    "discord_user_id",
    "low_below",
)
GENERATION_COLUMNS = (
    "generation_id",
    "account_id",
    "source",
    "cost",
    "outcome",
    "status",
    "daily",
    "monthly",
    "rollover",
    "api",
    "relaxed",
    "charged_us",
    "finished_us",
    "reason",
)
_ACC = ", ".join(ACCOUNT_COLUMNS)
_GEN = ", ".join(GENERATION_COLUMNS)


def in_ids(column: str, dialect: str) -> str:
    """`column` is one of the set of ids passed as `:ids` (made by `Tx.id_set`): an array
    on PostgreSQL, a JSON array read through `json_each` on SQLite."""
    if dialect == "postgresql":
        return f"{column} = ANY(:ids)"
    return f"{column} IN (SELECT value FROM json_each(:ids))"


def _insert(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(columns)
    values = ", ".join(f":{c}" for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({values})"


SQL: dict[str, str] = {
    "account": f"SELECT {_ACC} FROM accounts WHERE account_id = :id",
    "account_by_user": f"SELECT {_ACC} FROM accounts WHERE discord_user_id = :id",
    "account_lock": f"SELECT {_ACC} FROM accounts WHERE account_id = :id",
    "account_lock_and_generation": f"SELECT {_ACC}, EXISTS (SELECT 1 FROM generations"
    " WHERE generation_id = :gid) AS charged_before FROM accounts WHERE account_id = :id",
    "generation_exists": "SELECT 1 FROM generations WHERE generation_id = :gid",
    "account_insert": _insert("accounts", ACCOUNT_COLUMNS),
    "account_balances": "UPDATE accounts SET daily = :daily, monthly = :monthly,"
    " rollover = :rollover, api_credits = :api_credits, relaxed_used = :relaxed_used,"
    " processed_us = :processed_us, last_write_us = :last_write_us"
    " WHERE account_id = :account_id",
    "account_update": "UPDATE accounts SET "
    + ", ".join(f"{c} = :{c}" for c in ACCOUNT_COLUMNS[1:])
    + " WHERE account_id = :account_id",
    # An account keeps its user's `low` threshold only while that user is linked to it.
    "unlink_user": "UPDATE accounts SET discord_user_id = NULL, low_below = NULL"
    " WHERE discord_user_id = :user AND account_id <> :id",
    "journal_insert": "INSERT INTO journal (account_id, kind, bucket, amount, balance_after,"
    " due_us, recorded_us, reference, note) VALUES (:account_id, :kind, :bucket, :amount,"
    " :balance_after, :due_us, :recorded_us, :reference, :note)",
    "journal_latest": "SELECT id, kind, bucket, amount, balance_after, due_us, recorded_us,"
    " reference, note FROM journal WHERE account_id = :id ORDER BY id DESC LIMIT :limit",
    "journal_page": "SELECT id, kind, bucket, amount, balance_after, due_us, recorded_us,"
    " reference, note FROM journal WHERE account_id = :id ORDER BY id DESC"
    " LIMIT :limit OFFSET :offset",
    "journal_count": "SELECT COUNT(*) FROM journal WHERE account_id = :id",
    "generation": f"SELECT {_GEN}, EXISTS (SELECT 1 FROM refunds r"
    " WHERE r.generation_id = g.generation_id) AS refunded FROM generations g"
    " WHERE generation_id = :id",
    "generation_insert": _insert("generations", (*GENERATION_COLUMNS, "settings", "model")),
    "generation_finish": "UPDATE generations SET status = :status, finished_us = :finished_us,"
    " reason = :reason WHERE generation_id = :generation_id AND status = 'pending'",
    "generations_failed": f"SELECT {_GEN}, EXISTS (SELECT 1 FROM refunds r"
    " WHERE r.generation_id = g.generation_id) AS refunded FROM generations g"
    " WHERE account_id = :id AND status = 'failed' AND charged_us >= :since"
    " ORDER BY charged_us DESC LIMIT :limit",
    "refund_insert": _insert(
        "refunds", ("generation_id", "account_id", "amount", "reference", "actor", "at_us")
    ),
    "event": "SELECT digest, outcome FROM events WHERE event_id = :id",
    "event_insert": _insert(
        "events", ("event_id", "account_id", "digest", "outcome", "recorded_us")
    ),
    "link_code_insert": _insert("link_codes", ("code", "account_id", "expires_us")),
    "link_code": "SELECT account_id, expires_us, used_us FROM link_codes WHERE code = :code",
    # (`:chooser` is the user again: PostgreSQL types each parameter from one use.)
    "link_user": "UPDATE accounts SET discord_user_id = :user, low_below = (SELECT CASE"
    " WHEN p.on_low THEN p.low_threshold END FROM notify_prefs p WHERE p.user_id = :chooser)"
    " WHERE account_id = :id",
    "ping": "SELECT 1",
    "journal_since": "SELECT due_us, kind, bucket, amount, balance_after, reference, note"
    " FROM journal WHERE account_id = :id AND due_us > :since ORDER BY id",
    "bucket_at": "SELECT balance_after FROM journal WHERE account_id = :id"
    " AND bucket = :bucket AND due_us <= :at ORDER BY id DESC LIMIT 1",
    "generations_since": "SELECT generation_id, charged_us, daily, monthly, rollover, api,"
    " relaxed, outcome, settings, EXISTS (SELECT 1 FROM refunds r"
    " WHERE r.generation_id = g.generation_id) AS refunded FROM generations g"
    " WHERE account_id = :id AND charged_us >= :since ORDER BY charged_us",
    "link_code_use": "UPDATE link_codes SET used_us = :now WHERE code = :code AND used_us IS NULL",
    "link_failures_since": "SELECT at_us FROM link_attempts WHERE discord_user_id = :user"
    " AND at_us > :since ORDER BY at_us",
    "link_failure_insert": _insert("link_attempts", ("discord_user_id", "at_us")),
    "link_failures_prune": "DELETE FROM link_attempts WHERE discord_user_id = :user"
    " AND at_us <= :since",
}

POSTGRES_OVERRIDES = {
    "account_lock": SQL["account_lock"] + " FOR UPDATE",
    "account_lock_and_generation": SQL["account_lock_and_generation"] + " FOR UPDATE",
    # A batch locks every account it touches at once, in one order, so that two batches
    # naming the same accounts in different orders wait for each other, never deadlock.
    "accounts_lock_many": "SELECT account_id FROM accounts WHERE account_id = ANY(:ids)"
    " ORDER BY account_id FOR UPDATE",
    # One Discord user's /link attempts run one at a time, even from several processes,
    # so that concurrent attempts cannot all pass the lockout check before any is counted.
    "link_attempts_lock": "SELECT pg_advisory_xact_lock(1818848875, hashtext(:user))",
}

_PARAM = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


def prepare(sql: str, style: str) -> tuple[str, tuple[str, ...]]:
    """Rewrite `:name` parameters for a driver.

    Args:
        sql: a statement with `:name` parameters.
        style: `named` (sqlite3 takes it as it is) or `numeric_dollar` (`$1`, for asyncpg).

    Returns:
        The statement and the parameter names in positional order (empty for `named`).
    """
    if style == "named":
        return sql, ()
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PARAM.sub(number, sql), tuple(names)
