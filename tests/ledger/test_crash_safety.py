"""Crash safety: a process killed mid-stream, then re-run, ends where a clean run ends.

`tokendesk ingest` and `tokendesk webhook` run as real processes on real SQLite files and
are killed with SIGKILL half-way. Re-sending what was sent (the whole file, or every batch
whose answer never came) must skip what had been committed and apply the rest, so that
every account, journal row, generation, refund and remembered event is the same as after
one uninterrupted run (apart from `recorded_us`, the wall-clock instant of the write).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.http.webhook import make_app, sign
from ledger.clock import SystemClock
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.audit import query

ROOT = Path(__file__).parents[2]
SECRET = "crash-test-secret"
PAID = ("apprentice", "artisan", "maestro")
PLANS = ("free", *PAID)


def stream(count: int, accounts: int, seed: int) -> list[dict[str, Any]]:
    """`count` events for `accounts` accounts over the 40 days before now, none rejectable.

    Every account is created first; then mostly charges, with failures and successes of
    earlier charges, plan changes, API credits, payment events (only on accounts that are
    paid throughout), some late events and some exact repeats (skipped as seen). Nothing in
    it can be rejected, so that a re-run after a crash has no rejected line to re-evaluate
    against a later state (a rejected line is not remembered: SPEC 2, edge cases).
    """
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=40)
    always_paid = {f"acc-{n}" for n in range(accounts) if n % 3 == 0}
    events: list[dict[str, Any]] = []
    for n in range(accounts):
        account = f"acc-{n}"
        plan = rng.choice(PAID) if account in always_paid else rng.choice(PLANS)
        at = start + timedelta(minutes=rng.randrange(24 * 60))
        events.append(_body(f"c-{n}", "account.created", at, account, plan=plan))
    pending: dict[str, list[str]] = {f"acc-{n}": [] for n in range(accounts)}
    rest = count - accounts
    first, last = start + timedelta(days=1), now - timedelta(minutes=10)
    step = (last - first) / rest
    for n in range(rest):
        at = first + step * n
        if rng.random() < 0.03:
            at -= timedelta(minutes=rng.randrange(1, 6 * 60))  # arrives late
        if n > 100 and rng.random() < 0.01:
            events.append(dict(rng.choice(events[-100:])))  # sent twice: skipped as seen
            continue
        account = f"acc-{rng.randrange(accounts)}"
        roll = rng.random()
        event_id = f"e-{n}"
        if roll < 0.08 and pending[account]:
            gid = pending[account].pop(rng.randrange(len(pending[account])))
            if rng.random() < 0.6:
                reason = rng.choice([None, "nsfw filter", "timeout **after** 30s", "@everyone"])
                events.append(
                    _body(event_id, "generation.failed", at, account, generation_id=gid)
                    | ({"reason": reason} if reason else {})
                )
            else:
                events.append(
                    _body(event_id, "generation.succeeded", at, account, generation_id=gid)
                )
        elif roll < 0.11:
            choices = PAID if account in always_paid else PLANS
            events.append(
                _body(event_id, "subscription.changed", at, account, plan=rng.choice(choices))
            )
        elif roll < 0.13:
            amount = rng.randrange(1, 2_000)
            events.append(_body(event_id, "api_credits.added", at, account, amount=amount))
        elif roll < 0.14 and account in always_paid:
            kind = rng.choice(("payment.failed", "payment.succeeded"))
            events.append(_body(event_id, kind, at, account))
        else:
            gid = f"g-{n}"
            source = "api" if rng.random() < 0.1 else "web"
            cost = rng.randrange(1, 400) if rng.random() < 0.95 else rng.randrange(1, 40_000)
            body = _body(
                event_id,
                "generation.charged",
                at,
                account,
                generation_id=gid,
                source=source,
                cost=cost,
            )
            if rng.random() < 0.3:
                body["settings"] = {"model": "phoenix", "width": 1024, "alchemy": True}
            events.append(body)
            pending[account].append(gid)
    return events


def _body(event_id: str, kind: str, at: datetime, account: str, **fields: Any) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "at": at.isoformat(), "account_id": account, **fields}


def tables(path: Path) -> dict[str, Any]:
    """Everything stored, in a form two runs can be compared by (no row ids, no wall clock)."""
    conn = sqlite3.connect(path)
    try:
        journal: dict[str, list[tuple[Any, ...]]] = {}
        rows = conn.execute(
            "SELECT account_id, kind, bucket, amount, balance_after, due_us, reference, note"
            " FROM journal ORDER BY id"
        )
        for row in rows:
            journal.setdefault(row[0], []).append(row)
        return {
            "accounts": conn.execute("SELECT * FROM accounts ORDER BY account_id").fetchall(),
            "journal": journal,
            "generations": conn.execute(
                "SELECT * FROM generations ORDER BY generation_id"
            ).fetchall(),
            "refunds": conn.execute("SELECT * FROM refunds ORDER BY generation_id").fetchall(),
            "events": conn.execute(
                "SELECT event_id, account_id, digest, outcome FROM events ORDER BY event_id"
            ).fetchall(),
        }
    finally:
        conn.close()


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Compare two `tables` results, naming the first difference instead of dumping both."""
    assert got.keys() == want.keys()
    for name in want:
        if got[name] == want[name]:
            continue
        if name == "journal":
            accounts = sorted(set(got[name]) | set(want[name]))
            bad = [a for a in accounts if got[name].get(a) != want[name].get(a)]
            first = bad[0]
            mine, theirs = got[name].get(first, []), want[name].get(first, [])
            at = next(
                (i for i, (x, y) in enumerate(zip(mine, theirs, strict=False)) if x != y),
                min(len(mine), len(theirs)),
            )
            raise AssertionError(
                f"journal differs for {len(bad)} accounts; first {first!r} at row {at}:"
                f" after the crash {mine[at : at + 3]}, clean run {theirs[at : at + 3]}"
                f" ({len(mine)} vs {len(theirs)} rows)"
            )
        mine, theirs = set(got[name]), set(want[name])
        raise AssertionError(
            f"{name} differ: only after the crash {sorted(mine - theirs)[:3]},"
            f" only in the clean run {sorted(theirs - mine)[:3]}"
        )


