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

Where the machine's CPU counters can be read (Linux `/proc/stat`), it also prints what
bounds the two PostgreSQL ratios on this machine: the CPU each run used (the ingest
process from its own usage, the rest of the machine, mostly PostgreSQL, from the
counters) and the best figure those seconds allow with every core busy.

    .venv/bin/python bench/ingest_pg.py [--quick] [--in-flight N] [--batch N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
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
from dataclasses import dataclass
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


CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def machine_busy() -> float | None:
    """CPU seconds the whole machine has been busy since boot (None: cannot be read)."""
    try:
        with open("/proc/stat") as stat:
            user, nice, system, _idle, _iowait, irq, softirq = map(
                int, stat.readline().split()[1:8]
            )
    except (OSError, ValueError):
        return None
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class FileRun:
    """One `tokendesk ingest FILE`: its rate and summary, and the CPU it took."""

    rate: float
    summary: str
    wall: float
    process_cpu: float
    """CPU seconds of the ingest process itself."""
    machine_cpu: float | None
    """CPU seconds the whole machine was busy meanwhile (None: cannot be read)."""

    @property
    def elsewhere_cpu(self) -> float | None:
        """CPU seconds outside the ingest process: mostly the database server."""
        return None if self.machine_cpu is None else max(0.0, self.machine_cpu - self.process_cpu)

    def least_wall(self, split: bool) -> float | None:
        """The least wall time this CPU allows on this machine's cores.

        As it runs (`split` False), the ingest process and its server backend each work on
        one core at most; split over any number of processes (`split` True), the same CPU
        still needs every core busy for its sum divided by the cores.
        """
        elsewhere = self.elsewhere_cpu
        if elsewhere is None:
            return None
        spread = (self.process_cpu + elsewhere) / CORES
        return spread if split else max(self.process_cpu, elsewhere, spread)


def file_ingest(url: str, path: Path, count: int) -> FileRun:
    """`tokendesk ingest FILE` as a whole process: rate, summary line and CPU used."""
    upgrade(url)
    cpu, busy = children_cpu(), machine_busy()
    started = time.perf_counter()
    done = tokendesk(url, "ingest", str(path))
    elapsed = time.perf_counter() - started
    after = machine_busy()
    if done.returncode != 0:
        raise SystemExit(f"ingest failed: {done.stdout[:500]} {done.stderr[:500]}")
    machine = None if busy is None or after is None else after - busy
    return FileRun(
        count / elapsed, done.stdout.splitlines()[0], elapsed, children_cpu() - cpu, machine
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def webhook_ingest(
    url: str, body: list[dict], batch: int, in_flight: int, processes: int = 1
) -> tuple[float, Counter[str], float | None]:
    """Events per second through `processes` webhook processes on one database.

    Bodies are encoded and signed before the clock starts; each process gets every
    `processes`-th request and `in_flight` requests at a time. Also returns how many
    cores the machine kept busy while the requests ran (None: cannot be read).
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

            busy, started = machine_busy(), time.perf_counter()
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
            after = machine_busy()
    finally:
        for proc in procs:
            proc.terminate()
            await proc.wait()
    cores = None if busy is None or after is None else (after - busy) / elapsed
    return len(body) / elapsed, outcomes, cores


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
    files: dict[str, FileRun] = {}
    hooks: dict[str, tuple[float, str, float | None]] = {}
    try:
        path = folder / "events.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in body))
        files["sqlite"] = file_ingest(f"sqlite+aiosqlite:///{folder / 'file.db'}", path, count)
        with pg_database() as url:
            files["postgresql"] = file_ingest(url, path, count)
        for processes in (1, 2):
            with pg_database() as url:
                rate, outcomes, cores = asyncio.run(
                    webhook_ingest(url, body, args.batch, args.in_flight, processes)
                )
                hooks[f"postgresql {processes}"] = (rate, _shown(outcomes), cores)
        hook_url = f"sqlite+aiosqlite:///{folder / 'hook.db'}"
        rate, outcomes, cores = asyncio.run(
            webhook_ingest(hook_url, body, args.batch, args.in_flight)
        )
        hooks["sqlite 1"] = (rate, _shown(outcomes), cores)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def line(label: str, rate: float, summary: str, ratio: str = "") -> None:
        print(f"  {label:<34} {rate:>9,.0f} events/s  {ratio:<28} [{summary}]")

    lite, pg = files["sqlite"], files["postgresql"]
    one, two = hooks["postgresql 1"], hooks["postgresql 2"]
    print(f"ingest of {count:,} events (maestro accounts, web charges), one run on this machine")
    print("  tokendesk ingest FILE (whole process, same file)")
    line("SQLite", lite.rate, lite.summary)
    line("PostgreSQL", pg.rate, pg.summary, f"{pg.rate / lite.rate:.2f} of SQLite (target >= 1.0)")
    print(f"  webhook: {args.batch} events a request, {args.in_flight} in flight a process")
    line("PostgreSQL, 1 process", one[0], one[1])
    line("PostgreSQL, 2 processes", two[0], two[1], f"{two[0] / one[0]:.2f}x 1 (target >= 1.6)")
    line("SQLite, 1 process", hooks["sqlite 1"][0], hooks["sqlite 1"][1])
    _bounds(lite, pg, one[2], two[2])


def _bounds(lite: FileRun, pg: FileRun, one: float | None, two: float | None) -> None:
    """What CPU allows the two PostgreSQL ratios on this machine, from this run's counters."""
    as_is, split = pg.least_wall(split=False), pg.least_wall(split=True)
    if as_is is None or split is None or one is None or two is None:
        print("  (the machine's CPU counters cannot be read here: no bounds printed)")
        return
    print(f"what bounds the PostgreSQL figures here ({CORES} cores, CPU seconds of this run)")
    print(f"  file, SQLite: {lite.process_cpu:.2f} s of CPU in {lite.wall:.2f} s (one process)")
    print(
        f"  file, PostgreSQL: {pg.process_cpu:.2f} s in the ingest process"
        f" + {pg.elsewhere_cpu:.2f} s elsewhere (the server) in {pg.wall:.2f} s"
    )
    print(
        f"    as it runs (one process, one backend): at least {as_is:.2f} s,"
        f" at most {lite.wall / as_is:.2f} of SQLite"
    )
    print(
        f"    the same CPU split over every core: at least {split:.2f} s,"
        f" at most {lite.wall / split:.2f} of SQLite"
    )
    print(
        f"  webhook: 1 process kept {one:.2f} of {CORES} cores busy, 2 kept {two:.2f};"
        f" at the same CPU per event, 2 processes can reach at most {CORES / one:.2f}x 1"
    )


def _shown(outcomes: Counter[str]) -> str:
    return ", ".join(f"{key} {value:,}" for key, value in sorted(outcomes.items()))


if __name__ == "__main__":
    main()
