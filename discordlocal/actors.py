"""Acting as users: post messages, run slash commands, click buttons, type into autocomplete.

Interaction payloads carry what discord.py reads unconditionally (`attachment_size_limit`,
`version`, `token`, member `flags`) and what bots check (`app_permissions`, the member's
`permissions`). Option types come from the commands the bot synced, so a slash command is
invoked exactly as Discord would invoke it; unsynced commands fall back to Python types.
"""
from __future__ import annotations

import secrets

from . import payloads
from .gateway import Gateway
from .messaging import Messaging
from .models import DEFAULT_FILESIZE_LIMIT, InteractionRecord, StoredMessage, next_id
from .state import FakeState
from .web_utils import Upload

#: (filename, bytes, content type) - a file as a user attaches it.
FileSpec = tuple[str, bytes, str]

APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
#: Application command types: slash (CHAT_INPUT), and the context menus on users and messages.
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
#: Component types in modals: an action row, a text input, a label around one component.
ACTION_ROW, TEXT_INPUT, LABEL = 1, 4, 18
#: Select menus (component types): of strings, users, roles, users and roles, channels; and the
#: option type whose objects each one's picks are (`resolved` holds them as it does for options).
STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 3, 5, 6, 7, 8
_PICKS = {USER_SELECT: 6, ROLE_SELECT: 8, MENTIONABLE_SELECT: 9, CHANNEL_SELECT: 7}
#: The callback type that opens a modal.
MODAL = 9
#: Interaction contexts: a server, the bot's DM, another DM or group.
GUILD_CONTEXT, BOT_DM_CONTEXT = 0, 1
SUBCOMMAND, GROUP, STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
#: What the bot may do in a DM (Discord sends the DM's permissions): see, send, embed, attach, history...
DM_APP_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 6) | (1 << 31)
_PY_TYPES = {bool: BOOLEAN, int: INTEGER, float: NUMBER, str: STRING}