def count_events(path: Path) -> int:
    """Events committed so far, read the way another process would (WAL snapshot)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def env_for(path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TOKENDESK_DATABASE_URL": f"sqlite+aiosqlite:///{path}",
        "TOKENDESK_WEBHOOK_SECRET": SECRET,
    }


def fresh(tmp_path: Path, template: str, name: str) -> Path:
    path = tmp_path / name
    shutil.copy(template, path)
    return path


def ingest(path: Path, events_file: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ingest", str(events_file)],
        env=env_for(path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert not done.stderr, done.stderr
    return done.returncode, done.stdout


def summary(out: str) -> dict[str, int]:
    """The counts of the `ingest` summary line."""
    match = re.search(
        r"applied (\d+) \((\d+) late\), refused charges (\d+), skipped as seen (\d+),"
        r" rejected (\d+)",
        out,
    )
    assert match, out
    keys = ("applied", "late", "refused", "skipped", "rejected")
    return dict(zip(keys, map(int, match.groups()), strict=True))


def kill_at(proc: subprocess.Popen, path: Path, target: int, high: int) -> int:
    """SIGKILL `proc` once `target` (at most `high`) events are committed; the count then."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the process ended before {target} events were in")
        try:
            seen = count_events(path)
        except sqlite3.OperationalError:  # the file is being created or migrated
            seen = 0
        if target <= seen <= high:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return seen
        if seen > high:
            raise AssertionError(f"{seen} events were in before the poll saw fewer than {high}")
        time.sleep(0.005)
    raise AssertionError("the process never got far enough to be killed")


