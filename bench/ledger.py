"""Ledger benchmark: prints figures from one run on this machine (see README, "Performance").

Every figure is measured in the same run as its baseline, on a SQLite file in WAL mode
with the same PRAGMAs (synchronous=NORMAL) for the ledger and for raw sqlite3.

    .venv/bin/python bench/ledger.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ledger.clock import FixedClock  # noqa: E402
from ledger.cycles import to_us  # noqa: E402
from ledger.events import Event, parse_event  # noqa: E402
from ledger.plans import load_catalogue  # noqa: E402
from ledger.service import LedgerService  # noqa: E402
from ledger.store.database import open_database  # noqa: E402
from ledger.store.migrate import upgrade  # noqa: E402
from ledger.store.sqlite import connect  # noqa: E402

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
CATALOGUE = load_catalogue()


def charge(account: str, gid: str, cost: int, at: datetime = NOW) -> Event:
    """A validated `generation.charged` event, built before any timing starts."""
    body = {
        "id": f"ev-{gid}",
        "type": "generation.charged",
        "at": at.isoformat(),
        "account_id": account,
        "generation_id": gid,
        "source": "web",
        "cost": cost,
    }
    parsed = parse_event(body, CATALOGUE)
    assert isinstance(parsed, Event), parsed
    return parsed


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def seed_accounts(path: str, accounts: int, rows_per_account: int = 0) -> None:
    """Bulk-load maestro accounts (and journal rows) straight into a migrated file."""
    at = to_us(NOW - timedelta(hours=1))
    conn = connect(path)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO accounts VALUES (?, 'maestro', 'active', 0, ?, 0, 0, ?, 0, NULL, 0, 0, 0,"
        " ?, ?, ?, NULL, NULL)",
        ((f"acc-{n}", 10**9, at, at, at, at) for n in range(accounts)),
    )
    if rows_per_account:
        conn.executemany(
            "INSERT INTO journal (account_id, kind, bucket, amount, balance_after, due_us,"
            " recorded_us, reference, note) VALUES (?, 'charge', 'monthly', -1, 1, ?, ?, ?, NULL)",
            (
                (f"acc-{n}", at, at, f"seed-{n}-{k}")
                for n in range(accounts)
                for k in range(rows_per_account)
            ),
        )
    conn.execute("COMMIT")
    conn.close()


async def fresh_file(folder: str, name: str) -> str:
    path = os.path.join(folder, name)
    await upgrade(f"sqlite:///{path}")
    return path


def raw_sqlite_charges(path: str, count: int, accounts: int) -> float:
    """The floor: one UPDATE plus one INSERT per transaction, nothing else."""
    conn = connect(path)
    cur = conn.cursor()
    at = to_us(NOW)
    started = time.perf_counter()
    for n in range(count):
        cur.execute("BEGIN IMMEDIATE")
        cur.execute(
            "UPDATE accounts SET monthly = monthly - ? WHERE account_id = ?",
            (1, f"acc-{n % accounts}"),
        )
        cur.execute(
            "INSERT INTO journal (account_id, kind, bucket, amount, balance_after, due_us,"
            " recorded_us, reference, note) VALUES (?, 'charge', 'monthly', ?, ?, ?, ?, ?, NULL)",
            (f"acc-{n % accounts}", -1, 0, at, at, f"raw-{n}"),
        )
        cur.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


async def ledger_charges(path: str, count: int, accounts: int, in_flight: int) -> float:
    db = open_database(f"sqlite:///{path}")
    service = LedgerService(db, FixedClock(NOW))

    events = [charge(f"acc-{n % accounts}", f"gen-{n}", 1) for n in range(count)]

    async def client(first: int) -> None:
        for n in range(first, count, in_flight):
            result = await service.apply(events[n])
            assert result.outcome == "applied", result

    started = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(in_flight)))
    elapsed = time.perf_counter() - started
    await db.close()
    return count / elapsed


async def single_charge_latency(path: str, count: int, accounts: int) -> tuple[float, list[float]]:
    db = open_database(f"sqlite:///{path}")
    service = LedgerService(db, FixedClock(NOW))
    samples = []
    for n in range(200):  # warm-up
        await service.apply(charge(f"acc-{n % accounts}", f"warm-{n}", 1))
    events = [charge(f"acc-{n % accounts}", f"one-{n}", 1) for n in range(count)]
    started = time.perf_counter()
    for n in range(count):
        t0 = time.perf_counter()
        await service.apply(events[n])
        samples.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    await db.close()
    return count / elapsed, samples


async def balance_reads(path: str, accounts: int, count: int) -> list[float]:
    db = open_database(f"sqlite:///{path}")
    service = LedgerService(db, FixedClock(NOW))
    rng = random.Random(7)
    samples = []
    for n in range(count + 200):
        who = f"acc-{rng.randrange(accounts)}"
        t0 = time.perf_counter()
        found = await service.balance(who)
        if n >= 200:
            samples.append(time.perf_counter() - t0)
        assert found is not None
    await db.close()
    return samples


def write_events(path: str, count: int) -> None:
    accounts = max(1, count // 50)
    start = NOW - timedelta(days=2)
    with open(path, "w") as out:
        for n in range(accounts):
            out.write(
                json.dumps(
                    {
                        "id": f"c{n}",
                        "type": "account.created",
                        "at": start.isoformat(),
                        "account_id": f"ing-{n}",
                        "plan": "maestro",
                    }
                )
                + "\n"
            )
        for n in range(count - accounts):
            at = start + timedelta(seconds=n)
            out.write(
                json.dumps(
                    {
                        "id": f"g{n}",
                        "type": "generation.charged",
                        "at": at.isoformat(),
                        "account_id": f"ing-{n % accounts}",
                        "generation_id": f"gen-{n}",
                        "source": "web",
                        "cost": 3,
                        "settings": {"model": "phoenix"},
                    }
                )
                + "\n"
            )


def cli_ingest(folder: str, count: int) -> tuple[float, str]:
    events = os.path.join(folder, "events.jsonl")
    write_events(events, count)
    url = f"sqlite+aiosqlite:///{os.path.join(folder, 'ingest.db')}"
    env = {**os.environ, "TOKENDESK_DATABASE_URL": url}
    cmd = [sys.executable, "-m", "bot"]
    subprocess.run([*cmd, "db", "upgrade"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    done = subprocess.run([*cmd, "ingest", events], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ingest failed: {done.stdout} {done.stderr}")
    return count / elapsed, done.stdout.splitlines()[0]


async def catch_up_year(path: str) -> tuple[float, int]:
    """A free account idle for 365 days, then one charge: the write that catches it up."""
    db = open_database(f"sqlite:///{path}")
    clock = FixedClock(NOW - timedelta(days=365))
    service = LedgerService(db, clock)
    from ledger.events import parse_event

    for n, plan in enumerate(["free", "apprentice"]):
        body = {
            "id": f"idle-{n}",
            "type": "account.created",
            "at": clock.now().isoformat(),
            "account_id": f"idle-{n}",
            "plan": plan,
        }
        await service.apply(parse_event(body, service.catalogue))
    then = clock.now()
    # idle-0 keeps 50: every day expires and grants; idle-1 keeps 50: daily top-ups all year.
    await service.apply(charge("idle-0", "idle-g0", 100, then))
    await service.apply(charge("idle-1", "idle-g1", 8_450, then))
    clock.set(NOW)
    late = [charge(f"idle-{n}", f"idle-late-{n}", 1) for n in range(2)]
    timings = []
    for n in range(2):
        t0 = time.perf_counter()
        await service.apply(late[n])
        timings.append(time.perf_counter() - t0)
    await db.close()
    with sqlite3.connect(path) as conn:
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM journal WHERE account_id = 'idle-1'"
        ).fetchone()
    return max(timings), count


async def main(quick: bool) -> None:
    scale = 0.1 if quick else 1.0
    charges = int(20_000 * scale)
    accounts = 1_000
    folder = tempfile.mkdtemp(prefix="tokendesk-bench-")
    try:
        template = await fresh_file(folder, "template.db")
        seed_accounts(template, accounts)
        paths = {}
        for name in ("raw", "grouped", "single"):
            paths[name] = os.path.join(folder, f"{name}.db")
            shutil.copy(template, paths[name])

        raw = raw_sqlite_charges(paths["raw"], charges, accounts)
        grouped = await ledger_charges(paths["grouped"], charges, accounts, in_flight=256)
        single_rate, single = await single_charge_latency(paths["single"], charges // 4, accounts)
        print(f"charges, {charges:,} over {accounts:,} accounts, SQLite WAL synchronous=NORMAL")
        print(f"  raw sqlite3 floor (UPDATE+INSERT, 1 tx each): {raw:,.0f}/s")
        print(
            f"  ledger, 256 in flight (group commit):        {grouped:,.0f}/s"
            f"  ratio {grouped / raw:.2f}  (target >= 0.60)"
        )
        print(
            f"  ledger, one at a time:                       {single_rate:,.0f}/s"
            f"  ratio {single_rate / raw:.2f}  (target >= 0.20)"
        )
        print(
            f"  single charge latency p50 {percentile(single, 50) * 1e3:.3f} ms"
            f"  p99 {percentile(single, 99) * 1e3:.3f} ms  (target p99 <= 1.5 ms)"
        )

        big_accounts, per = (int(100_000 * scale), 10)
        reads = os.path.join(folder, "reads.db")
        shutil.copy(await fresh_file(folder, "reads-template.db"), reads)
        t0 = time.perf_counter()
        seed_accounts(reads, big_accounts, per)
        print(
            f"balance reads, {big_accounts:,} accounts, {big_accounts * per:,} journal rows"
            f" (seeded in {time.perf_counter() - t0:.1f} s)"
        )
        samples = await balance_reads(reads, big_accounts, 5_000)
        p50, p99 = percentile(samples, 50) * 1e3, percentile(samples, 99) * 1e3
        print(f"  p50 {p50:.3f} ms  p99 {p99:.3f} ms  (target p99 <= 1 ms)")

        lines = int(100_000 * scale)
        rate, summary = cli_ingest(folder, lines)
        print(f"tokendesk ingest, {lines:,}-line file (whole process, start-up included)")
        print(f"  {rate:,.0f} events/s  (target >= 10,000)   [{summary}]")

        idle = os.path.join(folder, "idle.db")
        shutil.copy(template, idle)
        worst, rows = await catch_up_year(idle)
        print("catch-up of an account idle for 365 days (the write that journals every reset)")
        print(f"  {worst * 1e3:.2f} ms  (target <= 20 ms); journal rows of that account: {rows}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a tenth of the sizes, for a smoke run"
    )
    asyncio.run(main(parser.parse_args().quick))
