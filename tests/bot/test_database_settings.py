"""SPEC 5 and 7, as an operator meets them: database URLs, upgrades under a lock, timeouts."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

import pytest

from ledger.store.migrate import head_revision
from tests.bot.processes import ROOT, clean_env
from tests.conftest import PG_URL, _pg_admin


async def tokendesk(*args: str, within: float = 60, **settings: str) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` with only `settings` set; exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=clean_env(**settings),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), within)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.fixture
async def fresh_pg() -> str:
    """An empty PostgreSQL database (no schema), dropped afterwards; yields its URL."""
    name = f"tokendesk_fresh_{uuid.uuid4().hex[:10]}"
    try:
        await _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield PG_URL.rsplit("/", 1)[0].split("://", 1)[1] + f"/{name}"
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def upgraded_once(results: list[tuple[int, str, str]]) -> bool:
    outs = [out for _, out, _ in results]
    return (
        all(code == 0 for code, _, _ in results)
        and sum("upgraded from empty" in out for out in outs) == 1
        and sum(f"already at revision {head_revision()}" in out for out in outs) == 3
    )


@pytest.mark.postgres
async def test_four_upgrades_at_once_on_a_fresh_postgresql_upgrade_once(fresh_pg):
    url = f"postgresql://{fresh_pg}"
    results = await asyncio.gather(
        *(tokendesk("db", "upgrade", TOKENDESK_DATABASE_URL=url) for _ in range(4))
    )
    assert upgraded_once(results), results


async def test_four_upgrades_at_once_on_a_fresh_sqlite_file_upgrade_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    results = await asyncio.gather(
        *(tokendesk("db", "upgrade", TOKENDESK_DATABASE_URL=url) for _ in range(4))
    )
    assert upgraded_once(results), results


@pytest.mark.postgres
@pytest.mark.parametrize(
    "scheme",
    ["postgresql://", "postgres://", "postgresql+asyncpg://"],
)
async def test_every_postgresql_url_form_works(fresh_pg, scheme):
    url = f"{scheme}{fresh_pg}"
    code, out, err = await tokendesk("db", "upgrade", TOKENDESK_DATABASE_URL=url)
    assert code == 0 and "upgraded from empty" in out, err
    code, _, err = await tokendesk("balance", "nobody", TOKENDESK_DATABASE_URL=url)
    assert code == 2 and err == "tokendesk: no account or linked Discord user 'nobody'\n"


@pytest.mark.postgres
async def test_sslmode_is_honoured(fresh_pg):
    code, out, err = await tokendesk(
        "db", "upgrade", TOKENDESK_DATABASE_URL=f"postgres://{fresh_pg}?sslmode=disable"
    )
    assert code == 0 and "upgraded from empty" in out, err
    code, out, err = await tokendesk(
        "db", "upgrade", TOKENDESK_DATABASE_URL=f"postgresql://{fresh_pg}?sslmode=prefer"
    )
    assert code == 0 and "already at revision" in out, err
    # `require` is honoured too: this server offers no TLS, so the connection is refused.
    code, _, err = await tokendesk(
        "db", "upgrade", TOKENDESK_DATABASE_URL=f"postgresql://{fresh_pg}?sslmode=require"
    )
    assert code == 2 and err.count("\n") == 1 and "cannot reach the database" in err, err
    assert "Traceback" not in err and "TypeError" not in err


@pytest.mark.parametrize("form", ["sqlite:///{}", "sqlite+aiosqlite:///{}"])
async def test_every_sqlite_url_form_keeps_a_file(tmp_path, form):
    path = tmp_path / "ledger.db"
    code, out, err = await tokendesk("db", "upgrade", TOKENDESK_DATABASE_URL=form.format(path))
    assert code == 0 and "upgraded from empty" in out and path.stat().st_size > 0, err


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://root@localhost/db", "unsupported database 'mysql'"),
        ("not a url at all", "is not a database URL"),
        ("sqlite://", "names no SQLite file"),
        ("sqlite:///:memory:", "names no SQLite file"),
        ("postgresql://u@h/db?sslmode=sometimes", "sslmode=sometimes is not one of"),
    ],
)
async def test_other_urls_are_one_line_naming_the_setting(url, problem, tmp_path):
    code, out, err = await tokendesk("db", "upgrade", TOKENDESK_DATABASE_URL=url)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith("tokendesk: bad setting TOKENDESK_DATABASE_URL: ") and problem in err


async def test_a_database_that_accepts_but_never_answers_is_one_line_with_the_reason():
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accept, then say nothing

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"postgresql://tokendesk:hunter22@127.0.0.1:{port}/ledger"
    try:
        code, _, err = await tokendesk("balance", "a", within=30, TOKENDESK_DATABASE_URL=url)
    finally:
        server.close()
        for writer in held:
            writer.close()
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(
        f"tokendesk: cannot reach the database: no answer from 127.0.0.1:{port} within 5 s"
    )
    assert "hunter22" not in err
