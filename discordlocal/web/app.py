"""`WebClient`: the page, its JSON API and its live feed, served by aiohttp next to a `FakeDiscord`.

    web = WebClient(fake, guild.id, people=[Person(alice.id, "member")], max_upload=20 * 2**20)
    url = await web.start("127.0.0.1", 8765)
    ...
    await web.stop()

Routes (every answer to a person is one line of JSON `{"error": ...}` when it fails):
- `GET /`, `GET /static/{file}`: the page (plain HTML, CSS and JS shipped in `static/`).
- `GET /api/state`: the snapshot below, as JSON.
- `GET /api/events`: a websocket; first `{"t": "snapshot", "d": ...}` (the guild, its
  people, the synced commands, the bot's state, every message), then one event per change:
  `message` (created or edited), `delete`, `commands`, `bot`.
- `POST /api/messages`: a person posts (multipart: channel_id, user_id, content, reply_to, file...).
- `POST /api/commands`: a person runs a slash command (multipart: channel_id, user_id, name,
  options as JSON, and `attachment:<option>` files).
- `POST /api/autocomplete`, `POST /api/components`: typing into an option, pressing a button.
- `GET /files/{id}/{name}`: attachment bytes (`?download=1` saves them instead of showing them).

The page never leaves this origin: a Content-Security-Policy allows scripts, styles, images
and connections from the web server itself only. POSTs need the `X-Discordlocal` header and
the websocket a same-origin `Origin`, so another site open in the browser can't act as a user.
Uploads are capped at `max_upload` bytes per file, as the bot caps what it downloads.
"""
from __future__ import annotations

import asyncio
import html
import logging
from pathlib import Path
from urllib.parse import quote, urlsplit

from aiohttp import WSMsgType, web

from ..server import FakeDiscord
from . import views
from .edges import (
    MAX_FILES, UserError, as_int, json_object, json_response, make_errors, read_form, read_json, security_headers,
    why,
)
from .views import Person

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
#: Messages per channel the snapshot carries (the newest).
HISTORY = 200
#: Seconds to wait for a bot's autocomplete answer.
AUTOCOMPLETE_TIMEOUT = 10.0


