"""The events webhook (SPEC section 2): `POST /v1/events`, signed, and `GET /healthz`.

Events posted here take exactly the path `tokendesk ingest` takes (`ingest_parsed`):
the same validation, the same idempotency, the same report, one result per event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable

from aiohttp import web

from ledger.events import MAX_LINE_BYTES, Invalid, parse_event
from ledger.ingest import ingest_parsed
from ledger.service import LedgerService

log = logging.getLogger(__name__)

__all__ = ["MAX_BODY_BYTES", "TOLERANCE_S", "make_app", "sign"]

MAX_BODY_BYTES = 4 * 1024 * 1024
"""A body larger than this is refused with 413 (64 full-size events, or thousands of usual ones)."""
MAX_EVENTS = 10_000
TOLERANCE_S = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Tokendesk-Signature` value for a body sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _problem(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def make_app(
    service: LedgerService, secret: str, *, clock: Callable[[], float] | None = None
) -> web.Application:
    """The webhook application.

    Args:
        service: the ledger events are applied to.
        secret: `TOKENDESK_WEBHOOK_SECRET`.
        clock: unix seconds now (default: the ledger's clock), for the timestamp window.
    """
    now = clock or (lambda: service.clock.now().timestamp())

    async def events(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _problem(413, f"body larger than {MAX_BODY_BYTES} bytes")
        body = await _read_limited(request)
        if body is None:
            return _problem(413, f"body larger than {MAX_BODY_BYTES} bytes")
        stamp = request.headers.get("X-Tokendesk-Timestamp", "")
        given = request.headers.get("X-Tokendesk-Signature", "")
        if not stamp.isdigit() or len(stamp) > 12:
            return _problem(401, "missing or malformed X-Tokendesk-Timestamp")
        if not hmac.compare_digest(given.encode(), sign(secret, stamp, body).encode()):
            return _problem(401, "signature does not match")
        if abs(now() - int(stamp)) > TOLERANCE_S:
            return _problem(401, "timestamp is more than 5 minutes away")
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
        results = [
            {"id": r.id, "outcome": r.outcome, "reason": r.reason} for r in report.everything or []
        ]
        return web.json_response({"results": results})

    async def health(request: web.Request) -> web.Response:
        try:
            await service.db.read(lambda tx: tx.raw("SELECT 1"))
        except Exception as exc:  # any failure means: not reachable for us
            log.warning("health check: database unreachable: %s", exc)
            return web.json_response(
                {"status": "unavailable", "database": "unreachable"}, status=503
            )
        return web.json_response({"status": "ok", "database": "ok"})

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post("/v1/events", events)
    app.router.add_get("/healthz", health)
    return app


async def _read_limited(request: web.Request) -> bytes | None:
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
