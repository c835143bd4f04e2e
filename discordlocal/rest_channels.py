"""REST routes a bot uses outside interactions: channels, messages, reactions, typing, users,
guild lookups, application info, gateway discovery, and the CDN serving attachment bytes."""
from __future__ import annotations

from urllib.parse import unquote

from aiohttp import web

from . import payloads
from .gateway import Gateway
from .messaging import Messaging
from .state import FakeState
from .web_utils import DiscordError, json_response, read_upload

SEND_MESSAGES, ATTACH_FILES, SEND_MESSAGES_IN_THREADS = 1 << 11, 1 << 15, 1 << 38


class ChannelRoutes:
    def __init__(self, state: FakeState, gateway: Gateway, messaging: Messaging) -> None:
        self.state, self.gateway, self.messaging = state, gateway, messaging

    def routes(self, api: str) -> list[web.RouteDef]:
        msg = api + "/channels/{channel_id}/messages/{message_id}"
        return [
            web.get(api + "/channels/{channel_id}", self.get_channel),
            web.get(api + "/channels/{channel_id}/messages", self.history),
            web.post(api + "/channels/{channel_id}/messages", self.create_message),
            web.get(msg, self.get_message),
            web.patch(msg, self.edit_message),
            web.delete(msg, self.delete_message),
            web.put(msg + "/reactions/{emoji}/@me", self.add_reaction),
            web.delete(msg + "/reactions/{emoji}/{user}", self.remove_reaction),
            web.post(api + "/channels/{channel_id}/typing", self.typing),
            web.get(api + "/users/{user_id}", self.get_user),
            web.get(api + "/guilds/{guild_id}", self.get_guild),
            web.get(api + "/guilds/{guild_id}/channels", self.guild_channels),
            web.get(api + "/guilds/{guild_id}/members/{user_id}", self.get_member),
            web.get(api + "/oauth2/applications/@me", self.application),
            web.get(api + "/applications/@me", self.application),
            web.get(api + "/gateway", self.gateway_url),
            web.get(api + "/gateway/bot", self.gateway_url),
            web.get("/attachments/{channel_id}/{file_id}/{filename}", self.cdn),
        ]

    # --- channels and messages ------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        channel = self.state.channels.get(int(request.match_info["channel_id"]))
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return json_response(payloads.channel(channel, self.state.users.get(channel.recipient_id or 0)))

    async def history(self, request: web.Request) -> web.Response:
        """Newest first, honouring `limit`, `before` and `after` like Discord."""
        messages = self.state.messages_in(int(request.match_info["channel_id"]))
        q = request.query
        if "before" in q:
            messages = [m for m in messages if m.id < int(q["before"])]
        if "after" in q:
            messages = [m for m in messages if m.id > int(q["after"])]
        limit = int(q.get("limit", 50))
        picked = messages[:limit] if "after" in q else messages[-limit:]
        return json_response([payloads.message(self.state, m) for m in reversed(picked)])

    async def create_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        upload = await read_upload(request)
        guild = self.state.guild_of_channel(channel_id)
        if guild is not None:  # the bot's permissions in this channel, overwrites included
            perms = self.state.permissions_in(channel_id, self.state.bot.id)
            post = SEND_MESSAGES_IN_THREADS if self.state.channels[channel_id].is_thread else SEND_MESSAGES
            needed = post | (ATTACH_FILES if upload.files else 0)
            if perms & needed != needed:
                raise DiscordError(403, 50013, "Missing Permissions")
        msg = await self.messaging.create(channel_id, upload)
        return json_response(payloads.message(self.state, msg))

    async def get_message(self, request: web.Request) -> web.Response:
        return json_response(payloads.message(self.state, self._message(request)))

    async def edit_message(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        if msg.author_id != self.state.bot.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        msg = await self.messaging.edit(msg, await read_upload(request))
        return json_response(payloads.message(self.state, msg))

    async def delete_message(self, request: web.Request) -> web.Response:
        await self.messaging.delete(self._message(request))
        return web.Response(status=204)

    async def add_reaction(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        msg.reactions.setdefault(unquote(request.match_info["emoji"]), set()).add(self.state.bot.id)
        self.state.changed()
        self.state.publish("message", msg)
        return web.Response(status=204)

    async def remove_reaction(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        who = request.match_info["user"]
        user_id = self.state.bot.id if who == "@me" else int(who)
        msg.reactions.get(unquote(request.match_info["emoji"]), set()).discard(user_id)
        self.state.changed()
        self.state.publish("message", msg)
        return web.Response(status=204)

    async def typing(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    def _message(self, request: web.Request):
        return self.messaging.message(int(request.match_info["channel_id"]), int(request.match_info["message_id"]))

    # --- users, guilds, application, gateway ----------------------------------------------

    async def get_user(self, request: web.Request) -> web.Response:
        raw = request.match_info["user_id"]
        user = self.state.users.get(self.state.bot.id if raw == "@me" else int(raw))
        if user is None:
            raise DiscordError(404, 10013, "Unknown User")
        return json_response({**payloads.user(user), "mfa_enabled": False, "verified": True, "flags": 0})

    async def get_guild(self, request: web.Request) -> web.Response:
        data = payloads.guild_create(self.state, self._guild(request), all_members=False)
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at"):
            data.pop(key)  # GET /guilds/{id} omits the gateway-only fields
        return json_response(data)

    async def guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([payloads.channel(self.state.channels[c]) for c in guild.channel_ids])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        user_id = int(request.match_info["user_id"])
        if user_id not in guild.members:
            raise DiscordError(404, 10007, "Unknown Member")
        return json_response(payloads.member(self.state, guild, user_id))

    def _guild(self, request: web.Request):
        guild = self.state.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        return guild

    async def application(self, request: web.Request) -> web.Response:
        return json_response({
            "id": str(self.state.application_id), "name": self.state.bot.username, "description": "", "icon": None,
            "bot_public": True, "bot_require_code_grant": False, "owner": payloads.user(self.state.owner),
            "verify_key": "0" * 64, "flags": 0, "team": None, "summary": "", "rpc_origins": [],
            "bot": payloads.user(self.state.bot),
        })

    async def gateway_url(self, request: web.Request) -> web.Response:
        """`/gateway` and `/gateway/bot` (what AutoShardedClient asks before connecting)."""
        data = {"url": self.state.root_url.replace("http", "ws", 1) + "/"}
        if request.path.endswith("/bot"):
            data.update(shards=1, session_start_limit={"total": 1000, "remaining": 999, "reset_after": 0,
                                                       "max_concurrency": 1})
        return json_response(data)

    async def cdn(self, request: web.Request) -> web.Response:
        stored = self.state.files.get(int(request.match_info["file_id"]))
        if stored is None:
            raise DiscordError(404, 0, "discordlocal has no such attachment")
        return web.Response(body=stored.data, content_type=stored.content_type or "application/octet-stream")
