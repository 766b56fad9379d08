"""Ingest benchmark: events per second into PostgreSQL and SQLite, by file and by webhook.

Every figure comes from one run on this machine, each backend measured the same way:

- file: `tokendesk ingest FILE` as a whole process (start-up and schema check included);
- webhook: `tokendesk webhook` as one process, then two on the same PostgreSQL database,
  fed signed batches of 500 events (encoded and signed before the clock starts) with
  several requests in flight to each (aiohttp); timed from the first post to the last
  answer (start-up excluded).

PostgreSQL runs in databases made for the run (CREATE DATABASE on 127.0.0.1:5432 as user
postgres, dropped at the end); SQLite in temporary files. Schemas are made with
`python -m bot db upgrade`.

    .venv/bin/python bench/ingest_pg.py [--quick] [--in-flight N] [--batch N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402

from bot.http.webhook import sign  # noqa: E402

PG_ADMIN = os.environ.get("TOKENDESK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BASE = "postgresql+asyncpg://postgres@127.0.0.1:5432"
SECRET = "bench-secret"


def events(count: int) -> list[dict]:
    """`count` events: maestro accounts (one per 50 events), then charges over the last day."""
    accounts = max(1, count // 50)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    out = [
        {
            "id": f"c{n}",
            "type": "account.created",
            "at": start.isoformat(),
            "account_id": f"ing-{n}",
            "plan": "maestro",
        }
        for n in range(accounts)
    ]
    step = timedelta(hours=23) / max(1, count - accounts)
    for n in range(count - accounts):
        out.append(
            {
                "id": f"g{n}",
                "type": "generation.charged",
                "at": (start + timedelta(minutes=1) + step * n).isoformat(),
                "account_id": f"ing-{n % accounts}",
                "generation_id": f"gen-{n}",
                "source": "web",
                "cost": 3,
                "settings": {"model": "phoenix"},
            }
        )
    return out


def tokendesk(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TOKENDESK_DATABASE_URL": url, "TOKENDESK_WEBHOOK_SECRET": SECRET}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )


def upgrade(url: str) -> None:
    done = tokendesk(url, "db", "upgrade")
    if done.returncode != 0:
        raise SystemExit(f"db upgrade failed for {url}: {done.stderr}")


def file_ingest(url: str, path: Path, count: int) -> tuple[float, str]:
    """Events per second of `tokendesk ingest` as a whole process, and its summary line."""
    upgrade(url)
    started = time.perf_counter()
    done = tokendesk(url, "ingest", str(path))
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ingest failed: {done.stdout[:500]} {done.stderr[:500]}")
    return count / elapsed, done.stdout.splitlines()[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def webhook_ingest(
    url: str, body: list[dict], batch: int, in_flight: int, processes: int = 1
) -> tuple[float, Counter[str]]:
    """Events per second through `processes` webhook processes on one database.

    Bodies are encoded and signed before the clock starts; each process gets every
    `processes`-th request and `in_flight` requests at a time.
    """
    upgrade(url)
    env = {**os.environ, "TOKENDESK_DATABASE_URL": url, "TOKENDESK_WEBHOOK_SECRET": SECRET}
    procs, bases = [], []
    for _ in range(processes):
        port = free_port()
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                *("-m", "bot", "webhook", "--port", str(port)),
                env=env,
                cwd=ROOT,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    outcomes: Counter[str] = Counter()
    try:
        connector = aiohttp.TCPConnector(limit=in_flight * processes)
        async with aiohttp.ClientSession(connector=connector) as session:
            for proc, base in zip(procs, bases, strict=True):
                await _wait_ready(session, base, proc)
            accounts = [e for e in body if e["type"] == "account.created"]
            rest = [e for e in body if e["type"] != "account.created"]

            def signed(chunk: list[dict]) -> tuple[bytes, dict[str, str]]:
                data = json.dumps(chunk).encode()
                stamp = str(int(time.time()))
                return data, {
                    "X-Tokendesk-Timestamp": stamp,
                    "X-Tokendesk-Signature": sign(SECRET, stamp, data),
                    "Content-Type": "application/json",
                }

            opening = [signed(accounts[n : n + batch]) for n in range(0, len(accounts), batch)]
            queues: list[asyncio.Queue] = [asyncio.Queue() for _ in bases]
            for k, n in enumerate(range(0, len(rest), batch)):
                queues[k % processes].put_nowait(signed(rest[n : n + batch]))

            async def post(base: str, request: tuple[bytes, dict[str, str]]) -> None:
                data, headers = request
                async with session.post(f"{base}/v1/events", data=data, headers=headers) as r:
                    answer = await r.json()
                    if r.status != 200:
                        raise SystemExit(f"webhook answered {r.status}: {answer}")
                outcomes.update(result["outcome"] for result in answer["results"])

            async def worker(base: str, queue: asyncio.Queue) -> None:
                while not queue.empty():
                    await post(base, queue.get_nowait())

            started = time.perf_counter()
            for request in opening:  # accounts first: charges need them
                await post(bases[0], request)
            await asyncio.gather(
                *(
                    worker(base, queue)
                    for base, queue in zip(bases, queues, strict=True)
                    for _ in range(in_flight)
                )
            )
            elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            proc.terminate()
            await proc.wait()
    return len(body) / elapsed, outcomes


async def _wait_ready(
    session: aiohttp.ClientSession, base: str, proc: asyncio.subprocess.Process
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            err = await proc.stderr.read() if proc.stderr else b""
            raise SystemExit(f"webhook exited: {err.decode()[-500:]}")
        try:
            async with session.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise SystemExit("webhook never became ready")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the run, dropped afterwards; yields its URL."""
    name = f"tokendesk_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_BASE}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the events")
    parser.add_argument("--in-flight", type=int, default=4, help="requests in flight a process")
    parser.add_argument("--batch", type=int, default=500, help="events per webhook request")
    args = parser.parse_args()
    count = 5_000 if args.quick else 50_000
    body = events(count)
    folder = Path(tempfile.mkdtemp(prefix="tokendesk-bench-pg-"))
    figures: dict[str, tuple[float, str]] = {}
    try:
        path = folder / "events.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in body))
        figures["sqlite file"] = file_ingest(
            f"sqlite+aiosqlite:///{folder / 'file.db'}", path, count
        )
        with pg_database() as url:
            figures["postgresql file"] = file_ingest(url, path, count)
        for processes in (1, 2):
            with pg_database() as url:
                rate, outcomes = asyncio.run(
                    webhook_ingest(url, body, args.batch, args.in_flight, processes)
                )
                figures[f"postgresql webhook {processes}"] = (rate, _shown(outcomes))
        hook_url = f"sqlite+aiosqlite:///{folder / 'hook.db'}"
        rate, outcomes = asyncio.run(webhook_ingest(hook_url, body, args.batch, args.in_flight))
        figures["sqlite webhook 1"] = (rate, _shown(outcomes))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def line(label: str, key: str, ratio: str = "") -> None:
        rate, summary = figures[key]
        print(f"  {label:<34} {rate:>9,.0f} events/s  {ratio:<28} [{summary}]")

    lite, pg = figures["sqlite file"][0], figures["postgresql file"][0]
    one, two = figures["postgresql webhook 1"][0], figures["postgresql webhook 2"][0]
    print(f"ingest of {count:,} events (maestro accounts, web charges), one run on this machine")
    print("  tokendesk ingest FILE (whole process, same file)")
    line("SQLite", "sqlite file")
    line("PostgreSQL", "postgresql file", f"{pg / lite:.2f} of SQLite (target >= 1.0)")
    print(f"  webhook: {args.batch} events a request, {args.in_flight} in flight a process")
    line("PostgreSQL, 1 process", "postgresql webhook 1")
    line("PostgreSQL, 2 processes", "postgresql webhook 2", f"{two / one:.2f}x 1 (target >= 1.6)")
    line("SQLite, 1 process", "sqlite webhook 1")


def _shown(outcomes: Counter[str]) -> str:
    return ", ".join(f"{key} {value:,}" for key, value in sorted(outcomes.items()))


if __name__ == "__main__":
    main()
