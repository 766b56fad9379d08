"""The events webhook (SPEC section 2): `POST /v1/events`, signed; `/healthz`, `/metrics`.

Events posted here take exactly the path `tokendesk ingest` takes (`ingest_parsed`):
the same validation, the same idempotency, the same report, one result per event.

A request is checked in the order that costs an attacker most and us least:
1. its declared length (413 over `MAX_BODY_BYTES`);
2. its timestamp and the *form* of its signature header (401), before any body byte
   is read;
3. a slot among `max_bodies` bodies read at once: a request waits `QUEUE_S` for one,
   then gets 503 with `Retry-After`;
4. its body, read within `BODY_TIMEOUT_S` (408) and at most `MAX_BODY_BYTES`;
5. the signature itself (401), and only then JSON and the ledger.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable

from aiohttp import web

from bot.http.health import add_health_routes, database_check
from bot.metrics import Metrics
from ledger import MAX_LINE_BYTES, Invalid, LedgerService, ingest_parsed, parse_event

log = logging.getLogger(__name__)

__all__ = ["MAX_BODY_BYTES", "TOLERANCE_S", "make_app", "sign"]

MAX_BODY_BYTES = 4 * 1024 * 1024
"""A body larger than this is refused with 413 (64 full-size events, or thousands of usual ones)."""
MAX_EVENTS = 10_000
TOLERANCE_S = 300
MAX_BODIES = 32
"""Bodies read at once; at 4 MiB each, a bound on the memory bodies can take."""
QUEUE_S = 0.5
BODY_TIMEOUT_S = 10.0
_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Tokendesk-Signature` value for a body sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _problem(status: int, reason: str, **headers: str) -> web.Response:
    """A refusal; the connection closes after it (any unread body is never read)."""
    response = web.json_response({"error": reason}, status=status, headers=headers or None)
    response.force_close()
    return response


def _refuse_head(request: web.Request, now: float) -> web.Response | None:
    """The answer for a request whose head alone disqualifies it, or None."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _problem(413, f"body larger than {MAX_BODY_BYTES} bytes")
    stamp = request.headers.get("X-Tokendesk-Timestamp", "")
    if not stamp.isdigit() or len(stamp) > 12:
        return _problem(401, "missing or malformed X-Tokendesk-Timestamp")
    if abs(now - int(stamp)) > TOLERANCE_S:
        return _problem(401, f"timestamp is more than {TOLERANCE_S // 60} minutes away")
    if not _SIGNATURE.fullmatch(request.headers.get("X-Tokendesk-Signature", "")):
        return _problem(401, "missing or malformed X-Tokendesk-Signature")
    return None


def make_app(
    service: LedgerService,
    secret: str,
    *,
    clock: Callable[[], float] | None = None,
    metrics: Metrics | None = None,
    max_bodies: int = MAX_BODIES,
) -> web.Application:
    """The webhook application.

    Args:
        service: the ledger events are applied to.
        secret: `TOKENDESK_WEBHOOK_SECRET`.
        clock: unix seconds now (default: the ledger's clock), for the timestamp window.
        metrics: where events are counted (a registry of its own by default).
        max_bodies: bodies read at once.
    """
    now = clock or (lambda: service.clock.now().timestamp())
    metrics = metrics or Metrics()
    slots = asyncio.Semaphore(max_bodies)

    async def events(request: web.Request) -> web.Response:
        refused = _refuse_head(request, now())
        if refused is not None:
            return refused
        try:
            await asyncio.wait_for(slots.acquire(), QUEUE_S)
        except TimeoutError:
            return _problem(503, "too many requests at once", **{"Retry-After": "1"})
        try:
            return await _signed_events(request)
        finally:
            slots.release()

    async def _signed_events(request: web.Request) -> web.Response:
        try:
            body = await asyncio.wait_for(_read_limited(request), BODY_TIMEOUT_S)
        except TimeoutError:
            return _problem(408, f"body not received within {BODY_TIMEOUT_S:g} s")
        except (ConnectionError, web.RequestPayloadError, web.HTTPException, ValueError) as exc:
            return _problem(400, f"body could not be read: {exc}")
        if body is None:
            return _problem(413, f"body larger than {MAX_BODY_BYTES} bytes")
        stamp = request.headers["X-Tokendesk-Timestamp"]
        given = request.headers["X-Tokendesk-Signature"]
        if not hmac.compare_digest(given.encode(), sign(secret, stamp, body).encode()):
            return _problem(401, "signature does not match")
        try:
            decoded = json.loads(body)
        except (ValueError, RecursionError):
            return _problem(400, "body is not valid JSON")
        values = decoded if isinstance(decoded, list) else [decoded]
        if len(values) > MAX_EVENTS:
            return _problem(413, f"more than {MAX_EVENTS} events in one body")
        catalogue = service.catalogue
        items = []
        for number, value in enumerate(values, start=1):
            size = len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
            if size > MAX_LINE_BYTES:
                items.append((number, Invalid("event is larger than 64 KB")))
            else:
                items.append((number, parse_event(value, catalogue)))
        report = await ingest_parsed(service, items, keep_all=True)
        done = report.everything or []
        metrics.events_done([r.outcome for r in done])
        results = [{"id": r.id, "outcome": r.outcome, "reason": r.reason} for r in done]
        return web.json_response({"results": results})

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post("/v1/events", events)
    add_health_routes(app, [database_check(service)], metrics)
    return app


async def _read_limited(request: web.Request) -> bytes | None:
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
