"""Two writers on one PostgreSQL: batches serialize, never deadlock, never lose or double.

A batch is read, decided in memory and then written. Another process may store one of
the batch's keys in between (the same event id, the same generation id, for another
account that the batch did not lock): the batch must then end exactly as if its events
had been applied one by one after that write, skipped or rejected, never applied twice.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import random
import socket
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from sqlalchemy.engine import make_url

from ledger.clock import SystemClock
from ledger.events import Event, parse_event
from ledger.plans import load_catalogue
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.audit import query

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).parents[2]
CAT = load_catalogue()
SECRET = "race-secret"


def sign(secret: str, stamp: str, body: bytes) -> str:
    """`X-Tokendesk-Signature` as SPEC 2 defines it: HMAC-SHA256 of `stamp.body`."""
    return "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + body, "sha256").hexdigest()


def _event(event_id: str, kind: str, account: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "at": at.isoformat(), "account_id": account, **fields}


def _parsed(*bodies: dict[str, Any]) -> list[Event]:
    out = [parse_event(body, CAT) for body in bodies]
    assert all(isinstance(e, Event) for e in out), out
    return out  # type: ignore[return-value]


async def _connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )


async def _wait_for_lock_waiters(url: str, count: int) -> None:
    """Until `count` sessions of the database wait on a lock held by another."""
    deadline = time.monotonic() + 20
    database = make_url(url).database
    while time.monotonic() < deadline:
        rows = await query(
            url,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = ? AND wait_event_type = 'Lock'",
            database,
        )
        if rows[0][0] >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never saw {count} sessions waiting on a lock")


async def test_a_batch_that_loses_a_race_for_its_keys_ends_as_if_applied_after_the_winner(
    pg_url,
):
    at = datetime.now(UTC) - timedelta(hours=1)
    first, second = (LedgerService(open_database(pg_url), SystemClock()) for _ in range(2))
    try:
        opened = await first.apply_many(
            _parsed(
                _event("open-a", "account.created", "a", at, plan="maestro"),
                _event("open-b", "account.created", "b", at, plan="maestro"),
                _event("open-q", "account.created", "q", at, plan="free", discord_user_id="42"),
            )
        )
        assert [r.outcome for r in opened] == ["applied"] * 3
        charge = {"source": "web", "cost": 100}
        # The winner writes its events, then must take Discord user 42 from account q,
        # whose row another session holds: it stays in its transaction, keys written.
        holder = await _connect(pg_url)
        await holder.execute("BEGIN")
        await holder.execute("SELECT 1 FROM accounts WHERE account_id = 'q' FOR UPDATE")
        winner = asyncio.ensure_future(
            second.apply_many(
                _parsed(
                    _event("dup", "generation.charged", "b", at, generation_id="g-b", **charge),
                    _event("e-b", "generation.charged", "b", at, generation_id="g-race", **charge),
                    _event("link-b", "account.linked", "b", at, discord_user_id="42"),
                )
            )
        )
        await _wait_for_lock_waiters(pg_url, 1)
        # The loser read before the winner committed: it saw neither `dup` nor `g-race`.
        loser = asyncio.ensure_future(
            first.apply_many(
                _parsed(
                    _event("e-a", "generation.charged", "a", at, generation_id="g-race", **charge),
                    _event("dup", "generation.charged", "a", at, generation_id="g-a", **charge),
                    _event("ok-a", "generation.charged", "a", at, generation_id="g-ok", **charge),
                )
            )
        )
        await _wait_for_lock_waiters(pg_url, 2)
        await holder.execute("COMMIT")
        await holder.close()
        won, lost = await asyncio.wait_for(asyncio.gather(winner, loser), 30)
        assert [r.outcome for r in won] == ["applied"] * 3
        assert [(r.outcome, r.reason) for r in lost] == [
            ("rejected", "generation_id 'g-race' was already charged"),
            ("rejected", "conflict: this id was seen with different content"),
            ("applied", None),
        ]
        assert (await first.balance("a")).monthly == 60_000 - 100
        assert (await first.balance("b")).monthly == 60_000 - 200
        assert (await first.account("42", by_user=True)).account_id == "b"
        owners = await query(pg_url, "SELECT generation_id, account_id FROM generations")
        assert dict(owners) == {"g-b": "b", "g-race": "b", "g-ok": "a"}
        journal = await query(pg_url, "SELECT reference FROM journal WHERE account_id = 'a'")
        assert sorted(r for (r,) in journal if r.startswith("g-")) == ["g-ok"]
    finally:
        await first.close()
        await second.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _webhook(url: str, logs: Path) -> tuple[asyncio.subprocess.Process, str]:
    port = _free_port()
    env = {**os.environ, "TOKENDESK_DATABASE_URL": url, "TOKENDESK_WEBHOOK_SECRET": SECRET}
    with logs.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "bot", "webhook", "--port", str(port)),
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )
    return proc, f"http://127.0.0.1:{port}"


async def _ready(session: aiohttp.ClientSession, proc: asyncio.subprocess.Process, base: str):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.returncode is None, "the webhook process exited"
        try:
            async with session.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the webhook never answered")


async def test_two_webhook_processes_over_the_same_accounts_apply_every_event_once(
    pg_url, tmp_path
):
    """Forty batches over the same thirty accounts, each in its own order, each posted
    to both processes at once: every event applies exactly once (the other copy is
    skipped), no request fails, no account loses or gains a charge."""
    at = datetime.now(UTC) - timedelta(hours=2)
    accounts = [f"acc-{n}" for n in range(30)]
    rng = random.Random(9)
    hooks = [await _webhook(pg_url, tmp_path / f"hook-{n}.log") for n in range(2)]
    try:
        async with aiohttp.ClientSession() as session:
            for proc, base in hooks:
                await _ready(session, proc, base)

            # Like a real sender: four requests in flight to each process, and a request the
            # process sheds (503, before reading its body) sent again after `Retry-After`.
            limits = {base: asyncio.Semaphore(4) for _, base in hooks}

            async def post(base: str, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
                body = json.dumps(batch).encode()
                async with limits[base]:
                    while True:
                        stamp = str(int(time.time()))
                        headers = {
                            "X-Tokendesk-Timestamp": stamp,
                            "X-Tokendesk-Signature": sign(SECRET, stamp, body),
                        }
                        async with session.post(
                            f"{base}/v1/events", data=body, headers=headers
                        ) as r:
                            text = await r.text()
                            if r.status == 503:
                                await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                                continue
                            assert r.status == 200, text[:300]
                            return json.loads(text)["results"]

            opened = [_event(f"c-{a}", "account.created", a, at, plan="maestro") for a in accounts]
            await post(hooks[0][1], opened)
            batches = []
            for b in range(40):
                order = rng.sample(accounts, len(accounts))
                batches.append(
                    [
                        _event(
                            f"e-{b}-{k}",
                            "generation.charged",
                            order[k % len(order)],
                            at + timedelta(seconds=b),
                            generation_id=f"g-{b}-{k}",
                            source="web",
                            cost=1 + k % 5,
                        )
                        for k in range(60)
                    ]
                )
            answers = await asyncio.wait_for(
                asyncio.gather(*(post(base, batch) for batch in batches for _, base in hooks)),
                240,
            )
    finally:
        for proc, _ in hooks:
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()
    outcomes: dict[str, list[str]] = {}
    for answer in answers:
        for result in answer:
            outcomes.setdefault(result["id"], []).append(result["outcome"])
    assert len(outcomes) == 40 * 60
    assert all(
        sorted(o) in (["applied", "skipped"], ["late", "skipped"]) for o in outcomes.values()
    )
    spent = dict.fromkeys(accounts, 0)
    for batch in batches:
        for event in batch:
            spent[event["account_id"]] += event["cost"]
    stored = await query(pg_url, "SELECT account_id, monthly FROM accounts")
    assert dict(stored) == {a: 60_000 - spent[a] for a in accounts}
    sums = await query(
        pg_url,
        "SELECT account_id, SUM(amount) FROM journal WHERE bucket = 'monthly' GROUP BY account_id",
    )
    assert dict(sums) == dict(stored)
    (count,) = (await query(pg_url, "SELECT COUNT(*) FROM generations"))[0]
    assert count == 40 * 60
