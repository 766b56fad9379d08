"""Shared fixtures: a fixed clock, real SQLite files, and real PostgreSQL.

PostgreSQL tests are marked `postgres`. They use `TOKENDESK_TEST_PG_URL` (default: the
local server's `test` database) and run in a database of their own made for the
session. Without a server they skip with the reason, except under CI=true, where a
missing PostgreSQL fails them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from ledger.clock import FixedClock
from ledger.service import LedgerService
from ledger.store.database import Database, open_database
from ledger.store.migrate import upgrade

PG_URL = os.environ.get(
    "TOKENDESK_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
TABLES = (
    "incident_alerts",
    "notify_prefs",
    "outbox",
    "leases",
    "ticket_log",
    "tickets",
    "refunds",
    "link_attempts",
    "link_codes",
    "events",
    "journal",
    "generations",
    "accounts",
)


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at 2026-03-10 12:00 UTC until a test moves it."""
    return FixedClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


@pytest.fixture
def sqlite_url(tmp_path, migrated_sqlite_template) -> str:
    """A fresh, migrated SQLite file for this test."""
    path = tmp_path / "ledger.db"
    shutil.copy(migrated_sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def _pg_admin(sql: str) -> None:
    await _pg_admin_on(PG_URL, sql)


async def _pg_admin_on(target: str, sql: str) -> None:
    import asyncpg

    from ledger.store.urls import async_url

    url = async_url(target)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_session_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated, dropped at the end."""
    name = f"tokendesk_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(upgrade(url))
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_url(pg_session_url: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    asyncio.run(
        _pg_admin_on(pg_session_url, f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    )
    return pg_session_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_url(request) -> str:
    """Runs a test once on a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = open_database(sqlite_url)
    yield database
    await database.close()


@pytest.fixture
async def ledger(db: Database, clock: FixedClock) -> LedgerService:
    """The ledger service on a fresh SQLite file, at the fixed clock."""
    return LedgerService(db, clock)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory) -> str:
    """A migrated, empty SQLite file; copy it for a fresh ledger in a fraction of a millisecond."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return str(path)
