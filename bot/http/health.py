"""`GET /healthz` and `GET /metrics`, shared by `tokendesk run` and `tokendesk webhook`.

`/healthz` runs every check; each returns None when all is well, or the reason it is
not. All well: 200 `{"status": "ok"}`. Otherwise 503 with `"reasons"`, one line per
failing check, so whoever is paged reads what is wrong without opening the logs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from bot.metrics import CONTENT_TYPE, Metrics
from ledger import LedgerService

log = logging.getLogger(__name__)

__all__ = ["Check", "add_health_routes", "database_check"]

Check = Callable[[], Awaitable[str | None]]
DATABASE_TIMEOUT_S = 2.0


def database_check(ledger: LedgerService, timeout: float = DATABASE_TIMEOUT_S) -> Check:
    """A check that the ledger's database answers a round trip within `timeout` seconds."""

    async def check() -> str | None:
        try:
            await asyncio.wait_for(ledger.ping(), timeout)
        except TimeoutError:
            return f"database: no answer within {timeout:g} s"
        except Exception as exc:  # whatever the driver says, the database is not usable
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return f"database: {detail}"
        return None

    return check


def add_health_routes(app: web.Application, checks: Sequence[Check], metrics: Metrics) -> None:
    """Add `/healthz` (the checks) and `/metrics` (the registry) to `app`."""

    async def healthz(request: web.Request) -> web.Response:
        reasons = [r for r in await asyncio.gather(*(check() for check in checks)) if r]
        if reasons:
            log.warning("health check failed: %s", "; ".join(reasons))
            return web.json_response({"status": "unavailable", "reasons": reasons}, status=503)
        return web.json_response({"status": "ok"})

    async def scrape(request: web.Request) -> web.Response:
        body = await metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", scrape)
