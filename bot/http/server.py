"""An aiohttp application served the way a public endpoint must be.

- A connection that has not sent a whole request head within `header_timeout` seconds
  (of connecting, or of its previous answer) is closed: headers sent one byte at a
  time do not hold a connection open.
- Every request writes one access line: method, path, status, duration, never a body.
- A malformed request is that one line (status 400), never a traceback.
- `stop()` stops accepting at once, lets requests in flight finish (up to
  `shutdown_timeout`), then closes every connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import HttpProcessingError

log = logging.getLogger(__name__)
access_log = logging.getLogger("bot.http.access")

__all__ = ["HttpServer"]

HEADER_TIMEOUT_S = 5.0
KEEPALIVE_S = 15.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _AccessLine(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.1f ms from %s",
            request.method or "-",
            request.path or "-",
            response.status,
            time * 1000,
            request.remote or "-",
        )


class _ServerLog(logging.LoggerAdapter):
    """aiohttp's server logger: a client's malformed request is a debug line, not a trace.

    Its access line (status 400) is the line an operator sees at INFO.
    """

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info")
        if isinstance(exc, HttpProcessingError):
            what = str(exc.message).splitlines()[0] if exc.message else ""
            self.logger.debug("malformed request: %s (%s)", type(exc).__name__, what)
            return
        super().log(level, msg, *args, **kwargs)


class _Connection(web.RequestHandler):
    """aiohttp's protocol with a deadline for each request head."""

    def __init__(self, manager: web.Server, *, header_timeout: float, **options: Any) -> None:
        super().__init__(manager, **options)
        self._header_timeout = header_timeout
        self._deadline: asyncio.TimerHandle | None = None
        self._busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(self._header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self._busy or self.transport is None:
            return
        peer = self.transport.get_extra_info("peername")
        log.info(
            "closed a connection from %s: no complete request within %g s",
            peer[0] if peer else "-",
            self._header_timeout,
        )
        self.force_close()

    def request_started(self) -> None:
        """The head of a request arrived: its handler runs without the deadline."""
        self._disarm()
        self._busy = True

    def request_finished(self) -> None:
        """The handler is done: the next request head has its own deadline."""
        self._busy = False
        if self.transport is not None:
            self._arm()


@web.middleware
async def _request_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
    connection = request.protocol
    if isinstance(connection, _Connection):
        connection.request_started()
    log.debug("%s %s: handling", request.method, request.path)
    try:
        return await handler(request)
    finally:
        if isinstance(connection, _Connection):
            connection.request_finished()


class HttpServer:
    """Serve `app` on one address with header deadlines, access lines and a clean stop.

    Args:
        app: the application; its routes are served as they are.
        header_timeout: seconds a connection may take to send a request head.
        shutdown_timeout: seconds `stop()` lets requests in flight finish.
    """

    def __init__(
        self,
        app: web.Application,
        *,
        header_timeout: float = HEADER_TIMEOUT_S,
        shutdown_timeout: float = 7.0,
    ) -> None:
        app.middlewares.insert(0, _request_deadline)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=shutdown_timeout)
        self._header_timeout = header_timeout
        self._listener: asyncio.AbstractServer | None = None
        self.port: int | None = None

    async def start(self, host: str, port: int) -> int:
        """Start listening; returns the bound port.

        Raises:
            OSError: the address cannot be listened on.
        """
        await self._runner.setup()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        options = {
            "loop": loop,
            "header_timeout": self._header_timeout,
            "keepalive_timeout": KEEPALIVE_S,
            "logger": _ServerLog(logging.getLogger("bot.http.server"), {}),
            "access_log_class": _AccessLine,
            "access_log": access_log,
            "lingering_time": 0,  # an unread body is not drained: the connection closes
        }
        try:
            self._listener = await loop.create_server(
                lambda: _Connection(server, **options), host, port, reuse_address=True
            )
        except OSError:
            await self._runner.cleanup()
            raise
        self.port = self._listener.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish, close every connection."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        await self._runner.cleanup()
