"""REST plumbing: routes named by their OpenAPI template, auth, schema validation both ways.

Every handler is registered under the exact path template of Discord's OpenAPI document,
so its request body and each response are validated against that operation's schemas.
Anything unrouted answers Discord's 404 and is recorded as a problem.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from bot.emulator.problems import (
    GENERAL_ERROR,
    INVALID_FORM_BODY,
    INVALID_JSON,
    KIND_INVALID_BODY,
    KIND_INVALID_RESPONSE,
    KIND_UNAUTHORIZED,
    KIND_UNKNOWN_ROUTE,
    KIND_VALIDATOR,
    DiscordHTTPError,
    Problem,
)
from bot.emulator.schema import FieldError, form_errors, route_schemas

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
_JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class GatewayInfo:
    """What `GET /gateway/bot` tells: where the gateway is (known once the server listens)."""

    url: Callable[[], str]
    shards: int


@dataclass
class Call:
    """One incoming REST request, as handlers see it."""

    route: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    interaction_id: int | None = None
    files: list[dict[str, Any]] = field(default_factory=list)

    def snowflake(self, name: str) -> int:
        """Return a path parameter as an int (Discord answers 404 to malformed ids).

        Raises:
            DiscordHTTPError: 404 if the parameter is not a snowflake.
        """
        try:
            return int(self.params[name])
        except ValueError:
            raise DiscordHTTPError(404, GENERAL_ERROR, "404: Not Found") from None

    def flag(self, name: str, default: bool = False) -> bool:
        """Return a boolean query parameter (``1``/``true``)."""
        value = self.query.get(name)
        return default if value is None else value.lower() in ("1", "true")


@dataclass
class Reply:
    """A handler's answer: status and JSON body (``None`` for 204)."""

    status: int = 200
    body: Any = None


Handler = Callable[[Call], Awaitable[Reply]]
Locator = Callable[[dict[str, str]], int | None]


def invalid_form(errors: list[FieldError]) -> DiscordHTTPError:
    """Return Discord's 400 Invalid Form Body for field errors."""
    return DiscordHTTPError(400, INVALID_FORM_BODY, "Invalid Form Body", form_errors(errors))


class RestApi:
    """Registers handlers and wraps them with Discord's checks.

    Args:
        token: The bot token requests must carry (``Authorization: Bot <token>``).
        record_problem: Sink for problems (invalid bodies, unknown routes, ...).
        locate: Maps path parameters to the interaction a request concerns, if any.
        paranoid: Cross-check the fast validator with jsonschema on every body.
    """

    def __init__(
        self,
        token: str,
        record_problem: Callable[[Problem], None],
        locate: Locator,
        *,
        paranoid: bool = False,
    ) -> None:
        self._token = token
        self._record_problem = record_problem
        self._locate = locate
        self._paranoid = paranoid
        self._routes: list[web.RouteDef] = []
        self.requests = 0  # served, for benchmarks

    def add(self, method: str, path: str, handler: Handler, *, auth: bool = True) -> None:
        """Serve ``method`` ``path`` (an OpenAPI template such as ``/users/@me``)."""
        schemas = route_schemas(method, path, paranoid=self._paranoid)  # fails fast if unknown
        route = f"{method} {path}"

        async def endpoint(request: web.Request) -> web.StreamResponse:
            self.requests += 1
            params = dict(request.match_info)
            call = Call(route, params, dict(request.query), None, self._locate(params))
            try:
                if auth and request.headers.get("Authorization") != f"Bot {self._token}":
                    self._problem(KIND_UNAUTHORIZED, "request without the bot's token", call)
                    raise DiscordHTTPError(401, GENERAL_ERROR, "401: Unauthorized")
                if schemas.request is not None:
                    await self._read_body(request, call)
                    verdict = schemas.request.validate(call.body)
                    if verdict.disagreement:
                        self._problem(KIND_VALIDATOR, verdict.disagreement, call)
                    if not verdict.ok:
                        raise invalid_form(verdict.errors)
                reply = await handler(call)
            except DiscordHTTPError as exc:
                if exc.status == 400 and not exc.expected:
                    self._refused(exc, call)
                reply = Reply(exc.status, exc.body())
            self._check_response(schemas.response(reply.status), reply, call)
            if reply.body is None:
                return web.Response(status=reply.status)
            data = json.dumps(reply.body, separators=(",", ":")).encode()
            return web.Response(status=reply.status, body=data, headers=_JSON_HEADERS)

        self._routes.append(web.route(method, API_PREFIX + path, endpoint))

    async def _read_body(self, request: web.Request, call: Call) -> None:
        if request.content_type.startswith("multipart/"):
            async for part in await request.multipart():
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read()
                if part.name == "payload_json":
                    call.body = self._parse(data)
                else:
                    upload = {
                        "name": part.name,
                        "filename": part.filename,
                        "size": len(data),
                        "data": bytes(data),
                    }
                    call.files.append(upload)
            return
        call.body = self._parse(await request.read())

    @staticmethod
    def _parse(raw: bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise DiscordHTTPError(
                400, INVALID_JSON, "The request body contains invalid JSON."
            ) from None

    def _refused(self, exc: DiscordHTTPError, call: Call) -> None:
        detail = ""
        if exc.errors:
            detail = ": " + json.dumps(exc.errors, separators=(",", ":"))[:2000]
        kind = exc.problem or KIND_INVALID_BODY
        self._problem(kind, f"Discord would refuse this: {exc.code} {exc.message}{detail}", call)

    def _check_response(self, declared: tuple[bool, Any], reply: Reply, call: Call) -> None:
        known, validator = declared
        if not known:
            note = f"emulator answered undeclared status {reply.status}"
            self._problem(KIND_INVALID_RESPONSE, note, call)
            return
        if validator is None:
            return
        verdict = validator.validate(reply.body)
        if verdict.disagreement:
            self._problem(KIND_VALIDATOR, verdict.disagreement, call)
        if not verdict.ok:
            fields = "; ".join(f"{e.dotted()}: {e.message}" for e in verdict.errors)
            self._problem(KIND_INVALID_RESPONSE, f"emulator response breaks schema: {fields}", call)

    def _problem(self, kind: str, message: str, call: Call) -> None:
        problem = Problem(kind, message, route=call.route, interaction_id=call.interaction_id)
        log.error("%s", problem)
        self._record_problem(problem)

    def install(self, app: web.Application) -> None:
        """Add the registered routes, then the catch-all that reports unknown routes."""
        app.router.add_routes(self._routes)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._unknown)

    async def _unknown(self, request: web.Request) -> web.Response:
        route = f"{request.method} {request.path}"
        problem = Problem(KIND_UNKNOWN_ROUTE, f"no emulated Discord route for {route}", route=route)
        log.error("UNKNOWN DISCORD ROUTE %s (the emulator does not implement it)", route)
        self._record_problem(problem)
        body = json.dumps({"message": "404: Not Found", "code": GENERAL_ERROR}).encode()
        return web.Response(status=404, body=body, headers=_JSON_HEADERS)
