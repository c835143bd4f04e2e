"""`FakeDiscord`: a Discord-compatible server on 127.0.0.1 for running the real discord.py client.

    async with FakeDiscord() as fake:
        guild = fake.add_guild("Test")
        channel = fake.add_channel(guild.id, "general")
        alice = fake.add_user("alice", guilds=[guild.id])
        use_api_base(fake.api_base)          # bot/api_base.py
        ... start the bot, wait for ready ...
        await fake.send_message(channel.id, alice.id, "!ping")
        reply = await fake.wait_for_message(channel.id)

Guilds, channels and members are sent to the bot when it IDENTIFYs, so add them first.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from . import payloads
from .actors import MODAL, Actors, FileSpec
from .gateway import Gateway
from .messaging import Messaging
from .models import (
    DEFAULT_EVERYONE_PERMISSIONS, DEFAULT_FILESIZE_LIMIT, PRIVATE_THREAD, PUBLIC_THREAD, Channel, Guild,
    InteractionRecord, Member, Role, StoredMessage, User,
)
from .rest_channels import ChannelRoutes
from .rest_interactions import InteractionRoutes
from .state import FakeState
from .web_utils import Fault, Recorder, make_auth_middleware, make_middleware

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
AUTOCOMPLETE_RESULT = 8


class FakeDiscord:
    """The server plus helpers to populate it, act as users, inject faults and wait for the bot."""

    def __init__(self, *, token: str | None = None, bot_name: str = "Dreambot") -> None:
        """`token`: when set, REST calls and IDENTIFY with another token fail (401 / close 4004)."""
        self.state = FakeState(bot_name)
        self.gateway = Gateway(self.state, token)
        self.messaging = Messaging(self.state, self.gateway)
        self.actors = Actors(self.state, self.gateway, self.messaging)
        self.recorder = Recorder()
        self.interaction_routes = InteractionRoutes(self.state, self.messaging)
        self._runner: web.AppRunner | None = None
        self._returned: set[int] = set()

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        middlewares = [make_middleware(self.recorder), make_auth_middleware(self.gateway.expected_token)]
        app = web.Application(middlewares=middlewares, client_max_size=1024 ** 3)
        app.add_routes(ChannelRoutes(self.state, self.gateway, self.messaging).routes(API_PREFIX))
        app.add_routes(self.interaction_routes.routes(API_PREFIX))
        app.add_routes([web.get("/", self.gateway.handle), web.get("/resume", self.gateway.handle)])
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.state.root_url = f"http://{host}:{port}"
        log.info("discordlocal listening on %s", self.state.root_url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self.gateway.drop(1001, resumable=False)
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_base(self) -> str:
        """What `bot.api_base.use_api_base()` takes, e.g. "http://127.0.0.1:41234/api/v10"."""
        return self.state.root_url + API_PREFIX

    @property
    def bot_user(self) -> User:
        return self.state.bot

    @property
    def application_id(self) -> int:
        return self.state.application_id

    @property
    def unknown_requests(self) -> list[str]:
        """"METHOD path" of every request no route matched (each also got a 404)."""
        return self.recorder.unknown

    @property
    def server_errors(self) -> list[str]:
        """Tracebacks of the fake's own failures (each answered 400, never 5xx)."""
        return self.recorder.errors

    @property
    def requests(self) -> list[str]:
        return self.recorder.requests

    @property
    def interactions(self) -> dict[int, InteractionRecord]:
        return self.state.interactions

    @property
    def ack_deadline(self) -> float | None:
        """Seconds to acknowledge an interaction before callbacks fail with 10062 (None: never)."""
        return self.state.ack_deadline

    @ack_deadline.setter
    def ack_deadline(self, seconds: float | None) -> None:
        self.state.ack_deadline = seconds

    @property
    def syncs(self) -> int:
        return self.interaction_routes.syncs

    # --- populating -----------------------------------------------------------------------

    def add_guild(self, name: str = "Test Guild", *, owner_id: int | None = None,
                  filesize_limit: int = DEFAULT_FILESIZE_LIMIT,
                  everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS, bot_permissions: int = 0,
                  guild_id: int | None = None, preferred_locale: str = "en-US") -> Guild:
        """`guild_id` (like the `*_id` of the other helpers) fixes the id instead of a fresh snowflake;
        `preferred_locale` is the server's language (a Discord locale such as "de")."""
        return self.state.add_guild(name, owner_id=owner_id, filesize_limit=filesize_limit,
                                    everyone_permissions=everyone_permissions, bot_permissions=bot_permissions,
                                    guild_id=guild_id, preferred_locale=preferred_locale)

    def add_channel(self, guild_id: int, name: str = "general", *, type: int = 0,
                    channel_id: int | None = None) -> Channel:
        """A channel (text by default; `type` 15 makes a forum, whose posts are threads)."""
        return self.state.add_channel(guild_id, name, type=type, channel_id=channel_id)

    async def add_thread(self, parent_id: int, name: str = "thread", *, owner_id: int | None = None,
                         private: bool = False, thread_id: int | None = None) -> Channel:
        """A thread under channel `parent_id` (a post, when the parent is a forum): type 11,
        or 12 when `private`. A connected bot hears THREAD_CREATE; one that connects later
        finds it in GUILD_CREATE's `threads`, as in Discord."""
        parent = self.state.channels[parent_id]
        kind = PRIVATE_THREAD if private else PUBLIC_THREAD
        thread = self.state.add_channel(parent.guild_id, name, type=kind, channel_id=thread_id,
                                        parent_id=parent_id, owner_id=owner_id or self.state.owner.id)
        await self.gateway.dispatch("THREAD_CREATE", {**payloads.channel(thread), "newly_created": True},
                                    guild_id=thread.guild_id)
        return thread

    def add_dm(self, user_id: int) -> Channel:
        """The DM channel between `user_id` and the bot; `send_message` there sends a DM."""
        return self.state.add_dm(user_id)

    async def set_permissions(self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0) -> None:
        """Set channel `channel_id`'s permission overwrite for a role (the guild's id is
        @everyone) or a member; a connected bot hears CHANNEL_UPDATE. Interactions in the
        channel (and its threads) then carry the member's permissions with overwrites."""
        self.state.set_overwrite(channel_id, target_id, allow=allow, deny=deny)
        channel = self.state.channels[channel_id]
        await self.gateway.dispatch("CHANNEL_UPDATE", payloads.channel(channel), guild_id=channel.guild_id)

    def permissions_in(self, channel_id: int, user_id: int) -> int:
        """What `user_id` may do in the channel, overwrites applied (what interactions carry)."""
        return self.state.permissions_in(channel_id, user_id)

    def add_user(self, username: str, *, guilds: list[int] = (), bot: bool = False,
                 user_id: int | None = None, locale: str = "en-US") -> User:
        """A user, made a member (no extra roles) of each guild in `guilds`; `locale` is their
        Discord client's language, which their interactions carry."""
        user = self.state.add_user(username, bot=bot, user_id=user_id, locale=locale)
        for guild_id in guilds:
            self.state.add_member(guild_id, user.id)
        return user

    def add_role(self, guild_id: int, name: str, permissions: int = 0, *, role_id: int | None = None) -> Role:
        return self.state.add_role(guild_id, name, permissions, role_id=role_id)

    def add_member(self, guild_id: int, user_id: int, role_ids: list[int] | None = None) -> Member:
        return self.state.add_member(guild_id, user_id, role_ids)

    def subscribe(self, listener: Callable[[str, object], None]) -> Callable[[], None]:
        """Watch what changes: see `FakeState.publish`; returns the unsubscribe function."""
        return self.state.subscribe(listener)

    def commands(self, guild_id: int | None = None) -> list[dict]:
        """The application commands the bot synced, globally (None) or for one guild."""
        return list(self.state.commands.get(guild_id, {}).values())

    # --- acting as users ------------------------------------------------------------------

    async def send_message(self, channel_id: int, author_id: int, content: str = "", *,
                           attachments: list[FileSpec] = (), reference: int | None = None) -> StoredMessage:
        return await self.actors.send_message(channel_id, author_id, content, attachments=attachments,
                                              reference=reference)

    async def invoke_slash(self, guild_id: int, channel_id: int, user_id: int, name: str, *,
                           options: dict | None = None,
                           attachments: dict[str, FileSpec] | None = None) -> InteractionRecord:
        """Dispatch a slash command; `attachments` maps option name -> (filename, bytes, type)."""
        return await self.actors.invoke_slash(guild_id, channel_id, user_id, name, options=options,
                                              attachments=attachments)

    async def click_button(self, message_id: int, custom_id: str, user_id: int, **kwargs) -> InteractionRecord:
        return await self.actors.click_button(message_id, custom_id, user_id, **kwargs)

    async def choose(self, message_id: int, custom_id: str, user_id: int, values: list[int | str]) -> InteractionRecord:
        """Pick `values` (ids, or a string select's option values) in a select menu on a message."""
        return await self.actors.choose(message_id, custom_id, user_id, values)

    async def invoke_message_command(self, channel_id: int, user_id: int, name: str,
                                     target_id: int) -> InteractionRecord:
        """Run the message context-menu command `name` on message `target_id` (Apps > name)."""
        return await self.actors.invoke_message_command(channel_id, user_id, name, target_id)

    async def submit_modal(self, opened: InteractionRecord, user_id: int,
                           values: dict[str, str] | None = None) -> InteractionRecord:
        """Submit the modal the bot opened in answer to `opened`; `values`: custom_id -> text."""
        return await self.actors.submit_modal(opened, user_id, values or {})

    def modal_of(self, rec: InteractionRecord) -> dict | None:
        """The modal (callback type 9's data) the bot answered `rec` with, if it did."""
        return next((c["data"] for c in rec.callbacks if c["type"] == MODAL), None)

    async def autocomplete(self, guild_id: int, channel_id: int, user_id: int, name: str, *, options: dict,
                           focused: str, timeout: float = 5.0) -> list[dict]:
        """Type into option `focused` and return the choices the bot answered."""
        rec = await self.actors.invoke_slash(guild_id, channel_id, user_id, name, options=options, focused=focused)
        callback = await self.wait_for_interaction_response(rec.id, timeout=timeout)
        if callback["type"] != AUTOCOMPLETE_RESULT:
            raise AssertionError(f"expected an autocomplete result (type 8), got {callback}")
        return callback["data"].get("choices", [])

    # --- faults ---------------------------------------------------------------------------

    def fail_next(self, route_substring: str, status: int = 429, *, retry_after: float = 0.2, times: int = 1,
                  code: int = 0) -> Fault:
        """Answer the next `times` requests whose "METHOD path?query" contains `route_substring`
        with `status` (429 carries `retry_after`). Note discord.py retries 500/502/504 after 1, 3,
        5... seconds, and raises DiscordServerError at once for other 5xx such as 503."""
        fault = Fault(route_substring, status, times, retry_after, code)
        self.recorder.faults.append(fault)
        return fault

    def lose_next_response(self, route_substring: str, status: int = 500, *, times: int = 1) -> Fault:
        """Handle the next `times` matching requests, then answer `status` anyway: the response
        is lost on its way back. A message is created, and the client, told 5xx, retries
        (discord.py does for 500, 502 and 504): with `enforce_nonce` Discord answers a repeat
        with the message it made, without one a second message appears."""
        fault = Fault(route_substring, status, times, after=True)
        self.recorder.faults.append(fault)
        return fault

    def refuse_gateway(self, times: int = 1, *, status: int | None = None, close_code: int = 1011) -> None:
        """Refuse the next `times` gateway connections: with `status` the websocket upgrade
        gets that HTTP answer, else the socket closes with `close_code` before HELLO."""
        self.gateway.refuse_next(times, status=status, close_code=close_code)

    async def drop_gateway(self, code: int = 4000, *, resumable: bool = True) -> None:
        """Close the bot's websocket; it RESUMEs (or re-IDENTIFYs when not `resumable`)."""
        await self.gateway.drop(code, resumable=resumable)

    async def remove_bot_from_guild(self, guild_id: int) -> None:
        """The bot is kicked (or the server deleted): GUILD_DELETE without `unavailable`, as Discord sends it.

        The guild stays in the fake's state (so tests can still read its messages); only the bot hears it left.
        """
        await self.gateway.dispatch("GUILD_DELETE", {"id": str(guild_id)}, guild_id=guild_id)

    # --- waiting --------------------------------------------------------------------------

    def messages_in(self, channel_id: int) -> list[StoredMessage]:
        return self.state.messages_in(channel_id)

    async def wait_for_message(self, channel_id: int | None = None, *, interaction_id: int | None = None,
                               predicate: Callable[[StoredMessage], bool] | None = None,
                               author_id: int | None = None, timeout: float = 5.0) -> StoredMessage:
        """The oldest message from the bot (or `author_id`) not returned by an earlier call.

        Includes messages already posted, so there is no race with the action that causes it.
        Deferred "thinking..." placeholders count once they are filled in.
        """
        author = author_id or self.state.bot.id

        def check() -> StoredMessage | None:
            for m in self.state.messages.values():
                if (m.id not in self._returned and not m.deleted and not m.loading and m.author_id == author
                        and channel_id in (None, m.channel_id) and interaction_id in (None, m.interaction_id)
                        and (predicate is None or predicate(m))):
                    self._returned.add(m.id)
                    return m
            return None

        return await self.state.wait_until(check, timeout, lambda: f"a message in channel {channel_id} "
                                           f"(interaction {interaction_id}); have {self._summary(channel_id)}")

    async def wait_for_edit(self, message_id: int, predicate: Callable[[StoredMessage], bool] | None = None, *,
                            timeout: float = 5.0) -> StoredMessage:
        """The message once it has been edited at least once and `predicate` holds."""
        def check() -> StoredMessage | None:
            m = self.state.messages.get(message_id)
            return m if m and m.edits and (predicate is None or predicate(m)) else None

        return await self.state.wait_until(check, timeout, lambda: f"an edit of message {message_id}: "
                                           f"{self.state.messages.get(message_id)}")

    async def wait_for_interaction_response(self, interaction_id: int, *, timeout: float = 5.0) -> dict:
        """The bot's first callback to the interaction: {"type": int, "data": dict}."""
        rec = self.state.interactions[interaction_id]
        return await self.state.wait_until(lambda: rec.callbacks[0] if rec.callbacks else None, timeout,
                                           lambda: f"a response to interaction {interaction_id}")

    async def wait_for_gateway(self, *, identifies: int = 0, resumes: int = 0, timeout: float = 5.0) -> None:
        """Until the bot has IDENTIFYed / RESUMEd at least that many times and is connected."""
        g = self.gateway
        await self.state.wait_until(
            lambda: True if g.connected and g.identifies >= identifies and g.resumes >= resumes else None, timeout,
            lambda: f"gateway identifies>={identifies} resumes>={resumes} (now {g.identifies}, {g.resumes}, "
                    f"connected={g.connected})")

    async def wait_until(self, check: Callable[[], object], *, timeout: float = 5.0, what: str = "a condition"):
        """Generic wait: `check()`'s first truthy result, re-checked whenever the fake's state changes."""
        return await self.state.wait_until(lambda: check() or None, timeout, lambda: what)

    def _summary(self, channel_id: int | None) -> list[str]:
        return [f"{m.id} by {m.author_id}: {m.content[:40]!r} files={[f.filename for f in m.files]}"
                f"{' (loading)' if m.loading else ''}"
                for m in self.state.messages.values() if channel_id in (None, m.channel_id)][-10:]