def test_ingest_killed_mid_file_then_rerun_ends_like_a_clean_run(
    tmp_path, migrated_sqlite_template
):
    events = stream(100_000, accounts=300, seed=11)
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("".join(json.dumps(e) + "\n" for e in events))

    clean_db = fresh(tmp_path, migrated_sqlite_template, "clean.db")
    code, out = ingest(clean_db, events_file)
    assert code == 0, out
    clean = summary(out)
    assert clean["rejected"] == 0 and clean["skipped"] > 0 and clean["late"] > 0, out
    total = count_events(clean_db)

    crashed_db = fresh(tmp_path, migrated_sqlite_template, "crashed.db")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", str(events_file)],
        env=env_for(crashed_db),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        target = random.randint(total // 10, total * 8 // 10)  # anywhere; printed below
        seen = kill_at(proc, crashed_db, target, total * 9 // 10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    committed = count_events(crashed_db)
    print(
        f"\ncrash: ingest killed with {seen:,} of {total:,} events in"
        f" ({committed:,} committed once it was dead)"
    )
    assert integrity(crashed_db) == "ok"
    assert total // 10 <= committed < total

    code, out = ingest(crashed_db, events_file)
    assert code == 0, out
    rerun = summary(out)
    assert rerun["skipped"] == clean["skipped"] + committed, out
    accepted = rerun["applied"] + rerun["refused"]
    assert accepted == clean["applied"] + clean["refused"] - committed, out
    assert_same(tables(crashed_db), tables(clean_db))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Webhook:
    """`python -m bot webhook` as a real process on a fixed port."""

    def __init__(self, path: Path, port: int, logs: Path) -> None:
        self.path, self.port, self.logs = path, port, logs
        self.proc: asyncio.subprocess.Process | None = None
        self.url = f"http://127.0.0.1:{port}"

    async def start(self, session: aiohttp.ClientSession) -> None:
        with self.logs.open("ab") as log_file:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                *("-m", "bot", "webhook", "--port", str(self.port)),
                env=env_for(self.path),
                cwd=ROOT,
                stdout=log_file,
                stderr=log_file,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.returncode is not None:
                raise AssertionError(f"webhook exited: {self.logs.read_text()}")
            try:
                async with session.get(f"{self.url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        raise AssertionError(f"webhook never answered: {self.logs.read_text()}")

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                await self.kill()


def batches(events: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(events), size):
        yield events[start : start + size]


async def send_all(
    hook: Webhook,
    session: aiohttp.ClientSession,
    events: list[dict[str, Any]],
    *,
    lose: float = 0.0,
) -> dict[str, int]:
    """Post signed batches in order, retrying a batch until its answer arrives.

    With `lose`, that share of answers is dropped as if the connection broke after the
    server committed: the batch is sent again and must come back all skipped.

    Returns how many posts got no answer and how the answered retries went.
    """
    rng = random.Random(13)
    tally = {"unanswered": 0, "retry_skipped": 0, "retry_applied": 0, "lost": 0}
    for batch in batches(events, 200):
        body = json.dumps(batch).encode()
        retried = False
        deadline = time.monotonic() + 60
        while True:
            stamp = str(int(time.time()))
            headers = {
                "X-Tokendesk-Timestamp": stamp,
                "X-Tokendesk-Signature": sign(SECRET, stamp, body),
                "Content-Type": "application/json",
            }
            try:
                async with session.post(
                    f"{hook.url}/v1/events", data=body, headers=headers
                ) as response:
                    status, answer = response.status, await response.json()
            except (aiohttp.ClientError, ConnectionError, json.JSONDecodeError):
                assert time.monotonic() < deadline, "the webhook did not come back"
                tally["unanswered"] += 1
                retried = True
                await asyncio.sleep(0.02)
                continue
            assert status == 200, answer
            outcomes = [r["outcome"] for r in answer["results"]]
            assert len(outcomes) == len(batch) and "rejected" not in outcomes, answer
            if retried:
                key = "retry_skipped" if set(outcomes) == {"skipped"} else "retry_applied"
                tally[key] += 1
            if not retried and rng.random() < lose:
                tally["lost"] += 1
                retried = True
                continue
            break
    return tally


async def test_webhook_killed_while_a_sender_retries_ends_like_a_clean_run(
    tmp_path, migrated_sqlite_template
):
    events = stream(20_000, accounts=100, seed=12)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        clean_db = fresh(tmp_path, migrated_sqlite_template, "clean.db")
        clean = Webhook(clean_db, free_port(), tmp_path / "clean.log")
        await clean.start(session)
        try:
            await send_all(clean, session, events)
        finally:
            await clean.stop()
        total = count_events(clean_db)

    crashed_db = fresh(tmp_path, migrated_sqlite_template, "crashed.db")
    hook = Webhook(crashed_db, free_port(), tmp_path / "crashed.log")
    kills: list[tuple[int, int]] = []
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await hook.start(session)
        sender = asyncio.create_task(send_all(hook, session, events, lose=0.05))
        try:
            for fraction in (0.15, 0.45, 0.75):  # three crashes, each restarted
                target = int(total * (fraction + random.uniform(0, 0.1)))
                while not sender.done():
                    current = await asyncio.to_thread(count_events, crashed_db)
                    if current >= target:
                        await hook.kill()
                        kills.append((current, count_events(crashed_db)))
                        break
                    await asyncio.sleep(0.005)
                assert not sender.done(), "the sender finished before the webhook was killed"
                assert integrity(crashed_db) == "ok"
                await hook.start(session)
            tally = await asyncio.wait_for(sender, 120)
        finally:
            sender.cancel()
            await hook.stop()
    shown = ", ".join(f"{seen:,} ({committed:,} committed once dead)" for seen, committed in kills)
    print(
        f"\ncrash: webhook killed with {shown} of {total:,} events in;"
        f" posts without an answer {tally['unanswered']}, answers dropped by the sender"
        f" {tally['lost']}; answered retries: {tally['retry_skipped']} already committed"
        f" (all skipped), {tally['retry_applied']} applied"
    )
    assert all(total // 10 <= committed < total * 9 // 10 for _, committed in kills)
    assert tally["unanswered"] >= len(kills)
    assert tally["retry_skipped"] >= tally["lost"] > 0
    assert_same(tables(crashed_db), tables(clean_db))


@pytest.mark.postgres
async def test_retries_racing_their_first_attempt_on_postgresql_apply_each_event_once(pg_url):
    """A sender that gives up waiting retries while its first attempt still runs.

    Twelve batches over the same twenty accounts, each in its own order, each posted twice
    at once: row locks must serialize them (never a deadlock, never a 500), and every event
    applies exactly once: one attempt applies it, the other skips it.
    """
    db = open_database(pg_url)
    service = LedgerService(db, SystemClock())
    runner = web.AppRunner(make_app(service, SECRET))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1/events"
    at = datetime.now(UTC) - timedelta(hours=1)
    accounts = [f"acc-{n}" for n in range(20)]
    rng = random.Random(3)
    try:
        async with aiohttp.ClientSession() as session:

            async def post(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
                body = json.dumps(batch).encode()
                stamp = str(int(time.time()))
                headers = {
                    "X-Tokendesk-Timestamp": stamp,
                    "X-Tokendesk-Signature": sign(SECRET, stamp, body),
                }
                async with session.post(url, data=body, headers=headers) as response:
                    text = await response.text()
                    assert response.status == 200, text[:300]
                    return json.loads(text)["results"]

            opened = [_body(f"c-{a}", "account.created", at, a, plan="maestro") for a in accounts]
            await post(opened)
            batches = []
            for b in range(12):
                order = rng.sample(accounts, len(accounts))
                batches.append(
                    [
                        _body(
                            f"e-{b}-{k}",
                            "generation.charged",
                            at,
                            order[k % len(order)],
                            generation_id=f"g-{b}-{k}",
                            source="web",
                            cost=7,
                        )
                        for k in range(100)
                    ]
                )
            answers = await asyncio.gather(*(post(batch) for batch in batches + batches))
        outcomes: dict[str, list[str]] = {}
        for answer in answers:
            for result in answer:
                outcomes.setdefault(result["id"], []).append(result["outcome"])
        assert len(outcomes) == 1_200
        assert all(
            sorted(o) in (["applied", "skipped"], ["late", "skipped"]) for o in outcomes.values()
        )
        for account in accounts:
            balance = await service.balance(account)
            charges = sum(1 for batch in batches for e in batch if e["account_id"] == account)
            assert balance.monthly == 60_000 - 7 * charges
        sums = await query(
            db.url,
            "SELECT account_id, SUM(amount) FROM journal WHERE bucket = 'monthly'"
            " GROUP BY account_id",
        )
        assert {a: (await service.balance(a)).monthly for a in accounts} == dict(sums)
    finally:
        await runner.cleanup()
        await db.close()
