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
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

from ledger.errors import Conflict, DatabaseUnavailable
from ledger.store.batch_queries import BATCH_SQLITE
from ledger.store.incident_queries import INCIDENT_SQL
from ledger.store.outbox_queries import OUTBOX_SQL
from ledger.store.queries import SQL, prepare
from ledger.store.ticket_queries import TICKET_SQL
from ledger.store.urls import DEFAULT_URL, is_sqlite

log = logging.getLogger(__name__)

__all__ = [
    "Database",
    "DatabaseUnavailable",
    "Shape",
    "Tx",
    "compile_sql",
    "open_database",
    "resolve_all",
]

T = TypeVar("T")
Params = dict[str, Any]


_GETTERS: dict[tuple[str, tuple[str, ...]], Callable[[Any], tuple[Any, ...]]] = {}


class Shape(NamedTuple):
    """How to build a record from a row: the columns it needs, by name, and a constructor."""

    fields: tuple[str, ...]
    build: Callable[[tuple[Any, ...]], Any]


class Tx:
    """Runs the store's named statements on one driver cursor inside a transaction.

    Rows come back as records built by column name (`fetch`, `fetch_all`), never by
    position. A driver's integrity error (a key or a check refused the write) is raised
    as `ledger.errors.Conflict`.
    """

    __slots__ = ("_conflict", "_cursor", "_depth", "_sql", "dialect")

    def __init__(
        self,
        cursor: Any,
        sql: dict[str, tuple[str, tuple[str, ...]]],
        dialect: str,
        conflict: type[BaseException] | tuple[type[BaseException], ...],
    ) -> None:
        self._cursor = cursor
        self._sql = sql
        self._depth = 0
        self._conflict = conflict
        self.dialect = dialect
        """`sqlite` or `postgresql`: only the store's own modules may look at it."""

    def _execute(self, name: str, params: Params) -> Any:
        sql, order = self._sql[name]
        cursor = self._cursor
        try:
            cursor.execute(sql, tuple(params[key] for key in order) if order else params)
        except self._conflict as exc:
            raise Conflict(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
        return cursor

    def run(self, name: str, params: Params) -> int:
        """Execute a statement; returns the number of rows it changed."""
        return self._execute(name, params).rowcount

    def one(self, name: str, params: Params) -> tuple[Any, ...] | None:
        """Execute a query and return its first row, or None (for scalars and flags)."""
        return self._execute(name, params).fetchone()

    def fetch(self, name: str, params: Params, shape: Shape) -> Any:
        """The first row of a query as a record of `shape`, or None."""
        cursor = self._execute(name, params)
        row = cursor.fetchone()
        return None if row is None else shape.build(self._getter(name, shape)(row))

    def fetch_all(self, name: str, params: Params, shape: Shape) -> list[Any]:
        """Every row of a query, each as a record of `shape`."""
        cursor = self._execute(name, params)
        rows = cursor.fetchall()
        if not rows:
            return []
        get, build = self._getter(name, shape), shape.build
        return [build(get(row)) for row in rows]

    def _getter(self, name: str, shape: Shape) -> Callable[[Any], tuple[Any, ...]]:
        key = (self._sql[name][0], shape.fields)
        getter = _GETTERS.get(key)
        if getter is None:
            columns = [column[0].lower() for column in self._cursor.description]
            indexes = [columns.index(field) for field in shape.fields]
            if len(indexes) == 1:
                index = indexes[0]
                getter = lambda row: (row[index],)  # noqa: E731
            else:
                getter = itemgetter(*indexes)
            _GETTERS[key] = getter
        return getter

    def many(self, name: str, rows: Sequence[Params]) -> None:
        """Execute a statement once per parameter set."""
        if not rows:
            return
        if len(rows) == 1:
            self.run(name, rows[0])
            return
        sql, order = self._sql[name]
        batch = [tuple(r[k] for k in order) for r in rows] if order else rows
        try:
            self._cursor.executemany(sql, batch)
        except self._conflict as exc:
            raise Conflict(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc

    def many_rows(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute a statement with `?` parameters once per row, each already in order."""
        try:
            self._cursor.executemany(self._sql[name][0], rows)
        except self._conflict as exc:
            raise Conflict(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc

    def id_set(self, ids: Iterable[str]) -> Any:
        """A set of ids as the one `:ids` parameter `queries.in_ids` reads, sorted: an array
        on PostgreSQL, a JSON array on SQLite."""
        ordered = sorted(set(ids))
        return ordered if self.dialect == "postgresql" else json.dumps(ordered)

    def raw(self, sql: str) -> None:
        """Execute a statement that takes no parameters (savepoints, health checks)."""
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
    merged = {
        **SQL,
        **TICKET_SQL,
        **OUTBOX_SQL,
        **BATCH_SQLITE,
        **INCIDENT_SQL,
        **(overrides or {}),
    }
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
