"""Migration 0005 on a database that already has tickets: they keep everything and gain the
desk's columns empty; the new checks hold."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from ledger.errors import Conflict
from ledger.store.database import open_database
from ledger.store.migrate import _config
from ledger.store.ticket_records import load_ticket, rate_ticket
from ledger.store.urls import async_url, connect_args

INSERT = (
    "INSERT INTO tickets (kind, category, state, user_id, tokens, answers, created_us,"
    " updated_us, refunded, notice_pending) VALUES ('complaint', 'billing', 'open', '42', 0,"
    " '[]', 1, 1, 0, :no)"
)


@pytest.fixture
def fresh_sqlite(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"


async def _at(url: str, revision: str, *sql: str) -> None:
    engine = create_async_engine(async_url(url), connect_args=connect_args(url, statements=False))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: command.upgrade(_config(sync), revision))
            for statement in sql:
                await conn.execute(text(statement), {"no": False})
    finally:
        await engine.dispose()


async def test_tickets_from_before_the_desk_keep_their_data_and_gain_empty_columns(fresh_sqlite):
    await _at(fresh_sqlite, "0004", INSERT, INSERT)
    await _at(fresh_sqlite, "head")
    db = open_database(fresh_sqlite)
    try:
        ticket = await db.read(lambda tx: load_ticket(tx, 1))
        assert (ticket.user_id, ticket.category, ticket.state) == ("42", "billing", "open")
        assert ticket.triage_message_id is None and ticket.thread_id is None
        assert ticket.rating is None and ticket.quiet is False and ticket.last_reply_by is None
        assert await db.write(lambda tx: rate_ticket(tx, 1, 4, 5))
        assert not await db.write(lambda tx: rate_ticket(tx, 1, 5, 6))  # once
        with pytest.raises(Conflict):  # the database refuses a rating outside 1 to 5
            await db.write(lambda tx: rate_ticket(tx, 2, 9, 6))
    finally:
        await db.close()
