"""Ingest memory benchmark: peak RSS of `tokendesk ingest FILE` as the input grows.

Each figure is the high-water mark of the ingest process itself (VmHWM), on a fresh
SQLite file, compared with a baseline measured in the same run:

- valid files of N and 10 N lines (target: 10x the lines grows the peak by <= 40 MB);
- 1,000,000 junk lines against a small valid file (target: <= small + 40 MB);
- 20 MB of junk on one line, for the record.

    .venv/bin/python bench/ingest_memory.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
PEAK_OF_ITSELF = """
import atexit, runpy, sys
report, sys.argv = sys.argv[1], ["tokendesk", *sys.argv[2:]]
def _peak():
    with open("/proc/self/status") as status, open(report, "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM")).split()[1])
atexit.register(_peak)
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""
"""Runs `tokendesk` and writes its own peak RSS (KB) at exit. The kernel carries the
parent's high-water mark across fork and exec into `wait4`'s figure, not into VmHWM."""


def write_valid(path: Path, count: int) -> None:
    """`count` events: maestro accounts (one per 50 events), then web charges."""
    accounts = max(1, count // 50)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    with path.open("w") as out:
        for n in range(accounts):
            body = {"id": f"c{n}", "type": "account.created", "at": start.isoformat()}
            out.write(json.dumps(body | {"account_id": f"m-{n}", "plan": "maestro"}) + "\n")
        step = timedelta(days=1) / max(1, count)
        for n in range(count - accounts):
            body = {
                "id": f"g{n}",
                "type": "generation.charged",
                "at": (start + step * n).isoformat(),
                "account_id": f"m-{n % accounts}",
                "generation_id": f"gen-{n}",
                "source": "web",
                "cost": 3,
                "settings": {"model": "phoenix"},
            }
            out.write(json.dumps(body) + "\n")


def write_junk(path: Path, count: int) -> None:
    with path.open("w") as out:
        for n in range(count):
            out.write(f'{{"id": "junk-{n}", "type": "no.such.type", "at": 0}}\n')


def write_one_line(path: Path, size: int) -> None:
    with path.open("wb") as out:
        out.write(b'{"id": "big", "junk": "')
        for _ in range(size // MB):
            out.write(b"x" * MB)


def peak(folder: Path, events: Path) -> tuple[int, float, str]:
    """Peak RSS (bytes), seconds and summary line of one ingest, on a fresh database."""
    db = folder / f"{events.stem}.db"
    env = {**os.environ, "TOKENDESK_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    cmd = [sys.executable, "-m", "bot"]
    subprocess.run([*cmd, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    out, report = folder / "out.txt", folder / "peak.txt"
    with out.open("wb") as sink:
        started = time.perf_counter()
        args = [sys.executable, "-c", PEAK_OF_ITSELF, str(report), "ingest", str(events)]
        subprocess.run(args, env=env, cwd=ROOT, stdout=sink, check=False)
        elapsed = time.perf_counter() - started
    summary = next(
        (line for line in out.read_text().splitlines() if line.startswith("applied ")), "?"
    )
    db.unlink()
    return int(report.read_text()) * 1024, elapsed, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    lines, junk = 20_000 // scale, 1_000_000 // scale
    folder = Path(tempfile.mkdtemp(prefix="tokendesk-bench-mem-"))
    try:
        small, large = folder / "small.jsonl", folder / "large.jsonl"
        write_valid(small, lines)
        write_valid(large, lines * 10)
        junk_file, one_line = folder / "junk.jsonl", folder / "oneline.jsonl"
        write_junk(junk_file, junk)
        write_one_line(one_line, 20 * MB)
        figures = {
            name: peak(folder, path)
            for name, path in (
                ("small", small),
                ("large", large),
                ("junk", junk_file),
                ("one line", one_line),
            )
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    base = figures["small"][0]
    print("peak memory of `tokendesk ingest FILE` (whole process, SQLite)")
    rows = [
        ("small", f"{lines:,} valid lines", None),
        ("large", f"{lines * 10:,} valid lines", "grows by <= 40 MB"),
        ("junk", f"{junk:,} junk lines", "<= small + 40 MB"),
        ("one line", "20 MB on one line", "<= small + 40 MB"),
    ]
    for key, label, target in rows:
        rss, seconds, summary = figures[key]
        growth = "" if key == "small" else f"  {(rss - base) / MB:+.1f} MB over small"
        shown = f"  (target {target})" if target else ""
        print(f"  {label:<22} {rss / MB:7.1f} MB{growth}{shown}  {seconds:.1f} s  [{summary}]")


if __name__ == "__main__":
    main()
