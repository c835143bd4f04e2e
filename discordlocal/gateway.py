"""The gateway websocket: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME, dispatch.

Sessions outlive their sockets, like Discord's: every dispatch is numbered and logged per session,
so after `drop()` the client RESUMEs (at READY's `resume_gateway_url`) and gets what it missed
replayed before RESUMED. `drop(resumable=False)` forgets the sessions: the RESUME is answered with
INVALID_SESSION and the client IDENTIFYs again.
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from . import payloads
from .state import FakeState

log = logging.getLogger(__name__)

# Opcodes (discord.gateway.DiscordWebSocket has the same table).
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11

# Intents the fake honours.
GUILD_MEMBERS, GUILD_MESSAGES, DM_MESSAGES, MESSAGE_CONTENT = 1 << 1, 1 << 9, 1 << 12, 1 << 15

#: Close codes discord.py treats as fatal: it stops instead of reconnecting, so the error shows.
AUTHENTICATION_FAILED, INVALID_API_VERSION = 4004, 4012
HEARTBEAT_INTERVAL_MS = 41250


class Connection:
    """One websocket; owns the zlib stream, which must see messages in the order they are sent."""

    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self._zlib = zlib.compressobj() if compress else None
        self._lock = asyncio.Lock()

    async def send(self, payload: dict) -> bool:
        """Send one payload; False if the socket is already gone (the caller keeps it for RESUME)."""
        text = json.dumps(payload)
        async with self._lock:
            try:
                if self._zlib is None:
                    await self.ws.send_str(text)
                else:
                    # zlib-stream: one shared context, each message ends with a Z_SYNC_FLUSH marker.
                    data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
            except (ConnectionError, RuntimeError):
                return False
        return True


@dataclass(frozen=True)
class Refusal:
    """How one gateway connection is refused: an HTTP `status` on the upgrade, else a close."""

    status: int | None
    close_code: int


@dataclass
class Session:
    id: str
    intents: int
    shard: tuple[int, int]
    seq: int = 0
    #: Every dispatch (with its `s`), kept so a RESUME can replay what the client missed.
    log: list[dict] = field(default_factory=list)
    conn: Connection | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def wants_guild(self, guild_id: int | None) -> bool:
        shard_id, shard_count = self.shard
        return guild_id is None or (guild_id >> 22) % shard_count == shard_id

    async def dispatch(self, event: str, data: dict) -> None:
        async with self.lock:
            self.seq += 1
            payload = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
            self.log.append(payload)
            if self.conn is not None:
                await self.conn.send(payload)


class Gateway:
    """Accepts bot connections and fans events out to their sessions."""

    def __init__(self, state: FakeState, expected_token: str | None = None) -> None:
        self.state = state
        self.expected_token = expected_token
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        #: How many IDENTIFYs and successful RESUMEs the gateway has seen (tests wait on these).
        self.identifies = 0
        self.resumes = 0
        #: The path of each websocket connection, in order ("/" first, "/resume" after a drop).
        self.connect_paths: list[str] = []
        #: Connections still to refuse, oldest first (`refuse_next`); each one refused is counted.
        self.refusals: list[Refusal] = []
        self.refused = 0

    @property
    def connected(self) -> bool:
        return any(s.conn is not None for s in self.sessions.values())

    def refuse_next(self, times: int = 1, *, status: int | None = None, close_code: int = 1011) -> None:
        """Refuse the next `times` connections, as a gateway that is down or restarting does:
        with `status`, answer the websocket upgrade with that HTTP status; without, accept the
        socket and close it with `close_code` before HELLO."""
        self.refusals += [Refusal(status, close_code)] * times

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.refusals:
            refusal = self.refusals.pop(0)
            self.refused += 1
            self.state.changed()
            if refusal.status is not None:
                return web.Response(status=refusal.status, text="discordlocal: gateway refused the upgrade")
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            await ws.close(code=refusal.close_code, message=b"discordlocal: refused before HELLO")
            return ws
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.connect_paths.append(request.path)
        compress = request.query.get("compress")
        conn = Connection(ws, compress == "zlib-stream")
        self.connections.append(conn)
        try:
            if compress not in (None, "zlib-stream"):
                log.error("discordlocal: client asked for %s compression; only zlib-stream is supported", compress)
                await ws.close(code=INVALID_API_VERSION, message=b"unsupported compression")
                return ws
            await conn.send({"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None, "t": None})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_payload(conn, json.loads(msg.data))
        finally:
            self.connections.remove(conn)
            for session in self.sessions.values():
                if session.conn is conn:
                    session.conn = None
            self.state.changed()
            self.state.publish("gateway")
        return ws

    async def dispatch(self, event: str, data: dict, *, guild_id: int | None = None, intent: int = 0) -> None:
        """Send an event to every session that has `intent` (0 = always) and owns the guild's shard."""
        for session in list(self.sessions.values()):
            if intent and not session.intents & intent:
                continue
            if session.wants_guild(guild_id):
                await session.dispatch(event, self._for_session(session, event, data))

    async def drop(self, code: int = 4000, *, resumable: bool = True) -> None:
        """Close every live socket the way a network blip or a Discord restart would."""
        if not resumable:
            self.sessions.clear()
        for conn in list(self.connections):
            await conn.ws.close(code=code, message=b"discordlocal drop")

    # --- protocol -------------------------------------------------------------------------

    async def _on_payload(self, conn: Connection, msg: dict) -> None:
        op, data = msg.get("op"), msg.get("d")
        if op == HEARTBEAT:
            await conn.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(conn, data)
        elif op == RESUME:
            await self._resume(conn, data)
        elif op == REQUEST_MEMBERS:
            await self._member_chunk(conn, data)
        elif op not in (PRESENCE, VOICE_STATE):
            log.warning("discordlocal: ignoring gateway op %s", op)

    def _token_ok(self, token: str) -> bool:
        return self.expected_token is None or token == self.expected_token

    async def _identify(self, conn: Connection, data: dict) -> None:
        if not self._token_ok(data.get("token", "")):
            await conn.ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return
        shard = tuple(data.get("shard") or (0, 1))
        session = Session(secrets.token_hex(16), int(data.get("intents", 0)), (int(shard[0]), int(shard[1])))
        self.sessions[session.id] = session
        session.conn = conn
        resume_url = f"{self.state.root_url.replace('http', 'ws', 1)}/resume"
        guilds = [g for g in self.state.guilds.values() if session.wants_guild(g.id)]
        await session.dispatch("READY", {
            "v": 10, "user": payloads.user(self.state.bot), "session_id": session.id,
            "resume_gateway_url": resume_url, "shard": list(session.shard), "private_channels": [],
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "application": {"id": str(self.state.application_id), "flags": 0},
        })
        for guild in guilds:
            await session.dispatch("GUILD_CREATE", payloads.guild_create(
                self.state, guild, all_members=bool(session.intents & GUILD_MEMBERS)))
        self.identifies += 1
        self.state.changed()
        self.state.publish("gateway")

    async def _resume(self, conn: Connection, data: dict) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or not self._token_ok(data.get("token", "")):
            await conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        async with session.lock:
            if session.conn is not None and session.conn is not conn:
                await session.conn.ws.close(code=4000)
            session.conn = conn
            last_seen = data.get("seq") or 0
            for payload in session.log:
                if payload["s"] > last_seen:
                    await conn.send(payload)
        await session.dispatch("RESUMED", {})
        self.resumes += 1
        self.state.changed()
        self.state.publish("gateway")

    async def _member_chunk(self, conn: Connection, data: dict) -> None:
        guild = self.state.guilds.get(int(data["guild_id"]))
        session = next((s for s in self.sessions.values() if s.conn is conn), None)
        if guild is None or session is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        members = [payloads.member(self.state, guild, uid) for uid in guild.members if not wanted or uid in wanted]
        chunk = {"guild_id": str(guild.id), "members": members, "chunk_index": 0, "chunk_count": 1}
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def _for_session(self, session: Session, event: str, data: dict) -> dict:
        """Blank message content the way Discord does for bots without the message content intent."""
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & MESSAGE_CONTENT:
            return data
        bot_id = str(self.state.bot.id)
        if data.get("author", {}).get("id") == bot_id or "guild_id" not in data or f"<@{bot_id}>" in data["content"]:
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}
