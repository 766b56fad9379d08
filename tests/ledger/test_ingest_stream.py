"""SPEC 3: `tokendesk ingest` reads a stream, in bounded memory, and shows progress on a terminal.

Each test runs the real command as a process. Peak memory is the process's own high-water
mark (VmHWM, written as it exits), compared with a baseline measured in the same test.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.ingest_memory import PEAK_OF_ITSELF  # the same measure as the benchmark's

ROOT = Path(__file__).parents[2]
MB = 1024 * 1024


@pytest.fixture
def url(tmp_path, migrated_sqlite_template) -> str:
    path = tmp_path / "ingest.db"
    path.write_bytes(Path(migrated_sqlite_template).read_bytes())
    return f"sqlite+aiosqlite:///{path}"


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "TOKENDESK_DATABASE_URL": url}


def _stamp(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()


def _opened(account: str = "a", plan: str = "free") -> bytes:
    body = {"id": f"open-{account}", "type": "account.created", "at": _stamp(5)}
    return json.dumps(body | {"account_id": account, "plan": plan}).encode()


def _charge(n: int, cost: int, account: str = "a") -> bytes:
    body = {"id": f"c{n}", "type": "generation.charged", "at": _stamp(4), "account_id": account}
    return json.dumps(body | {"generation_id": f"g{n}", "source": "web", "cost": cost}).encode()


def _run(path: Path, url: str) -> tuple[int, str, str, int]:
    """Exit code, stdout, stderr and peak RSS (bytes) of `tokendesk ingest FILE`."""
    with open(path.parent / "out.txt", "w+b") as out, open(path.parent / "err.txt", "w+b") as err:
        report = path.parent / "peak.txt"
        done = subprocess.run(
            [sys.executable, "-c", PEAK_OF_ITSELF, str(report), "ingest", str(path)],
            env=_env(url),
            cwd=ROOT,
            stdout=out,
            stderr=err,
            timeout=120,
        )
        out.seek(0)
        err.seek(0)
        peak = int(report.read_text()) * 1024
        return done.returncode, out.read().decode(), err.read().decode(), peak


def test_a_20_mb_line_without_newlines_is_rejected_as_it_streams_past(tmp_path, url):
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"\n".join([_opened(), _charge(1, 5)]) + b"\n")
    code, out, _, baseline = _run(small, url)
    assert code == 0, out

    huge = tmp_path / "huge.jsonl"
    with huge.open("wb") as f:
        f.write(_charge(2, 7) + b"\n")
        f.write(b'{"id": "big", "junk": "' + b"x" * (20 * MB) + b'"}\n')
        f.write(_charge(3, 11) + b"\n")
        f.write(b"y" * (20 * MB))  # the last line, with no newline at all
    code, out, err, peak = _run(huge, url)
    assert code == 1, out + err
    assert "line 2: rejected: line is longer than 64 KB" in out
    assert "line 4: rejected: line is longer than 64 KB" in out
    assert out.strip().splitlines()[-1].startswith("applied 2 (0 late)")
    assert "rejected 2" in out
    # Neither 20 MB line was ever held whole (the old reader peaked near 2.4 GB here).
    assert peak < baseline + 40 * MB, (peak // MB, baseline // MB)


def test_rejected_lines_are_written_as_found_and_late_or_refused_ones_are_bounded(tmp_path, url):
    lines = [_opened()]
    lines += [b"{not json" if n % 10 == 0 else _charge(n, 1_000) for n in range(1, 61)]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines))
    code, out, _, _ = _run(path, url)
    assert code == 1
    printed = out.strip().splitlines()
    rejected = [line for line in printed if ": rejected: " in line]
    # In input order, before the summary; each with its line number.
    assert [line.split(":")[0].strip() for line in rejected] == [
        f"line {n + 1}" for n in range(10, 61, 10)
    ]
    summary = printed.index(next(line for line in printed if line.startswith("applied ")))
    assert summary == len(rejected)
    # 150 daily tokens cover no charge of 1,000: 54 refused, the first 20 shown, the rest counted.
    assert printed[summary].startswith("applied 1 (0 late), refused charges 54,")
    assert len([line for line in printed if ": refused: " in line]) == 20
    assert printed[-1] == "  ... and 34 more late or refused lines"


def test_progress_goes_to_a_terminal_on_stderr_and_nowhere_else(tmp_path, url):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join([_opened(), b"[]", *(_charge(n, 1) for n in range(1, 2_000))]))
    parent, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", str(path)],
        env=_env(url),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=child,
    )
    os.close(child)
    shown = b""
    while True:
        ready, _, _ = select.select([parent], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(parent, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    out, _ = proc.communicate(timeout=60)
    os.close(parent)
    assert proc.returncode == 1, out
    screen = shown.decode(errors="replace")
    assert "lines" in screen and "rejected 1" in screen, screen[-500:]
    assert "2001 lines" in screen, screen[-500:]  # the last line's number
    printed = out.decode()
    assert "applied 151 (0 late), refused charges 1849," in printed  # 150 daily tokens
    assert "lines/s" not in printed

    piped = subprocess.run(
        [sys.executable, "-m", "bot", "ingest", str(path)],
        env=_env(url),
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert piped.stderr == b""  # not a terminal: no progress drawn
