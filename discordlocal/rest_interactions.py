"""Interaction callbacks, webhook follow-ups and application command sync.

How Discord behaves here, and so the fake:
- `POST /interactions/{id}/{token}/callback?with_response=1` answers the callback resource
  (discord.py reads `interaction.response_message_id` from it); a second callback is 40060,
  and one after `state.ack_deadline` seconds (opt-in; Discord's is 3) is 10062.
- A deferred response (type 5) posts a "thinking..." message flagged LOADING. The first follow-up
  after it, or an edit of `@original`, fills that message in instead of posting a new one.
- Follow-ups and `@original` live under `/webhooks/{application_id}/{interaction_token}`.
"""
from __future__ import annotations

import time

from aiohttp import web

from . import payloads
from .locales import SLASH_NAME, check_localizations
from .messaging import Messaging
from .models import EPHEMERAL, LOADING, InteractionRecord, StoredMessage, next_id
from .state import FakeState
from .web_utils import DiscordError, Upload, json_response, read_upload

# Callback types (Discord's InteractionResponseType).
MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
#: what an option shares with a command, for the same checks
_CHECKED = ("name", "description", "name_localizations", "description_localizations")


class InteractionRoutes:
    def __init__(self, state: FakeState, messaging: Messaging) -> None:
        self.state, self.messaging = state, messaging
        #: How many times the bot bulk-overwrote commands (tree.sync), globally or for a guild.
        self.syncs = 0

    def routes(self, api: str) -> list[web.RouteDef]:
        hook = api + "/webhooks/{app_id}/{token}"
        cmds = [api + "/applications/{app_id}/commands", api + "/applications/{app_id}/guilds/{guild_id}/commands"]
        routes = [
            web.post(api + "/interactions/{interaction_id}/{token}/callback", self.callback),
            web.post(hook, self.followup),
            web.get(hook + "/messages/{message_id}", self.get_webhook_message),
            web.patch(hook + "/messages/{message_id}", self.edit_webhook_message),
            web.delete(hook + "/messages/{message_id}", self.delete_webhook_message),
        ]
        for path in cmds:
            routes += [web.get(path, self.list_commands), web.put(path, self.overwrite_commands),
                       web.post(path, self.upsert_command), web.delete(path + "/{command_id}", self.delete_command)]
        return routes

    # --- callbacks ------------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        rec = self.state.interactions.get(int(request.match_info["interaction_id"]))
        if rec is None or rec.token != request.match_info["token"]:
            raise DiscordError(404, 10062, "Unknown interaction")
        deadline = self.state.ack_deadline
        if deadline is not None and time.monotonic() - rec.created > deadline:
            raise DiscordError(404, 10062, "Unknown interaction")  # what a bot that forgot to defer sees
        if rec.callbacks:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        upload = await read_upload(request)
        kind, data = int(upload.payload["type"]), upload.payload.get("data") or {}
        inner = Upload(data, upload.files)
        msg = await self._apply_callback(rec, kind, inner)
        rec.callbacks.append({"type": kind, "data": data})
        self.state.changed()
        if request.query.get("with_response") not in ("1", "true"):
            return web.Response(status=204)
        summary = {"id": str(rec.id), "type": rec.type}
        resource: dict = {"type": kind}
        if msg is not None:
            summary.update(response_message_id=str(msg.id), response_message_loading=msg.loading,
                           response_message_ephemeral=msg.ephemeral)
            resource["message"] = payloads.message(self.state, msg)
        return json_response({"interaction": summary, "resource": resource})

    async def _apply_callback(self, rec: InteractionRecord, kind: int, upload: Upload) -> StoredMessage | None:
        if kind == MESSAGE:
            msg = await self.messaging.create(rec.channel_id, upload, interaction_id=rec.id)
        elif kind == DEFERRED_MESSAGE:
            ephemeral = int(upload.payload.get("flags") or 0) & EPHEMERAL
            msg = await self.messaging.create(rec.channel_id, Upload({}), interaction_id=rec.id,
                                              extra_flags=LOADING | ephemeral)
        elif kind in (DEFERRED_UPDATE, UPDATE_MESSAGE) and rec.message_id:
            msg = self.state.messages[rec.message_id]
            if kind == UPDATE_MESSAGE:
                await self.messaging.edit(msg, upload)
        else:  # autocomplete results, modals, pongs: recorded, no message
            return None
        rec.original_message_id = msg.id
        return msg

    # --- webhooks (follow-ups and @original) ----------------------------------------------

    async def followup(self, request: web.Request) -> web.Response:
        rec = self._interaction(request)
        if not rec.callbacks:
            raise DiscordError(404, 10015, "Unknown Webhook")
        upload = await read_upload(request)
        original = self.state.messages.get(rec.original_message_id or 0)
        if original is not None and original.loading and not rec.followup_ids:
            msg = await self.messaging.edit(original, upload)
        else:
            msg = await self.messaging.create(rec.channel_id, upload, interaction_id=rec.id)
        rec.followup_ids.append(msg.id)
        self.state.changed()
        if request.query.get("wait") in ("1", "true"):
            return json_response(payloads.message(self.state, msg))
        return web.Response(status=204)

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        return json_response(payloads.message(self.state, self._webhook_message(request)))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        msg = await self.messaging.edit(self._webhook_message(request), await read_upload(request))
        return json_response(payloads.message(self.state, msg))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        await self.messaging.delete(self._webhook_message(request))
        return web.Response(status=204)

    def _interaction(self, request: web.Request) -> InteractionRecord:
        rec = self.state.interaction_by_token(request.match_info["token"])
        if rec is None or request.match_info["app_id"] != str(self.state.application_id):
            raise DiscordError(404, 10015, "Unknown Webhook")
        return rec

    def _webhook_message(self, request: web.Request) -> StoredMessage:
        rec = self._interaction(request)
        raw = request.match_info["message_id"]
        message_id = rec.original_message_id if raw == "@original" else int(raw)
        if message_id is None or (message_id != rec.original_message_id and message_id not in rec.followup_ids):
            raise DiscordError(404, 10008, "Unknown Message")
        return self.messaging.message(rec.channel_id, message_id)

    # --- application commands -------------------------------------------------------------

    async def list_commands(self, request: web.Request) -> web.Response:
        return json_response(list(self._commands(request).values()))

    async def overwrite_commands(self, request: web.Request) -> web.Response:
        """tree.sync(): the bot's whole command list replaces what was there (ids kept by name)."""
        commands = self._commands(request)
        incoming = [self._command(request, body, commands) for body in await request.json()]
        commands.clear()
        commands.update((c["name"], c) for c in incoming)
        self.syncs += 1
        self.state.changed()
        self.state.publish("commands", request.match_info.get("guild_id"))
        return json_response(incoming)

    async def upsert_command(self, request: web.Request) -> web.Response:
        commands = self._commands(request)
        command = self._command(request, await request.json(), commands)
        commands[command["name"]] = command
        self.state.changed()
        self.state.publish("commands", request.match_info.get("guild_id"))
        return json_response(command, 201)

    async def delete_command(self, request: web.Request) -> web.Response:
        commands = self._commands(request)
        for name, command in list(commands.items()):
            if command["id"] == request.match_info["command_id"]:
                del commands[name]
                self.state.changed()
                self.state.publish("commands", request.match_info.get("guild_id"))
                return web.Response(status=204)
        raise DiscordError(404, 10063, "Unknown application command")

    def _commands(self, request: web.Request) -> dict[str, dict]:
        if request.match_info["app_id"] != str(self.state.application_id):
            raise DiscordError(403, 50001, "Missing Access")
        guild_id = request.match_info.get("guild_id")
        return self.state.commands.setdefault(int(guild_id) if guild_id else None, {})

    def _command(self, request: web.Request, body: dict, existing: dict[str, dict]) -> dict:
        """Validate like Discord (names, descriptions, required-before-optional) and fill server fields."""
        _check_command(body)
        old = existing.get(body["name"])
        guild_id = request.match_info.get("guild_id")
        # Context menus (types 2 and 3) come back with an empty description, as from Discord.
        return {**body, "id": old["id"] if old else str(next_id()), "application_id": str(self.state.application_id),
                "version": str(next_id()), "type": body.get("type", 1), "options": body.get("options", []),
                "description": body.get("description", ""),
                **({"guild_id": guild_id} if guild_id else {})}


