"""PostgreSQL through SQLAlchemy's async engine and asyncpg."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from ledger.store.batch_queries import BATCH_POSTGRES
from ledger.store.database import Database, Tx, compile_sql
from ledger.store.incident_queries import INCIDENT_POSTGRES
from ledger.store.outbox_queries import OUTBOX_OVERRIDES
from ledger.store.queries import POSTGRES_OVERRIDES
from ledger.store.ticket_queries import TICKET_OVERRIDES
from ledger.store.urls import async_url, connect_args

log = logging.getLogger(__name__)

__all__ = ["PostgresDatabase"]

T = TypeVar("T")


class PostgresDatabase(Database):
    """The PostgreSQL engine (see `ledger.store.database`).

    Each unit of work runs on the raw asyncpg cursor inside `run_sync`, so a whole
    operation costs one trip through SQLAlchemy's greenlet bridge.
    """

    dialect = "postgresql"

    def __init__(self, url: str, pool_size: int | None = None) -> None:
        self.url = url
        size = pool_size or 10
        self.engine = create_async_engine(
            async_url(url),
            pool_size=size,
            max_overflow=size,
            pool_pre_ping=True,
            connect_args=connect_args(url),  # bounded connects and statements
        )
        overrides = {**POSTGRES_OVERRIDES, **TICKET_OVERRIDES, **OUTBOX_OVERRIDES}
        self._sql = compile_sql(
            "numeric_dollar", {**overrides, **BATCH_POSTGRES, **INCIDENT_POSTGRES}
        )
        self._conflict = self.engine.dialect.dbapi.IntegrityError

    def _in_transaction(self, sync: Connection, op: Callable[[Tx], T], commit: bool) -> T:
        dbapi: Any = sync.connection.dbapi_connection
        cursor = dbapi.cursor()
        try:
            result = op(Tx(cursor, self._sql, "postgresql", self._conflict))
        except BaseException:
            dbapi.rollback()
            raise
        if commit:
            dbapi.commit()
        else:
            dbapi.rollback()
        return result

    async def write(self, op: Callable[[Tx], T]) -> T:
        async with self.engine.connect() as conn:
            return await conn.run_sync(self._in_transaction, op, True)

    async def read(self, op: Callable[[Tx], T]) -> T:
        async with self.engine.connect() as conn:
            return await conn.run_sync(self._in_transaction, op, False)

    async def close(self) -> None:
        await self.engine.dispose()
