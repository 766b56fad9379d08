"""SPEC 2, the webhook: signed POSTs over a real socket, the same semantics as ingest."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.http.webhook import MAX_BODY_BYTES, make_app, sign

SECRET = "s3cret"


@pytest.fixture
async def hook(ledger) -> AsyncIterator[str]:
    """The webhook on 127.0.0.1 (a free port), serving the test's ledger; yields its URL."""
    runner = web.AppRunner(make_app(ledger, SECRET, clock=time.time))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def created(event_id: str = "c1", account: str = "acc") -> dict:
    return {
        "id": event_id,
        "type": "account.created",
        "at": "2026-03-10T09:00:00Z",
        "account_id": account,
        "plan": "free",
    }


async def post(url: str, body: bytes, *, secret: str = SECRET, stamp: int | None = None):
    ts = str(int(time.time()) if stamp is None else stamp)
    headers = {"X-Tokendesk-Timestamp": ts, "X-Tokendesk-Signature": sign(secret, ts, body)}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/v1/events", data=body, headers=headers) as response,
    ):
        text = await response.text()
        return response.status, (json.loads(text) if text else None)


async def test_a_signed_event_is_applied_and_answered_per_event(hook, ledger):
    status, answer = await post(hook, json.dumps(created()).encode())
    assert status == 200
    assert answer == {"results": [{"id": "c1", "outcome": "applied", "reason": None}]}
    assert (await ledger.balance("acc")).daily == 150


async def test_an_array_gets_one_result_per_event_in_order(hook, ledger):
    events = [
        created(),
        {"id": "x", "type": "nope"},
        {
            "id": "g1",
            "type": "generation.charged",
            "at": "2026-03-10T10:00:00Z",
            "account_id": "acc",
            "generation_id": "g",
            "source": "web",
            "cost": 999,
        },
        {
            "id": "g2",
            "type": "generation.charged",
            "at": "2026-03-10T09:30:00Z",
            "account_id": "acc",
            "generation_id": "h",
            "source": "web",
            "cost": 9,
        },
        created(),
    ]
    status, answer = await post(hook, json.dumps(events).encode())
    assert status == 200
    outcomes = [(r["id"], r["outcome"]) for r in answer["results"]]
    assert outcomes == [
        ("c1", "applied"),
        ("x", "rejected"),
        ("g1", "refused"),
        ("g2", "late"),
        ("c1", "skipped"),
    ]
    assert all(
        (r["reason"] is None) == (r["outcome"] in ("applied", "skipped")) for r in answer["results"]
    )


async def _nothing_stored(ledger) -> bool:
    return await ledger.account("acc") is None


@pytest.mark.parametrize(
    ("secret", "offset", "status"),
    [("wrong", 0, 401), (SECRET, -302, 401), (SECRET, 400, 401)],
)
async def test_bad_signature_or_stale_timestamp_is_401_and_changes_nothing(
    hook, ledger, secret, offset, status
):
    stamp = int(time.time()) + offset  # when the test runs, not when it is collected
    got, _ = await post(hook, json.dumps(created()).encode(), secret=secret, stamp=stamp)
    assert got == status
    assert await _nothing_stored(ledger)


async def test_missing_headers_are_401(hook, ledger):
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{hook}/v1/events", data=json.dumps(created())) as response,
    ):
        assert response.status == 401
    assert await _nothing_stored(ledger)


async def test_malformed_json_is_400_and_an_oversized_body_413(hook, ledger):
    assert (await post(hook, b'{"id": "c1", "type":'))[0] == 400
    assert (await post(hook, b"[" + b" " * (MAX_BODY_BYTES + 10) + b"]"))[0] == 413
    assert await _nothing_stored(ledger)


async def test_healthz_reports_the_database(hook, ledger):
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{hook}/healthz") as response:
            assert response.status == 200 and (await response.json()) == {"status": "ok"}
        await ledger.db.close()
        async with session.get(f"{hook}/healthz") as response:
            assert response.status == 503
            reasons = (await response.json())["reasons"]
            assert reasons == ["database: the database is closed"]