def _check_command(body: dict, where: str = "command") -> None:
    chat_input = body.get("type", 1) == 1
    name = body.get("name", "")
    if not chat_input and (not 1 <= len(name) <= 32 or body.get("description") or body.get("options")):
        raise DiscordError(400, 50035, f"Invalid Form Body: {where} {name!r}: a context menu has a 1-32 character "
                                       "name, and no description or options")
    if chat_input and (not SLASH_NAME.match(name) or name != name.lower()):
        raise DiscordError(400, 50035, f"Invalid Form Body: {where}.name: {name!r} is not a valid name")
    if chat_input and not 1 <= len(body.get("description", "")) <= 100:
        raise DiscordError(400, 50035, f"Invalid Form Body: {where} {name}: description must be 1-100 characters")
    check_localizations(body, f"{where} {name}", slash_name=chat_input)
    options = body.get("options") or []
    if len(options) > 25:
        raise DiscordError(400, 50035, f"Invalid Form Body: {where} {name}: more than 25 options")
    seen_optional = False
    for option in options:
        if option.get("type") in (1, 2):
            _check_command({**option, "type": 1}, f"{where} {name}")
            continue
        _check_command({key: option[key] for key in _CHECKED if key in option}, f"{where} {name} option")
        if option.get("required"):
            if seen_optional:
                raise DiscordError(400, 50035, f"Invalid Form Body: {where} {name}: required options must come first")
        else:
            seen_optional = True
