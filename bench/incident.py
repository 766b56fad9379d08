"""Incident benchmark: `/incident refund` of 10,000 failed generations over 2,000 accounts,
against `tokendesk ingest` of the same generations, in one run (see README, "Performance").

1. 2,000 linked accounts are created (not timed).
2. The 10,000 generations' events (a charge and a failure each, 20,000 lines, one model)
   go through the ingest path as `tokendesk ingest` runs it (`ingest_stream` over the
   file, batches of 500, `failed` notices and the incident alert decided with them):
   the per-generation ingest rate is 10,000 / that time.
3. The incident refunds them all through the desk, as `/incident refund` does
   (`TicketDesk.refund_incident`: a ticket per refund, a decision DM per user, 100
   generations a transaction): its rate in refunds/s.

It prints both rates and their ratio (target: >= 0.5), and checks that every generation
was refunded once and that a second run refunds nothing.

    .venv/bin/python bench/incident.py [--generations N] [--accounts N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from diagnostics.desk import TicketDesk  # noqa: E402
from ledger import IncidentWindow, ingest_stream, to_us  # noqa: E402
from ledger.clock import FixedClock  # noqa: E402
from ledger.service import LedgerService  # noqa: E402
from ledger.store.database import open_database  # noqa: E402
from ledger.store.migrate import upgrade  # noqa: E402

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
START = NOW - timedelta(hours=2)


def write_events(folder: str, generations: int, accounts: int) -> tuple[str, str]:
    """The accounts' file, and the generations' file (charges, then their failures)."""
    made = os.path.join(folder, "accounts.jsonl")
    with open(made, "w") as out:
        for n in range(accounts):
            body = {
                "id": f"a{n}",
                "type": "account.created",
                "at": (START - timedelta(days=3)).isoformat(),
                "account_id": f"acc-{n}",
                "plan": "maestro",
                "discord_user_id": str(10**17 + n),
            }
            out.write(json.dumps(body) + "\n")
    gens = os.path.join(folder, "generations.jsonl")
    with open(gens, "w") as out:
        for n in range(generations):
            body = {
                "id": f"c{n}",
                "type": "generation.charged",
                "at": (START + timedelta(milliseconds=n)).isoformat(),
                "account_id": f"acc-{n % accounts}",
                "generation_id": f"gen-{n}",
                "source": "web",
                "cost": 100 + n % 50,
                "settings": {"model": "kino", "width": 1024, "height": 1024},
            }
            out.write(json.dumps(body) + "\n")
        for n in range(generations):
            body = {
                "id": f"f{n}",
                "type": "generation.failed",
                "at": (START + timedelta(minutes=30, milliseconds=90 * n)).isoformat(),
                "account_id": f"acc-{n % accounts}",
                "generation_id": f"gen-{n}",
                "reason": "kino workers down",
            }
            out.write(json.dumps(body) + "\n")
    return made, gens


async def ingest(service: LedgerService, path: str) -> float:
    """Seconds to apply a file through the ingest path (as `tokendesk ingest` does)."""
    stream = await asyncio.to_thread(open, path, "rb")
    try:
        started = time.perf_counter()
        report = await ingest_stream(service, stream, lambda _: None)
        elapsed = time.perf_counter() - started
    finally:
        stream.close()
    assert report.ok, report
    return elapsed


async def main(generations: int, accounts: int) -> None:
    folder = tempfile.mkdtemp(prefix="tokendesk-bench-incident-")
    try:
        url = f"sqlite+aiosqlite:///{os.path.join(folder, 'incident.db')}"
        await upgrade(url)
        made, gens = write_events(folder, generations, accounts)
        clock = FixedClock(NOW)
        db = open_database(url)
        service = LedgerService(db, clock)
        try:
            await ingest(service, made)
            ingest_s = await ingest(service, gens)
            ingest_rate = generations / ingest_s
            print(
                f"ingest of {generations:,} generations (charge + failure, {2 * generations:,}"
                f" lines): {ingest_s:.2f} s, {ingest_rate:,.0f} generations/s"
            )
            desk = TicketDesk(service)
            window = IncidentWindow(to_us(START), to_us(NOW), "kino")
            started = time.perf_counter()
            done = await desk.refund_incident(window, "discord:1", "bench outage")
            incident_s = time.perf_counter() - started
            incident_rate = done.generations / incident_s
            print(
                f"/incident refund of {done.generations:,} generations over"
                f" {len(done.accounts):,} accounts ({done.tokens:,} tokens): {incident_s:.2f} s,"
                f" {incident_rate:,.0f} refunds/s"
            )
            assert done.generations == generations and len(done.accounts) == accounts
            again = await desk.refund_incident(window, "discord:1")
            assert again.generations == 0
            ratio = incident_rate / ingest_rate
            print(f"ratio to ingest's per-generation rate: {ratio:.2f} (target >= 0.5)")
        finally:
            await db.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f}")
    asyncio.run(main(args.generations, args.accounts))
