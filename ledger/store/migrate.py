"""Schema migrations (Alembic), run through the async engine on either database.

Processes that start together upgrade once: the upgrade runs under a lock
(`pg_advisory_xact_lock` on PostgreSQL, an exclusive `flock` on a lock file beside a
SQLite database), and whoever gets it second finds the schema current and waits no more.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import TYPE_CHECKING

from ledger.errors import DatabaseUnavailable
from ledger.store.urls import (
    CONNECT_TIMEOUT_S,
    async_url,
    connect_args,
    is_sqlite,
    safe_url,
    sqlite_path,
    where,
)

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

log = logging.getLogger(__name__)

__all__ = ["HEAD", "UPGRADE_LOCK_KEY", "head_revision", "upgrade"]

HEAD = "0007"
"""The newest revision in `ledger/migrations/versions` (a test keeps it equal to Alembic's
head), so that a process whose SQLite file is current starts without loading Alembic."""

UPGRADE_LOCK_KEY = 0x746F6B656E64  # "tokend": the advisory lock every upgrader takes


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("ledger") / "migrations"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest schema revision the migration scripts know (Alembic's own reading)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _unreachable(url: str, exc: OSError) -> DatabaseUnavailable:
    if isinstance(exc, TimeoutError):
        cause = f"no answer from {where(url)} within {CONNECT_TIMEOUT_S} s"
    else:
        cause = f"{where(url)}: {exc.strerror or exc}"
    return DatabaseUnavailable(safe_url(url), cause)


def _lock_file(path: str) -> int:
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


@asynccontextmanager
async def _file_lock(url: str) -> AsyncIterator[None]:
    """On SQLite, hold an exclusive lock on a file beside the database (until commit)."""
    if not is_sqlite(url):
        yield
        return
    fd = await asyncio.to_thread(_lock_file, sqlite_path(url))
    try:
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _sqlite_revision(path: str) -> str | None:
    """The revision a SQLite file is at, read without Alembic (None if unknown)."""
    if not os.path.exists(path):
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])


async def upgrade(url: str) -> tuple[str | None, str]:
    """Bring the database at `url` to the newest revision, once, under the upgrade lock.

    Returns:
        The revision before and after.

    Raises:
        DatabaseUnavailable: the database does not answer, or the URL is not usable.
    """
    try:
        if is_sqlite(url) and _sqlite_revision(sqlite_path(url)) == HEAD:
            return HEAD, HEAD  # current already: nothing to lock, nothing to load
        target = async_url(url)
    except ValueError as exc:
        raise DatabaseUnavailable(safe_url(url), str(exc)) from None
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(target, connect_args=connect_args(url, statements=False))
    try:
        async with _file_lock(url), engine.begin() as conn:
            if not is_sqlite(url):  # held until this transaction ends
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY}
                )
            before = await conn.run_sync(_current)
            if before != head_revision():
                log.info("upgrading the database schema from %s to %s", before, head_revision())
                await conn.run_sync(lambda sync: command.upgrade(_config(sync), "head"))
            return before, head_revision()
    except OSError as exc:
        raise _unreachable(url, exc) from None
    finally:
        await engine.dispose()
