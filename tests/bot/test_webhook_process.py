"""`tokendesk webhook` as a real process: hostile clients, access lines, metrics, SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.http.webhook import MAX_BODIES, sign
from tests.bot.processes import LINE, Running, clean_env, get, metric, spawn

SECRET = "webhook-process-secret"


@pytest.fixture
async def hook(sqlite_url, tmp_path) -> AsyncIterator[tuple[Running, str]]:
    """A webhook process on a fresh SQLite ledger; yields it and its base URL."""
    env = clean_env(TOKENDESK_DATABASE_URL=sqlite_url, TOKENDESK_WEBHOOK_SECRET=SECRET)
    env["TOKENDESK_LOG_LEVEL"] = "DEBUG"
    running = await spawn("webhook", "--port", "0", env=env, log=tmp_path / "webhook.log")
    try:
        line = await asyncio.wait_for(running.process.stdout.readline(), 60)
        assert line.startswith(b"webhook listening on "), running.log.read_text()
        yield running, line.decode().split()[-1].removesuffix("/v1/events")
    finally:
        await running.stop()


def created(event_id: str, account: str = "acc") -> bytes:
    body = {"id": event_id, "type": "account.created", "at": "2026-03-10T09:00:00Z"}
    return json.dumps({**body, "account_id": account, "plan": "free"}).encode()


def head(length: int, *, signed: bool, signature: str = "sha256=" + "0" * 64) -> bytes:
    lines = ["POST /v1/events HTTP/1.1", "Host: x", f"Content-Length: {length}"]
    if signed:
        lines += [
            f"X-Tokendesk-Timestamp: {int(time.time())}",
            f"X-Tokendesk-Signature: {signature}",
        ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def status_of(reader: asyncio.StreamReader) -> tuple[int, str]:
    """The status and headers of the response on `reader` (bounded wait)."""
    raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    text = raw.decode()
    return int(text.split()[1]), text


async def post(base: str, body: bytes, *, secret: str = SECRET) -> tuple[int, dict]:
    stamp = str(int(time.time()))
    headers = {"X-Tokendesk-Timestamp": stamp, "X-Tokendesk-Signature": sign(secret, stamp, body)}
    timeout = aiohttp.ClientTimeout(total=30)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(f"{base}/v1/events", data=body, headers=headers) as response,
    ):
        return response.status, await response.json()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def test_hostile_clients_leave_the_webhook_answering(hook):
    running, base = hook
    port = int(base.rsplit(":", 1)[1])
    opened = []

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        pair = await asyncio.open_connection("127.0.0.1", port)
        opened.append(pair[1])
        return pair

    # 1. Headers one byte at a time: the server closes the connection by itself.
    async def slow_headers() -> bool:
        reader, writer = await connect()
        for byte in head(10, signed=True) * 100:
            try:
                writer.write(bytes([byte]))
                await writer.drain()
            except ConnectionError:
                return True
            await asyncio.sleep(0.05)
            if reader.at_eof() or reader._buffer:  # the server answered or hung up
                return True
        return False  # never closed: 100 request heads' worth of time went by

    # 2. An unsigned 4 MiB body: 401 before a byte of it is sent.
    async def unsigned_body() -> tuple[int, str]:
        reader, writer = await connect()
        writer.write(head(4 * 1024 * 1024, signed=False))
        await writer.drain()
        return await status_of(reader)

    before = rss_kb(running.process.pid)
    slow = [asyncio.ensure_future(slow_headers()) for _ in range(10)]
    unsigned = await asyncio.gather(*(unsigned_body() for _ in range(100)))
    assert {status for status, _ in unsigned} == {401}
    assert all("Connection: close" in text or "connection: close" in text for _, text in unsigned)

    # 3. 200 connections at once, each with a well-formed head and a body that stalls.
    stalled = [await connect() for _ in range(200)]
    for _, writer in stalled:
        writer.write(head(1000, signed=True) + b"[")
    await asyncio.gather(*(w.drain() for _, w in stalled))
    answered = await asyncio.gather(
        *(asyncio.wait_for(status_of(r), 3) for r, _ in stalled), return_exceptions=True
    )
    busy = [a for a in answered if not isinstance(a, BaseException)]
    waiting = [
        pair for pair, a in zip(stalled, answered, strict=True) if isinstance(a, TimeoutError)
    ]
    assert len(waiting) == MAX_BODIES, "the bodies being read are bounded"
    assert {status for status, _ in busy} == {503} and len(busy) == 200 - MAX_BODIES
    assert all("Retry-After: 1" in text for _, text in busy)
    for _, writer in waiting:  # finish the stalled bodies: read, then refused as unsigned
        writer.write(b" " * 999)
    finished = await asyncio.gather(*(status_of(r) for r, _ in waiting))
    assert {status for status, _ in finished} == {401}

    assert all(await asyncio.gather(*slow)), "a slow header connection was never closed"
    assert await running.logged(r"closed a connection from 127\.0\.0\.1: no complete request")
    grown_mb = (rss_kb(running.process.pid) - before) / 1024
    assert grown_mb < 60, f"unread bodies cost {grown_mb:.0f} MB"

    # Afterwards it answers at once (bounded generously: the point is that it answers).
    assert (await asyncio.wait_for(get(f"{base}/healthz"), 5))[0] == 200
    status, answer = await asyncio.wait_for(post(base, created("after")), 5)
    assert status == 200 and answer["results"][0]["outcome"] == "applied"
    for writer in opened:
        writer.close()


async def test_every_request_is_one_access_line_and_malformed_ones_are_not_tracebacks(hook):
    running, base = hook
    assert (await post(base, created("one")))[0] == 200
    assert (await post(base, created("two"), secret="wrong"))[0] == 401
    reader, writer = await asyncio.open_connection(*base.removeprefix("http://").split(":"))
    writer.write(b"GARBAGE\x00 / HTTP/9.9\r\n\r\n")
    await writer.drain()
    assert (await status_of(reader))[0] == 400
    writer.close()
    await running.logged(r"bot\.http\.access: \S+ / 400 ")
    await running.logged(r"bot\.http\.access: POST /v1/events 401 [\d.]+ ms")
    lines = running.lines()
    access = [line for line in lines if "bot.http.access:" in line]
    assert len(access) == 3 and "POST /v1/events 200" in access[0]
    assert all(LINE.match(line) for line in lines), "\n".join(lines)
    assert not any("Traceback" in line or "GARBAGE" in line for line in lines)
    assert not any('"id": "one"' in line for line in lines), "a body was logged"


async def test_metrics_move_with_events_and_health_is_served_beside_them(hook):
    _, base = hook
    status, text = await get(f"{base}/metrics")
    assert status == 200 and metric(text, "tokendesk_events_total", outcome="applied") == 0
    assert "# TYPE tokendesk_interaction_duration_seconds histogram" in text
    for name in ("tokendesk_tickets_open", "tokendesk_refunded_tokens_total"):
        assert name in text
    assert (await post(base, created("m1")))[0] == 200
    assert (await post(base, b"[" + created("m1") + b"," + created("m2", "acc2") + b"]"))[0] == 200
    _, text = await get(f"{base}/metrics")
    assert metric(text, "tokendesk_events_total", outcome="applied") == 2
    assert metric(text, "tokendesk_events_total", outcome="skipped") == 1
    assert (await get(f"{base}/healthz")) == (200, '{"status": "ok"}')


async def test_sigterm_finishes_the_request_in_flight_then_exits_0(hook, sqlite_url):
    running, base = hook
    path = sqlite_url.split("///", 1)[1]
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the ledger is busy: the request waits for it
    try:
        in_flight = asyncio.ensure_future(post(base, created("held")))
        await running.logged(r"POST /v1/events: handling")
        running.signal(signal.SIGTERM)
        await running.logged(r"stopping: no new connections")
        with pytest.raises(aiohttp.ClientConnectionError):
            await get(f"{base}/healthz")  # no new connections are taken
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    status, answer = await asyncio.wait_for(in_flight, 10)
    assert status == 200 and answer["results"][0]["outcome"] == "applied"
    assert await running.exit_code(within=10) == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 1


@pytest.mark.postgres
async def test_healthz_is_503_with_the_reason_when_the_database_goes_away(tmp_path):
    import uuid

    from tests.conftest import PG_URL, _pg_admin

    name = f"tokendesk_health_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    env = clean_env(TOKENDESK_DATABASE_URL=url, TOKENDESK_WEBHOOK_SECRET=SECRET)
    running = await spawn("webhook", "--port", "0", env=env, log=tmp_path / "webhook.log")
    try:
        line = await asyncio.wait_for(running.process.stdout.readline(), 60)
        base = line.decode().split()[-1].removesuffix("/v1/events")
        assert (await get(f"{base}/healthz"))[0] == 200
        await _pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')
        status, text = await get(f"{base}/healthz")
        assert status == 503
        (reason,) = json.loads(text)["reasons"]
        assert reason.startswith("database: ") and name in reason
        await running.logged(r"WARNING bot\.http\.health: health check failed: database: ")
        running.signal(signal.SIGTERM)
        assert await running.exit_code(within=10) == 0
    finally:
        await running.stop()
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
