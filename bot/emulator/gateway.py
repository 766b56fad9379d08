"""The gateway: Discord's websocket protocol (HELLO, IDENTIFY/READY, heartbeats, RESUME).

Each IDENTIFY creates a session for one shard ``[shard_id, shard_count]``; a guild belongs
to shard ``(guild_id >> 22) % shard_count`` and DMs to shard 0. Dispatches are numbered per
session and kept in a backlog so a client that reconnects with RESUME gets what it missed.
With ``compress=zlib-stream`` frames are sent as one zlib stream, flushed per message, as
Discord does; otherwise as plain JSON text frames.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.emulator.payloads import guild_create_json, member_json, self_user_json
from bot.emulator.problems import KIND_GATEWAY, Problem
from bot.emulator.snowflakes import shard_of
from bot.emulator.world import World

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME, RECONNECT = 0, 1, 2, 3, 4, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content
BACKLOG = 2048
_TRACE = ['["tokendesk-emulator",{"micros":0}]']


class RawJSON(str):
    """Event data that is already serialised JSON (sent as is)."""


def _frame(op: int, data: Any, seq: int | None = None, event: str | None = None) -> str:
    body = data if isinstance(data, RawJSON) else json.dumps(data, separators=(",", ":"))
    return f'{{"op":{op},"d":{body},"s":{json.dumps(seq)},"t":{json.dumps(event)}}}'


class Connection:
    """One websocket; frames are serialised, compressed and written in dispatch order."""

    def __init__(self, ws: web.WebSocketResponse, *, zlib_stream: bool) -> None:
        self.ws = ws
        self._deflate = zlib.compressobj() if zlib_stream else None
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write(), name="emulator-gateway-writer")

    def enqueue(self, frame: str) -> None:
        """Queue a serialised frame for sending."""
        self._queue.put_nowait(frame)

    async def _write(self) -> None:
        while (text := await self._queue.get()) is not None:
            try:
                if self._deflate is None:
                    await self.ws.send_str(text)
                else:
                    data = self._deflate.compress(text.encode())
                    await self.ws.send_bytes(data + self._deflate.flush(zlib.Z_SYNC_FLUSH))
            except (ConnectionError, RuntimeError):
                log.debug("gateway frame dropped: socket closed")
                return

    async def close(self, code: int, reason: str = "") -> None:
        """Send what is queued (for up to a second), then close with a gateway close code."""
        self._queue.put_nowait(None)
        await asyncio.wait({self._writer}, timeout=1.0)
        self._writer.cancel()
        await self.ws.close(code=code, message=reason.encode())

    def stop(self) -> None:
        """Stop the writer task."""
        self._writer.cancel()


@dataclass(eq=False)
class GatewaySession:
    """An identified gateway session for one shard; survives disconnects until invalidated."""

    id: str
    shard_id: int
    shard_count: int
    intents: int
    seq: int = 0
    connection: Connection | None = None
    resumes: int = 0
    resume_paths: list[str] = field(default_factory=list)
    invalid: bool = False
    identified_at: float = field(default_factory=time.monotonic)
    backlog: deque[tuple[int, str]] = field(
        default_factory=lambda: deque(maxlen=BACKLOG), repr=False
    )

    def holds(self, guild_id: int | None) -> bool:
        """Whether this session's shard receives events of ``guild_id`` (None = DMs)."""
        if guild_id is None:
            return self.shard_id == 0
        return shard_of(guild_id, self.shard_count) == self.shard_id

    def dispatch(self, event: str, data: Any) -> int:
        """Number, log and (if connected) send a DISPATCH; return its sequence number."""
        self.seq += 1
        frame = _frame(DISPATCH, data, self.seq, event)
        self.backlog.append((self.seq, frame))
        if self.connection is not None:
            self.connection.enqueue(frame)
        return self.seq


