"""Databases: one contract, two engines.

A unit of work is a plain synchronous function `op(tx)` that runs statements from
`ledger.store.queries` through `tx`. `await db.write(op)` runs it in one transaction
(rolled back if it raises) and returns its result; `await db.read(op)` runs it on a
consistent snapshot without writing.

- SQLite: one writer thread owns the write connection. Operations arriving together
  are grouped into one `BEGIN IMMEDIATE` transaction, each inside its own savepoint,
  and committed once: one thread hop per call and one commit per group. A write call
  returns only after its group is committed. Readers use their own WAL connection.
- PostgreSQL: SQLAlchemy's async engine with asyncpg; each write is its own
  transaction, and accounts are serialized with row locks (`SELECT ... FOR UPDATE`).
"""

from __future__ import annotations

import abc
import asyncio
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from ledger.store.queries import SQL, prepare
from ledger.store.urls import DEFAULT_URL, is_sqlite

log = logging.getLogger(__name__)

__all__ = [
    "Database",
    "DatabaseUnavailable",
    "Tx",
    "compile_sql",
    "open_database",
    "resolve_all",
]

T = TypeVar("T")
Params = dict[str, Any]


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened.

    Attributes:
        url: the URL, without its password.
        cause: the driver's own message.
    """

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(f"{url}: {cause}")
        self.url = url
        self.cause = cause


_PREPARED: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}


class Tx:
    """Runs statements on one driver cursor inside a transaction.

    The ledger's own statements are run by name (`run`, `one`, `all`, `many`); other
    packages bring their own SQL text with `:name` parameters (`run_sql`, `one_sql`,
    `all_sql`), prepared once per driver style and cached.
    """

    __slots__ = ("_cursor", "_depth", "_sql", "style")

    def __init__(
        self, cursor: Any, sql: dict[str, tuple[str, tuple[str, ...]]], style: str = "named"
    ) -> None:
        self._cursor = cursor
        self._sql = sql
        self._depth = 0
        self.style = style

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return "sqlite" if self.style == "named" else "postgresql"

    def _adhoc(self, sql: str, params: Params) -> tuple[str, Any]:
        key = (self.style, sql)
        prepared = _PREPARED.get(key)
        if prepared is None:
            prepared = _PREPARED[key] = prepare(sql, self.style)
        text, order = prepared
        return text, (tuple(params[k] for k in order) if order else params)

    def run_sql(self, sql: str, params: Params) -> int:
        """Execute SQL text with `:name` parameters; returns the rows changed."""
        self._cursor.execute(*self._adhoc(sql, params))
        return self._cursor.rowcount

    def one_sql(self, sql: str, params: Params) -> tuple[Any, ...] | None:
        """The first row of a query given as SQL text, or None."""
        self._cursor.execute(*self._adhoc(sql, params))
        return self._cursor.fetchone()

    def all_sql(self, sql: str, params: Params) -> list[tuple[Any, ...]]:
        """Every row of a query given as SQL text."""
        self._cursor.execute(*self._adhoc(sql, params))
        return list(self._cursor.fetchall())

    def _args(self, name: str, params: Params) -> tuple[str, Any]:
        sql, order = self._sql[name]
        return sql, (tuple(params[key] for key in order) if order else params)

    def run(self, name: str, params: Params) -> int:
        """Execute a statement; returns the number of rows it changed."""
        self._cursor.execute(*self._args(name, params))
        return self._cursor.rowcount

    def one(self, name: str, params: Params) -> tuple[Any, ...] | None:
        """Execute a query and return its first row, or None."""
        self._cursor.execute(*self._args(name, params))
        return self._cursor.fetchone()

    def all(self, name: str, params: Params) -> list[tuple[Any, ...]]:
        """Execute a query and return every row."""
        self._cursor.execute(*self._args(name, params))
        return list(self._cursor.fetchall())

    def many(self, name: str, rows: Sequence[Params]) -> None:
        """Execute a statement once per parameter set."""
        if not rows:
            return
        if len(rows) == 1:
            self.run(name, rows[0])
            return
        sql, order = self._sql[name]
        batch = [tuple(r[k] for k in order) for r in rows] if order else rows
        self._cursor.executemany(sql, batch)

    def raw(self, sql: str) -> None:
        """Execute a statement that takes no parameters (DDL, savepoints, tests)."""
        self._cursor.execute(sql)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Make the enclosed statements atomic inside the transaction."""
        self._depth += 1
        name = f"sp{self._depth}"
        self._cursor.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._cursor.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self._cursor.execute(f"RELEASE SAVEPOINT {name}")
            raise
        else:
            self._cursor.execute(f"RELEASE SAVEPOINT {name}")
        finally:
            self._depth -= 1


class Database(abc.ABC):
    """Where units of work run. See the module docstring."""

    url: str
    dialect: str

    @abc.abstractmethod
    async def write(self, op: Callable[[Tx], T]) -> T:
        """Run `op` in its own write transaction (or savepoint of a group) and commit it."""

    @abc.abstractmethod
    async def read(self, op: Callable[[Tx], T]) -> T:
        """Run `op` on a consistent read snapshot."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Finish pending work and release connections."""

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def compile_sql(style: str, overrides: dict[str, str] | None = None) -> dict:
    """Every named statement, rewritten for a driver's parameter style."""
    merged = {**SQL, **(overrides or {})}
    return {name: prepare(sql, style) for name, sql in merged.items()}


def open_database(url: str | None = None, *, pool_size: int | None = None) -> Database:
    """Open the database at `url` (default: `TOKENDESK_DATABASE_URL`, else `tokendesk.db`).

    The schema must already be current (`ledger.store.migrate.upgrade`).

    Raises:
        DatabaseUnavailable: the database cannot be opened.
    """
    url = url or os.environ.get("TOKENDESK_DATABASE_URL") or DEFAULT_URL
    if is_sqlite(url):
        from ledger.store.sqlite import SqliteDatabase

        return SqliteDatabase(url)
    from ledger.store.postgres import PostgresDatabase

    return PostgresDatabase(url, pool_size=pool_size)


def resolve_all(outcomes: list[tuple[asyncio.Future, Any, BaseException | None]]) -> None:
    """Settle futures from another thread's results (called on their event loop)."""
    for future, result, error in outcomes:
        if future.cancelled():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