class Actors:
    def __init__(self, state: FakeState, gateway: Gateway, messaging: Messaging) -> None:
        self.state, self.gateway, self.messaging = state, gateway, messaging

    async def send_message(self, channel_id: int, author_id: int, content: str = "", *,
                           attachments: list[FileSpec] = (), reference: int | None = None) -> StoredMessage:
        """A user posts a message (MESSAGE_CREATE); attachments are served by the CDN route."""
        self._require_bot()
        guild = self.state.guild_of_channel(channel_id)
        if guild is not None and author_id not in guild.members:
            raise ValueError(f"user {author_id} is not a member of guild {guild.id}")
        payload: dict = {"content": content}
        if reference is not None:
            payload["message_reference"] = {"message_id": str(reference)}
        upload = Upload(payload, {i: spec for i, spec in enumerate(attachments)})
        return await self.messaging.create(channel_id, upload, author_id=author_id)

    async def invoke_slash(self, guild_id: int | None, channel_id: int, user_id: int, name: str, *,
                           options: dict | None = None, attachments: dict[str, FileSpec] | None = None,
                           focused: str | None = None) -> InteractionRecord:
        """Run `/name` ("group sub" for subcommands); `focused` makes it an autocomplete request.

        `guild_id` None: in the user's DM with the bot (`channel_id` is that DM).
        """
        command, command_guild = self.state.find_command(name, guild_id)
        resolved: dict = {}
        option_list = self._options(guild_id, channel_id, (command or {}).get("options", []), name.split()[1:],
                                    options or {}, attachments or {}, resolved, focused)
        data = {"id": command["id"] if command else str(next_id()), "name": name.split()[0], "type": 1,
                "options": option_list}
        if resolved:
            data["resolved"] = resolved
        if command_guild is not None:
            data["guild_id"] = str(command_guild)
        kind = AUTOCOMPLETE if focused else APPLICATION_COMMAND
        return await self._dispatch(kind, guild_id, channel_id, user_id, data)

    async def invoke_message_command(self, channel_id: int, user_id: int, name: str,
                                     target_id: int) -> InteractionRecord:
        """Run the message context-menu command `name` ("Apps" > name) on message `target_id`:
        an APPLICATION_COMMAND with `data.type` 3, `target_id`, and the message in `resolved`."""
        msg = self.state.messages.get(target_id)
        if msg is None or msg.deleted or msg.channel_id != channel_id:
            raise ValueError(f"no message {target_id} in channel {channel_id}")
        guild_id = self.state.channels[channel_id].guild_id
        command, command_guild = self.state.find_command(name, guild_id, kind=MESSAGE_COMMAND)
        if command is None:
            raise ValueError(f"the bot synced no message command {name!r}")
        data = {"id": command["id"], "name": name, "type": MESSAGE_COMMAND, "target_id": str(target_id),
                "resolved": {"messages": {str(target_id): payloads.message(self.state, msg)}}}
        if command_guild is not None:
            data["guild_id"] = str(command_guild)
        return await self._dispatch(APPLICATION_COMMAND, guild_id, channel_id, user_id, data)

    async def submit_modal(self, opened: InteractionRecord, user_id: int, values: dict[str, str]) -> InteractionRecord:
        """Fill in and submit the modal the bot answered `opened` with (callback type 9).

        `values` maps text input custom_id -> text; inputs not named keep the bot's pre-filled
        value, as a user who leaves a field alone sends it. Discord sends every input back,
        in the modal's layout; a modal opened from a button carries that button's message.
        """
        modal = next((c["data"] for c in opened.callbacks if c["type"] == MODAL), None)
        if modal is None:
            raise ValueError(f"interaction {opened.id} was not answered with a modal: {opened.callbacks}")
        inputs = {c["custom_id"]: c for c in _text_inputs(modal.get("components", []))}
        unknown = set(values) - set(inputs)
        if unknown:
            raise ValueError(f"the modal has no text inputs {sorted(unknown)}; it has {sorted(inputs)}")

        def submitted(component: dict) -> dict:
            if component["type"] == TEXT_INPUT:
                cid = component["custom_id"]
                return {"type": TEXT_INPUT, "id": component.get("id", 0), "custom_id": cid,
                        "value": values.get(cid, component.get("value") or "")}
            if component["type"] == LABEL:
                return {"type": LABEL, "id": component.get("id", 0), "component": submitted(component["component"])}
            return {"type": component["type"], "id": component.get("id", 0),
                    "components": [submitted(c) for c in component.get("components", [])]}

        data = {"custom_id": modal["custom_id"], "components": [submitted(c) for c in modal.get("components", [])]}
        extra = None
        if opened.message_id is not None:
            extra = {"message": payloads.message(self.state, self.state.messages[opened.message_id])}
        return await self._dispatch(MODAL_SUBMIT, opened.guild_id, opened.channel_id, user_id, data, extra,
                                    opened.message_id)

    async def click_button(self, message_id: int, custom_id: str, user_id: int, *, component_type: int = 2,
                           values: list[str] | None = None) -> InteractionRecord:
        """Press a component on a message; it must really be on the message, as in Discord."""
        msg = self.state.messages[message_id]
        if custom_id not in _custom_ids(msg.components):
            have = _custom_ids(msg.components)
            raise ValueError(f"no component {custom_id!r} on message {message_id}; it has {have}")
        data: dict = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        extra = {"message": payloads.message(self.state, msg)}
        return await self._dispatch(COMPONENT, msg.guild_id, msg.channel_id, user_id, data, extra, message_id)

    async def choose(self, message_id: int, custom_id: str, user_id: int, values: list[int | str]) -> InteractionRecord:
        """Pick `values` in the select menu `custom_id` on a message and submit, as Discord sends it:
        `component_type`, `values` (ids as strings) and, for user, role, mentionable and channel
        selects, the picked objects in `resolved`. Like Discord's client, it refuses a pick the
        menu would not offer: fewer than `min_values` or more than `max_values`, an option the
        menu lacks, a channel of a type outside `channel_types`, something not in the server."""
        msg = self.state.messages[message_id]
        menu = _component(msg.components, custom_id)
        if menu is None or menu["type"] not in (STRING_SELECT, *_PICKS):
            raise ValueError(f"no select menu {custom_id!r} on message {message_id}: {msg.components}")
        low, high = menu.get("min_values", 1), menu.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ValueError(f"select {custom_id!r} takes {low} to {high} values, not {len(values)}")
        resolved: dict = {}
        for value in values:
            self._check_pick(msg.guild_id, menu, value)
            if menu["type"] in _PICKS:
                self._resolve(msg.guild_id, msg.channel_id, _PICKS[menu["type"]], int(value), resolved)
        data: dict = {"custom_id": custom_id, "component_type": menu["type"], "values": [str(v) for v in values]}
        if resolved:
            data["resolved"] = resolved
        extra = {"message": payloads.message(self.state, msg)}
        return await self._dispatch(COMPONENT, msg.guild_id, msg.channel_id, user_id, data, extra, message_id)

    # --- helpers --------------------------------------------------------------------------

    def _check_pick(self, guild_id: int | None, menu: dict, value: int | str) -> None:
        if menu["type"] == STRING_SELECT:
            if str(value) not in [o["value"] for o in menu.get("options", [])]:
                raise ValueError(f"select {menu['custom_id']!r} has no option {value!r}")
        elif menu["type"] == CHANNEL_SELECT:
            channel = self.state.channels.get(int(value))
            if channel is None or channel.guild_id != guild_id:
                raise ValueError(f"no channel {value} in guild {guild_id}")
            if menu.get("channel_types") and channel.type not in menu["channel_types"]:
                raise ValueError(f"select {menu['custom_id']!r} offers channel types {menu['channel_types']}, "
                                 f"not {channel.type}")

    def _require_bot(self) -> None:
        if not self.gateway.sessions:
            raise RuntimeError("discordlocal: no bot has identified on the gateway yet; start the bot first")

    async def _dispatch(self, kind: int, guild_id: int | None, channel_id: int, user_id: int, data: dict,
                        extra: dict | None = None, message_id: int | None = None) -> InteractionRecord:
        """An interaction as Discord sends it: in a server, the member with their permissions in
        this channel (overwrites applied) and the bot's there; in a DM, the user alone."""
        self._require_bot()
        rec = InteractionRecord(next_id(), secrets.token_urlsafe(32), kind, guild_id, channel_id, user_id, {},
                                message_id=message_id)
        channel = self.state.channels[channel_id]
        rec.payload = {
            "id": str(rec.id), "application_id": str(self.state.application_id), "type": kind,
            "token": rec.token, "version": 1, "data": data, "channel_id": str(channel_id),
            "channel": payloads.channel(channel, self.state.users.get(channel.recipient_id or 0)),
            "locale": self.state.users[user_id].locale, "entitlements": [],
        }
        if guild_id is None:
            rec.payload.update(user=payloads.user(self.state.users[user_id]), context=BOT_DM_CONTEXT,
                               app_permissions=str(DM_APP_PERMISSIONS),
                               authorizing_integration_owners={"1": str(user_id)},
                               attachment_size_limit=DEFAULT_FILESIZE_LIMIT, **(extra or {}))
        else:
            guild = self.state.guilds[guild_id]
            if user_id not in guild.members:
                raise ValueError(f"user {user_id} is not a member of guild {guild_id}")
            rec.payload.update({
                "guild_id": str(guild_id),
                "guild": {"id": str(guild_id), "locale": guild.preferred_locale, "features": []},
                "member": payloads.member(self.state, guild, user_id, with_permissions=True, channel_id=channel_id),
                "app_permissions": str(self.state.permissions_in(channel_id, self.state.bot.id)),
                "guild_locale": guild.preferred_locale, "context": GUILD_CONTEXT,
                "authorizing_integration_owners": {"0": str(guild_id)},
                "attachment_size_limit": guild.filesize_limit, **(extra or {}),
            })
        self.state.interactions[rec.id] = rec
        self.state.changed()
        await self.gateway.dispatch("INTERACTION_CREATE", rec.payload, guild_id=guild_id)
        return rec

    def _options(self, guild_id: int, channel_id: int, defs: list[dict], path: list[str], values: dict,
                 files: dict[str, FileSpec], resolved: dict, focused: str | None) -> list[dict]:
        """Options as Discord nests them: subcommand groups/subcommands first, then typed values.

        Users, channels and roles named by an option travel in `resolved` too, as Discord sends them.
        """
        if path:
            sub = next((d for d in defs if d["name"] == path[0]), {"type": SUBCOMMAND if len(path) == 1 else GROUP})
            inner = self._options(guild_id, channel_id, sub.get("options", []), path[1:], values, files, resolved,
                                  focused)
            return [{"name": path[0], "type": sub["type"], "options": inner}]
        types = {d["name"]: d["type"] for d in defs}
        result = []
        for name, value in values.items():
            kind = types.get(name, _PY_TYPES.get(type(value), STRING))
            option = {"name": name, "type": kind, "value": _coerce(kind, value, focused == name)}
            if focused == name:
                option["focused"] = True
            if kind in (USER, CHANNEL, ROLE, MENTIONABLE) and focused != name:
                self._resolve(guild_id, channel_id, kind, int(value), resolved)
            result.append(option)
        for name, spec in files.items():
            stored = self.state.add_file(*spec)
            resolved.setdefault("attachments", {})[str(stored.id)] = payloads.attachment(self.state, channel_id, stored)
            result.append({"name": name, "type": ATTACHMENT, "value": str(stored.id)})
        return result

    def _resolve(self, guild_id: int, channel_id: int, kind: int, target: int, resolved: dict) -> None:
        """Add the user (and member), channel or role `target` to `resolved`, keyed by id."""
        guild = self.state.guilds.get(guild_id)
        if kind in (USER, MENTIONABLE) and target in self.state.users:
            resolved.setdefault("users", {})[str(target)] = payloads.user(self.state.users[target])
            if guild is not None and target in guild.members:
                resolved.setdefault("members", {})[str(target)] = payloads.member(
                    self.state, guild, target, with_user=False, with_permissions=True, channel_id=channel_id)
        elif kind == CHANNEL and target in self.state.channels:
            data = payloads.channel(self.state.channels[target])
            data["permissions"] = str(guild.permissions_of(self.state.bot.id)) if guild else "0"
            resolved.setdefault("channels", {})[str(target)] = data
        elif kind in (ROLE, MENTIONABLE) and guild is not None and target in guild.roles:
            resolved.setdefault("roles", {})[str(target)] = payloads.role(guild.roles[target])
        else:
            raise ValueError(f"option type {kind}: nothing with id {target} in guild {guild_id}")


def _coerce(kind: int, value: object, focused: bool) -> object:
    """Discord's wire types; the focused autocomplete option is always the raw typed text."""
    if focused:
        return str(value)
    if kind == INTEGER:
        return int(value)
    if kind == NUMBER:
        return float(value)
    if kind == BOOLEAN:
        return bool(value)
    return str(value)


def _text_inputs(components: list[dict]) -> list[dict]:
    """The text inputs of a modal, in order, in rows or labels."""
    found = []
    for component in components:
        if component.get("type") == TEXT_INPUT:
            found.append(component)
        found += _text_inputs(component.get("components", []))
        if component.get("component"):
            found += _text_inputs([component["component"]])
    return found


def _component(components: list[dict], custom_id: str) -> dict | None:
    """The component with `custom_id`, in rows or not."""
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        if (found := _component(component.get("components", []), custom_id)) is not None:
            return found
    return None


def _custom_ids(components: list[dict]) -> list[str]:
    found = []
    for component in components:
        if "custom_id" in component:
            found.append(component["custom_id"])
        found += _custom_ids(component.get("components", []))
    return found