class WebClient:
    """A browser client for one guild of a `FakeDiscord`; `people` are who the page may act as."""

    def __init__(self, fake: FakeDiscord, guild_id: int, *, people: list[Person], max_upload: int,
                 title: str = "discordlocal") -> None:
        self.fake, self.guild_id, self.people = fake, guild_id, list(people)
        self.max_upload, self.title = max_upload, title
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()

    # --- lifecycle ------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[make_errors(self.max_upload), security_headers],
                              client_max_size=MAX_FILES * self.max_upload + 2**20)
        app.add_routes([
            web.get("/", self.index),
            web.get("/static/{name}", self.static),
            web.get("/api/events", self.events),
            web.get("/api/state", self.state),
            web.post("/api/messages", self.post_message),
            web.post("/api/commands", self.run_command),
            web.post("/api/autocomplete", self.autocomplete),
            web.post("/api/components", self.press_component),
            web.get("/files/{file_id}/{filename}", self.file),
        ])
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on `host:port` (0: any free port); returns the page's URL."""
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, host, port).start()
        except BaseException:
            await self._runner.cleanup()
            self._runner = None
            raise
        bound_host, bound_port = self._runner.addresses[0][:2]
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "::") else bound_host
        self.url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{bound_port}/"
        return self.url

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"server stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- the page -------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        page = (STATIC / "index.html").read_text(encoding="utf-8").replace("{{title}}", html.escape(self.title))
        return web.Response(text=page, content_type="text/html")

    async def static(self, request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        path = STATIC / name
        if name.startswith(".") or "/" in name or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    async def state(self, request: web.Request) -> web.Response:
        return json_response(self.snapshot())

    def snapshot(self) -> dict:
        state = self.fake.state
        guild = views.guild(state, self.guild_id, self.people)
        channels = {int(c["id"]) for c in guild["channels"]}
        messages = []
        for channel_id in channels:
            messages += state.messages_in(channel_id)[-HISTORY:]
        messages.sort(key=lambda m: m.id)
        return {
            "title": self.title, "guild": guild, "commands": views.commands(state, self.guild_id),
            "bot": self._bot(), "max_upload": self.max_upload,
            "messages": [views.message(state, m) for m in messages],
        }

    def _bot(self) -> dict:
        bot = self.fake.bot_user
        return {"id": str(bot.id), "name": bot.username, "online": self.fake.gateway.connected}

    # --- the live feed --------------------------------------------------------------------

    async def events(self, request: web.Request) -> web.WebSocketResponse:
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            raise UserError("cross-site connection refused", 403)
        ws = web.WebSocketResponse(heartbeat=30.0)
        await ws.prepare(request)
        queue: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        unsubscribe = self.fake.subscribe(lambda kind, subject: queue.put_nowait((kind, subject)))
        self._sockets.add(ws)
        sender = asyncio.create_task(self._send_events(ws, queue))
        try:
            async for msg in ws:  # the page only listens; reading keeps the socket's pings going
                if msg.type is WSMsgType.ERROR:
                    break
        finally:
            unsubscribe()
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
            self._sockets.discard(ws)
        return ws

    async def _send_events(self, ws: web.WebSocketResponse, queue: asyncio.Queue) -> None:
        try:
            await self._feed(ws, queue)
        except Exception:  # the page reconnects and gets a fresh snapshot
            log.exception("web client: the live feed failed")
            await ws.close(code=1011, message=b"feed failed")

    async def _feed(self, ws: web.WebSocketResponse, queue: asyncio.Queue) -> None:
        await ws.send_json({"t": "snapshot", "d": self.snapshot()})
        channels = set(self.fake.state.guilds[self.guild_id].channel_ids)
        while not ws.closed:
            kind, subject = await queue.get()
            event = self._event(kind, subject, channels)
            if event is not None:
                try:
                    await ws.send_json(event)
                except ConnectionError:
                    return

    def _event(self, kind: str, subject: object, channels: set[int]) -> dict | None:
        """The page's event for a server event, rendered now (so a burst of edits shows the latest)."""
        state = self.fake.state
        if kind == "message" and subject.channel_id in channels:
            if subject.deleted:
                return {"t": "delete", "d": {"id": str(subject.id), "channel_id": str(subject.channel_id)}}
            return {"t": "message", "d": views.message(state, subject)}
        if kind == "commands":
            return {"t": "commands", "d": views.commands(state, self.guild_id)}
        if kind == "gateway":
            return {"t": "bot", "d": self._bot()}
        return None

    # --- acting as a person ---------------------------------------------------------------

    async def post_message(self, request: web.Request) -> web.Response:
        form, files = await read_form(request, self.max_upload)
        channel_id, user_id = self._channel(form), self._person(form)
        content = form.get("content", "").strip()
        if not content and not files:
            raise UserError("Type a message or attach a file.")
        reply_to = int(form["reply_to"]) if form.get("reply_to", "").isdigit() else None
        try:
            msg = await self.fake.send_message(channel_id, user_id, content,
                                               attachments=[spec for _, spec in files], reference=reply_to)
        except (RuntimeError, ValueError) as exc:
            raise UserError(why(exc), 409) from None
        return json_response({"id": str(msg.id)})

    async def run_command(self, request: web.Request) -> web.Response:
        form, files = await read_form(request, self.max_upload)
        channel_id, user_id = self._channel(form), self._person(form)
        name = " ".join(form.get("name", "").split())
        if not name:
            raise UserError("Choose a command.")
        options = json_object(form.get("options", "{}"))
        attachments = {field.removeprefix("attachment:"): spec for field, spec in files
                       if field.startswith("attachment:")}
        try:
            rec = await self.fake.invoke_slash(self.guild_id, channel_id, user_id, name, options=options,
                                               attachments=attachments)
        except (RuntimeError, ValueError) as exc:
            raise UserError(why(exc), 409) from None
        return json_response({"interaction_id": str(rec.id)})

    async def autocomplete(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        channel_id, user_id = self._channel(body), self._person(body)
        options = body.get("options") or {}
        focused = str(body.get("focused") or "")
        if not isinstance(options, dict) or focused not in options:
            raise UserError("autocomplete needs the options and the focused one")
        try:
            choices = await self.fake.autocomplete(self.guild_id, channel_id, user_id, str(body.get("name", "")),
                                                   options=options, focused=focused, timeout=AUTOCOMPLETE_TIMEOUT)
        except (RuntimeError, ValueError, AssertionError) as exc:
            raise UserError(why(exc), 409) from None
        except TimeoutError:
            raise UserError("The bot did not answer the autocomplete.", 504) from None
        return json_response({"choices": choices})

    async def press_component(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        user_id = self._person(body)
        message_id = as_int(body.get("message_id"), "message_id")
        msg = self.fake.state.messages.get(message_id)
        if msg is None or msg.deleted or msg.guild_id != self.guild_id:
            raise UserError("That message is gone.", 404)
        values = body.get("values")
        custom_id = str(body.get("custom_id", ""))
        try:
            if isinstance(values, list):  # a select menu: its picks travel resolved, as from Discord
                rec = await self.fake.choose(message_id, custom_id, user_id, [str(v) for v in values])
            else:
                rec = await self.fake.click_button(message_id, custom_id, user_id,
                                                   component_type=int(body.get("component_type") or 2))
        except (RuntimeError, ValueError) as exc:
            raise UserError(why(exc), 409) from None
        return json_response({"interaction_id": str(rec.id)})

    async def file(self, request: web.Request) -> web.Response:
        stored = self.fake.state.files.get(as_int(request.match_info["file_id"], "file id"))
        if stored is None:
            raise UserError("No such file.", 404)
        inline = stored.content_type in views.INLINE_TYPES and "download" not in request.query
        disposition = "inline" if inline else "attachment"
        headers = {"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(stored.filename)}",
                   "Cache-Control": "private, max-age=3600"}
        content_type = stored.content_type if stored.content_type in views.INLINE_TYPES else "application/octet-stream"
        return web.Response(body=stored.data, content_type=content_type, headers=headers)

    # --- reading requests -----------------------------------------------------------------

    def _channel(self, fields: dict) -> int:
        channel_id = as_int(fields.get("channel_id"), "channel_id")
        if channel_id not in self.fake.state.guilds[self.guild_id].channel_ids:
            raise UserError("No such channel here.", 404)
        return channel_id

    def _person(self, fields: dict) -> int:
        user_id = as_int(fields.get("user_id"), "user_id")
        if user_id not in {p.user_id for p in self.people}:
            raise UserError("The page can't act as that user.", 403)
        return user_id
