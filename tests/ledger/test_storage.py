"""The database states the invariants; a unit of work is all or nothing."""

import sqlite3

import pytest

from tests.audit import query
from tests.ledger.builders import charged, created, failed


async def test_the_database_refuses_a_negative_bucket(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    with sqlite3.connect(book.service.db.path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE accounts SET daily = -1 WHERE account_id = 'acc'")


async def test_the_database_refuses_a_second_charge_and_a_second_refund(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    await book.ok(charged("2026-03-10T10:00:00Z", "g1", 5))
    await book.ok(failed("2026-03-10T10:01:00Z", "g1"))
    await book.service.refund("g1", reference="#1", actor="mod")
    with sqlite3.connect(book.service.db.path) as conn:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO generations SELECT * FROM generations WHERE generation_id = 'g1'"
            )
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO refunds SELECT * FROM refunds WHERE generation_id = 'g1'")


async def test_a_unit_of_work_that_raises_leaves_nothing_behind(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    await book.ok(charged("2026-03-10T09:10:00Z", "g1", 40))
    await book.ok(failed("2026-03-10T09:11:00Z", "g1"))

    def refund_then_fail(uow):
        paid = uow.refund("g1", reference="#1", actor="mod")
        assert paid.total == 40  # written, inside the transaction
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await book.service.write(refund_then_fail)
    assert await book.buckets("2026-03-10T09:12:00Z") == (110, 0, 0)
    assert await query(book.service.db.url, "SELECT * FROM refunds") == []
    assert (await book.service.refund("g1", reference="#2", actor="mod")).total == 40


async def test_tokens_are_64_bit_on_postgres_too(book):
    await book.ok(created("2026-03-10T09:00:00Z", plan="maestro"))
    from tests.ledger.builders import event

    big = 10**12
    for n in range(3):
        await book.ok(event("api_credits.added", f"2026-03-10T09:0{n + 1}:00Z", amount=big))
    assert (await book.balance("2026-03-10T09:05:00Z")).api_credits == 3 * big


def test_the_known_head_is_alembics_head():
    """A current SQLite file starts without Alembic only if HEAD names the newest script."""
    from ledger.store.migrate import HEAD, head_revision

    assert head_revision() == HEAD


def test_a_ledger_verb_loads_neither_alembic_nor_sqlalchemy_nor_discord(tmp_path):
    """The command line starts fast on a current SQLite file: what it does not need, it
    does not import."""
    import os
    import subprocess
    import sys

    url = f"sqlite+aiosqlite:///{tmp_path / 'fast.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENDESK_")}
    env["TOKENDESK_DATABASE_URL"] = url
    run = [sys.executable, "-X", "importtime", "-m", "bot"]
    subprocess.run([*run, "db", "upgrade"], env=env, capture_output=True, check=True)
    done = subprocess.run([*run, "history", "nobody"], env=env, capture_output=True, text=True)
    assert "no account" in done.stderr
    loaded = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert not {"alembic", "sqlalchemy", "discord", "aiohttp.web"} & loaded
