"""Reading a ledger's database from the outside, with SQL of the test's own.

Tests check what the product stored through a connection that shares no code with it:
plain sqlite3 for a SQLite file, plain asyncpg for PostgreSQL. `?` marks a parameter.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sqlalchemy.engine import make_url


async def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Every row of `sql` run against the database at `url`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return await asyncio.to_thread(_sqlite, parsed.database or "", sql, params)
    import asyncpg

    parts = sql.split("?")
    text = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))
    conn = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )
    try:
        return [tuple(row) for row in await conn.fetch(text, *params)]
    finally:
        await conn.close()


def _sqlite(path: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


async def journal_sums(url: str, account_id: str) -> dict[str, int]:
    """Each bucket's sum of journal rows."""
    rows = await query(
        url,
        "SELECT bucket, SUM(amount) FROM journal WHERE account_id = ? AND bucket IS NOT NULL"
        " GROUP BY bucket",
        account_id,
    )
    return {bucket: int(total) for bucket, total in rows}


async def stored_buckets(url: str, account_id: str) -> dict[str, int]:
    """The balances stored on the account row."""
    rows = await query(
        url,
        "SELECT daily, monthly, rollover, api_credits FROM accounts WHERE account_id = ?",
        account_id,
    )
    daily, monthly, rollover, api = rows[0]
    return {"daily": daily, "monthly": monthly, "rollover": rollover, "api": api}


async def sums_match(url: str, account_id: str) -> bool:
    """Each stored bucket equals the sum of its journal rows."""
    stored, sums = await stored_buckets(url, account_id), await journal_sums(url, account_id)
    return all(stored[b] == sums.get(b, 0) for b in stored)
