"""`tokendesk webhook`: the events webhook as a process of its own (no discord.py in it)."""

from __future__ import annotations

import argparse
import asyncio
import logging

from bot.cli.errors import CliError
from bot.cli.ledger_verbs import configured_ledger
from bot.settings import load_settings

log = logging.getLogger(__name__)

__all__ = ["register"]


def register(verbs: argparse._SubParsersAction) -> None:
    """Add `webhook` to the `tokendesk` parser."""
    p = verbs.add_parser(
        "webhook", help="serve the signed events webhook (POST /v1/events), /healthz, /metrics"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (8080; 0: any)")
    p.set_defaults(handler=webhook, serves=True)


async def webhook(args: argparse.Namespace) -> int:
    # The server's modules load only for this verb: the other verbs start without them.
    from bot.http.server import HttpServer
    from bot.http.webhook import make_app
    from bot.lifecycle import DRAIN_S, stop_on_signals
    from bot.metrics import Metrics
    from diagnostics.desk import TicketDesk

    secret = load_settings().webhook_secret
    if not secret:
        raise CliError("TOKENDESK_WEBHOOK_SECRET is not set: the webhook cannot check signatures")
    stop = asyncio.Event()
    with stop_on_signals(stop):
        async with configured_ledger() as service:
            if stop.is_set():
                return 0
            metrics = Metrics()
            metrics.watch(metrics.tickets_open, TicketDesk(service).open_count)
            server = HttpServer(
                make_app(service, secret, metrics=metrics), shutdown_timeout=DRAIN_S
            )
            try:
                port = await server.start(args.host, args.port)
            except OSError as exc:
                raise CliError(
                    f"cannot listen on {args.host}:{args.port}: {exc.strerror}"
                ) from None
            print(f"webhook listening on http://{args.host}:{port}/v1/events", flush=True)
            log.info("webhook listening on http://%s:%d/v1/events", args.host, port)
            try:
                await stop.wait()
                log.info("stopping: no new connections; finishing requests in flight")
            finally:
                await server.stop()
    log.info("stopped")
    return 0
