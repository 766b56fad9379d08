"""The emulator's server: one aiohttp app on 127.0.0.1 serving REST and the gateway."""

from __future__ import annotations

import json
import logging
import time

from aiohttp import web

from bot.emulator import rest_app, rest_commands, rest_interactions, rest_messages
from bot.emulator.dispatches import EventRelay
from bot.emulator.gateway import PRIVILEGED_INTENTS, Gateway, GatewaySession, RawJSON
from bot.emulator.interactions import InteractionTracker
from bot.emulator.problems import GENERAL_ERROR, KIND_UNKNOWN_ROUTE, EmulatorError, Problem
from bot.emulator.registry import CommandRegistry
from bot.emulator.rest import API_PREFIX, GatewayInfo, RestApi
from bot.emulator.transcripts import InteractionRecord
from bot.emulator.world import World

log = logging.getLogger(__name__)


class EmulatorServer:
    """Owns the emulated Discord: state, REST API, gateway and the problem log.

    Args:
        host: Interface to bind (loopback).
        port: TCP port; 0 picks a free one.
        ack_timeout: Seconds a bot has to acknowledge an interaction.
        shard_count: Shard count ``GET /gateway/bot`` recommends.
        heartbeat_interval: Seconds announced in the gateway HELLO.
        privileged_intents: Privileged intents the application may request.
        paranoid: Cross-check every validation with the reference validator (slow).
        bot_name: Username of the bot user.
        history: Finished interactions, and messages, kept (bounds memory in long runs).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ack_timeout: float = 3.0,
        shard_count: int = 1,
        heartbeat_interval: float = 41.25,
        privileged_intents: int = PRIVILEGED_INTENTS,
        paranoid: bool = False,
        bot_name: str = "tokendesk",
        history: int = 10_000,
    ) -> None:
        self.host = host
        self.port = port
        self.recommended_shards = shard_count
        self.world = World(bot_name, max_messages=history)
        self.commands = CommandRegistry(self.world)
        self.problems: list[Problem] = []
        self.tracker = InteractionTracker(self.world, ack_timeout, self.record, history=history)
        self.gateway = Gateway(
            self.world,
            self.record,
            heartbeat_interval=heartbeat_interval,
            privileged_intents=privileged_intents,
        )
        self.api = RestApi(
            self.world.application.token, self.record, self._locate, paranoid=paranoid
        )
        gateway_info = GatewayInfo(lambda: self.gateway_url, shard_count)
        rest_app.install(self.api, self.world, gateway_info)
        rest_commands.install(self.api, self.world, self.commands)
        rest_messages.install(self.api, self.world)
        rest_interactions.install(self.api, self.world, self.tracker)
        self.events = EventRelay(self.world, self.gateway)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def rest_url(self) -> str:
        """REST base for ``discord.http.Route.BASE``."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Gateway websocket URL (what ``GET /gateway/bot`` returns)."""
        return f"ws://{self.host}:{self.port}/gateway"

    async def start(self) -> None:
        """Bind and serve."""
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/resume", self.gateway.handle)
        self.api.install(app)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.gateway.resume_url = f"ws://{self.host}:{self.port}/gateway/resume"
        log.info("Discord emulator listening on %s", self.base_url)

    async def stop(self) -> None:
        """Close gateway sessions and the server."""
        self.tracker.close()
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def record(self, problem: Problem) -> None:
        """Record a problem (and attach it to its interaction)."""
        self.problems.append(problem)
        if problem.interaction_id is not None:
            record = self.tracker.get(problem.interaction_id)
            if record is not None:
                self.tracker.note_problem(record, problem)

    def dispatch_interaction(self, record: InteractionRecord) -> GatewaySession:
        """Send INTERACTION_CREATE to the session holding the interaction's shard.

        Raises:
            EmulatorError: if no connected (or resumable) client holds that shard.
        """
        session = self.gateway.route(record.guild_id)
        if session is None:
            where = f"guild {record.guild_id}" if record.guild_id else "DMs (shard 0)"
            raise EmulatorError(f"no gateway session holds the shard of {where}")
        record.dispatched_at = time.perf_counter()
        session.dispatch("INTERACTION_CREATE", RawJSON(record.payload_json))
        return session

    def _locate(self, params: dict[str, str]) -> int | None:
        if "interaction_id" in params:
            return int(params["interaction_id"]) if params["interaction_id"].isdigit() else None
        record = self.tracker.by_token(params.get("webhook_token", ""))
        return record.id if record is not None else None

    async def _unknown(self, request: web.Request) -> web.Response:
        route = f"{request.method} {request.path}"
        log.error("UNKNOWN DISCORD ROUTE %s (not under %s)", route, API_PREFIX)
        self.record(Problem(KIND_UNKNOWN_ROUTE, f"no emulated route for {route}", route=route))
        body = json.dumps({"message": "404: Not Found", "code": GENERAL_ERROR}).encode()
        return web.Response(status=404, body=body, headers={"Content-Type": "application/json"})