class Gateway:
    """Serves gateway websockets and routes events to the session holding each shard.

    Args:
        world: Emulator state (token, guilds).
        record_problem: Sink for problems (bad token, protocol errors).
        heartbeat_interval: Seconds announced in HELLO.
        privileged_intents: Privileged intent bits the application is allowed to use.
    """

    def __init__(
        self,
        world: World,
        record_problem: Callable[[Problem], None],
        *,
        heartbeat_interval: float = 41.25,
        privileged_intents: int = PRIVILEGED_INTENTS,
    ) -> None:
        self._world = world
        self._record_problem = record_problem
        self.heartbeat_interval = heartbeat_interval
        self.privileged_intents = privileged_intents
        self.sessions: dict[str, GatewaySession] = {}
        self.resume_url = ""
        self._tasks: set[asyncio.Task[None]] = set()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp handler of the gateway websocket endpoints."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = Connection(ws, zlib_stream=request.query.get("compress") == "zlib-stream")
        hello = {"heartbeat_interval": int(self.heartbeat_interval * 1000), "_trace": _TRACE}
        conn.enqueue(_frame(HELLO, hello))
        session: GatewaySession | None = None
        try:
            if request.query.get("encoding", "json") != "json":
                await self._refuse(conn, 4002, "Only encoding=json is emulated.")
            async for message in ws:
                try:
                    payload = json.loads(message.data) if message.type is WSMsgType.TEXT else {}
                    op = payload["op"]
                except (ValueError, KeyError, TypeError):
                    await self._refuse(conn, 4002, "Error while decoding payload.")
                    break
                session = await self._on_frame(conn, session, op, payload.get("d"), request.path)
        finally:
            conn.stop()
            if session is not None and session.connection is conn:
                session.connection = None
                if ws.close_code in (1000, 1001):  # a clean close ends the session
                    self.end(session.id)
        return ws

    async def _on_frame(
        self, conn: Connection, session: GatewaySession | None, op: int, data: Any, path: str
    ) -> GatewaySession | None:
        if op == HEARTBEAT:
            conn.enqueue(_frame(HEARTBEAT_ACK, None))
        elif op == IDENTIFY:
            if session is not None:
                await self._refuse(conn, 4005, "Already authenticated.")
                return session
            return await self._identify(conn, data or {})
        elif op == RESUME:
            return await self._resume(conn, data or {}, path)
        elif session is None:
            await self._refuse(conn, 4003, "Not authenticated.")
        elif op == REQUEST_MEMBERS:
            self._members_chunk(session, data or {})
        elif op not in (PRESENCE, VOICE):
            await self._refuse(conn, 4001, "Unknown opcode.")
        return session

    async def _refuse(self, conn: Connection, code: int, reason: str) -> None:
        self._record_problem(Problem(KIND_GATEWAY, f"gateway closed {code}: {reason}"))
        log.error("gateway refused a client: %s %s", code, reason)
        await conn.close(code, reason)

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> GatewaySession | None:
        if data.get("token") != self._world.application.token:
            await self._refuse(conn, 4004, "Authentication failed.")
            return None
        intents = data.get("intents")
        if not isinstance(intents, int) or isinstance(intents, bool) or intents < 0:
            await self._refuse(conn, 4013, "Invalid intent(s).")
            return None
        if intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            await self._refuse(conn, 4014, "Disallowed intent(s).")
            return None
        shard = data.get("shard", [0, 1])
        if not (isinstance(shard, list) and len(shard) == 2 and 0 <= shard[0] < shard[1]):
            await self._refuse(conn, 4010, "Invalid shard.")
            return None
        session = GatewaySession(secrets.token_hex(16), shard[0], shard[1], intents)
        session.connection = conn
        self.sessions[session.id] = session
        world = self._world
        guilds = [g for g in world.guilds.values() if session.holds(g.id)]
        session.dispatch(
            "READY",
            {
                "v": 10,
                "user": self_user_json(world.application.bot),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.id,
                "session_type": "normal",
                "resume_gateway_url": self.resume_url,
                "shard": [session.shard_id, session.shard_count],
                "application": {"id": str(world.application.id), "flags": world.application.flags},
                "private_channels": [],
                "presences": [],
                "relationships": [],
                "user_settings": {},
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "_trace": _TRACE,
            },
        )
        for guild in guilds:
            session.dispatch("GUILD_CREATE", guild_create_json(guild, world))
        log.info("gateway session %s identified for shard %s", session.id, shard)
        return session

    async def _resume(
        self, conn: Connection, data: dict[str, Any], path: str
    ) -> GatewaySession | None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq") or 0
        oldest = session.backlog[0][0] if session and session.backlog else 1
        if (
            session is None
            or session.invalid
            or data.get("token") != self._world.application.token
            or seq + 1 < oldest
        ):
            log.warning("RESUME refused for session %s", data.get("session_id"))
            conn.enqueue(_frame(INVALID_SESSION, False))
            return None
        previous = session.connection
        session.connection = conn
        if previous is not None and previous is not conn:
            task = asyncio.create_task(previous.close(4000, "Session resumed elsewhere."))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        for number, frame in session.backlog:
            if number > seq:
                conn.enqueue(frame)
        session.resumes += 1
        session.resume_paths.append(path)
        session.dispatch("RESUMED", {"_trace": _TRACE})
        log.info("gateway session %s resumed from seq %s", session.id, seq)
        return session

    def _members_chunk(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild = self._world.guilds.get(int(data.get("guild_id") or 0))
        if guild is None or not session.holds(guild.id):
            return
        query = str(data.get("query") or "").lower()
        wanted = {int(u) for u in data.get("user_ids") or []}
        members = [
            member_json(m)
            for m in guild.members.values()
            if (not wanted or m.id in wanted) and m.user.name.lower().startswith(query)
        ]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def route(self, guild_id: int | None) -> GatewaySession | None:
        """Return the newest live session holding ``guild_id``'s shard (None = DMs)."""
        best: GatewaySession | None = None
        for session in self.sessions.values():
            if session.invalid or not session.holds(guild_id):
                continue
            if best is None or session.identified_at > best.identified_at:
                best = session
        return best

    def end(self, session_id: str) -> None:
        """Invalidate a session whose client is gone for good (no RESUME, no more events)."""
        session = self.sessions.pop(session_id, None)
        if session is not None:
            session.invalid = True
            session.connection = None

    def send_reconnect(self, session: GatewaySession) -> None:
        """Ask the client to reconnect and RESUME (opcode 7), as Discord does at times."""
        if session.connection is not None:
            session.connection.enqueue(_frame(RECONNECT, None))

    async def close(self) -> None:
        """Close every connection (1001, going away)."""
        for session in list(self.sessions.values()):
            if session.connection is not None:
                await session.connection.close(1001, "Emulator stopping.")
        self.sessions.clear()
