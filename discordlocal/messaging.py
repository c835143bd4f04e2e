"""Creating, editing and deleting messages, shared by channel, interaction and webhook routes.

Discord's checks that catch real bot bugs are enforced here too: empty messages (50006), content
over 2000 characters or more than 10 embeds (50035), replies to unknown messages (50035), and
files over the guild's upload limit (HTTP 413, code 40005).
"""
from __future__ import annotations

import time
from dataclasses import replace

from . import payloads
from .gateway import DM_MESSAGES, GUILD_MESSAGES, Gateway
from .models import LOADING, StoredFile, StoredMessage, next_id
from .state import FakeState
from .web_utils import DiscordError, Upload

MAX_CONTENT, MAX_EMBEDS, MAX_NONCE = 2000, 10, 25
#: How long a nonce sent with `enforce_nonce` stays unique per author and channel ("a few minutes").
NONCE_WINDOW_S = 300.0
#: Flags a bot may set on a message it sends (SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS...).
SETTABLE_FLAGS = (1 << 2) | (1 << 6) | (1 << 12) | (1 << 15)


class Messaging:
    def __init__(self, state: FakeState, gateway: Gateway) -> None:
        self.state, self.gateway = state, gateway

    async def create(self, channel_id: int, upload: Upload, *, author_id: int | None = None,
                     interaction_id: int | None = None, extra_flags: int = 0) -> StoredMessage:
        """A message from `upload` (the bot's by default), stored and announced on the gateway.

        Only the bot's uploads are held to the guild's limit: a test acting as a user may attach
        anything, e.g. a file larger than the bot accepts.
        """
        if channel_id not in self.state.channels:
            raise DiscordError(404, 10003, "Unknown Channel")
        p = upload.payload
        nonce = None if p.get("nonce") is None else str(p["nonce"])
        if nonce is not None and len(nonce) > MAX_NONCE:
            raise DiscordError(400, 50035, f"Invalid Form Body: nonce: Must be {MAX_NONCE} or fewer in length.")
        author = author_id or self.state.bot.id
        if nonce is not None and p.get("enforce_nonce"):
            earlier = self._by_nonce(channel_id, author, nonce)
            if earlier is not None:  # Discord's answer to a repeat: the message it already made
                return earlier
        guild = self.state.guild_of_channel(channel_id)
        msg = StoredMessage(
            next_id(), channel_id, guild.id if guild else None, author,
            content=p.get("content") or "", embeds=p.get("embeds") or [], components=p.get("components") or [],
            files=self._new_files(channel_id, upload, [], check_size=author_id is None), tts=bool(p.get("tts")),
            flags=(int(p.get("flags") or 0) & SETTABLE_FLAGS) | extra_flags, interaction_id=interaction_id,
            webhook_id=self.state.application_id if interaction_id else None, nonce=nonce,
        )
        if p.get("message_reference"):
            msg.reference = self._reference(channel_id, p["message_reference"])
        self._validate(msg, allow_empty=bool(extra_flags & LOADING))
        self.state.add_message(msg)
        self.state.publish("message", msg)
        await self.announce("MESSAGE_CREATE", msg)
        return msg

    async def edit(self, msg: StoredMessage, upload: Upload) -> StoredMessage:
        """Apply a PATCH: only keys present change; `attachments` lists the files to keep."""
        p = upload.payload
        changes = {key: p[key] or ("" if key == "content" else []) for key in ("content", "embeds", "components")
                   if key in p}
        flags = (msg.flags & ~SETTABLE_FLAGS) | (int(p["flags"] or 0) & SETTABLE_FLAGS) if "flags" in p else msg.flags
        # Filling in a deferred response ends its "thinking..." state.
        changes.update(files=self._new_files(msg.channel_id, upload, msg.files), flags=flags & ~LOADING)
        self._validate(replace(msg, **changes), allow_empty=False)  # a refused edit changes nothing
        for key, value in changes.items():
            setattr(msg, key, value)
        msg.edits += 1
        msg.edit_log.append((time.monotonic(), msg.content))
        msg.edited_at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        self.state.changed()
        self.state.publish("message", msg)
        await self.announce("MESSAGE_UPDATE", msg)
        return msg

    async def delete(self, msg: StoredMessage) -> None:
        msg.deleted = True
        self.state.changed()
        self.state.publish("message", msg)
        if not msg.ephemeral:
            data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.guild_id:
                data["guild_id"] = str(msg.guild_id)
            await self.gateway.dispatch("MESSAGE_DELETE", data, guild_id=msg.guild_id, intent=self._intent(msg))

    async def announce(self, event: str, msg: StoredMessage) -> None:
        """Tell connected bots, as Discord does for every non-ephemeral message, their own included."""
        if not msg.ephemeral:
            data = payloads.message(self.state, msg, with_member=True)
            await self.gateway.dispatch(event, data, guild_id=msg.guild_id, intent=self._intent(msg))

    def message(self, channel_id: int, message_id: int) -> StoredMessage:
        msg = self.state.messages.get(message_id)
        if msg is None or msg.deleted or msg.channel_id != channel_id:
            raise DiscordError(404, 10008, "Unknown Message")
        return msg

    # --- helpers --------------------------------------------------------------------------

    def _by_nonce(self, channel_id: int, author_id: int, nonce: str) -> StoredMessage | None:
        now = time.monotonic()
        return next((m for m in self.state.messages.values()
                     if m.nonce == nonce and m.channel_id == channel_id and m.author_id == author_id
                     and now - m.created < NONCE_WINDOW_S), None)

    @staticmethod
    def _intent(msg: StoredMessage) -> int:
        return GUILD_MESSAGES if msg.guild_id else DM_MESSAGES

    def _new_files(self, channel_id: int, upload: Upload, existing: list[StoredFile],
                   check_size: bool = True) -> list[StoredFile]:
        """The message's files after this request: kept ones plus uploads, size-checked for the bot."""
        limit = self.state.filesize_limit(channel_id) if check_size else None
        for _, data, _ in upload.files.values():
            if limit is not None and len(data) > limit:
                raise DiscordError(413, 40005, "Request entity too large")
        listed = upload.payload.get("attachments")
        if listed is None:  # no list: keep what is there, append every upload in index order
            return existing + [self._store(upload, i, {}) for i in sorted(upload.files)]
        by_id = {str(f.id): f for f in existing}
        result = []
        for item in listed:
            key = str(item.get("id"))
            if key in by_id:
                result.append(by_id[key])
            elif key.isdigit() and int(key) in upload.files:
                result.append(self._store(upload, int(key), item))
        return result

    def _store(self, upload: Upload, index: int, item: dict) -> StoredFile:
        filename, data, content_type = upload.files[index]
        # discord.py labels every part application/octet-stream; Discord sniffs the real type.
        if content_type == "application/octet-stream":
            content_type = None
        return self.state.add_file(item.get("filename") or filename, data, content_type, item.get("description"))

    def _reference(self, channel_id: int, ref: dict) -> dict | None:
        target = self.state.messages.get(int(ref.get("message_id") or 0))
        if target is None or target.deleted:
            if ref.get("fail_if_not_exists", True):
                raise DiscordError(400, 50035, "Invalid Form Body: message_reference: Unknown message")
            return None
        return {"type": 0, "message_id": str(target.id), "channel_id": str(target.channel_id),
                **({"guild_id": str(target.guild_id)} if target.guild_id else {})}

    @staticmethod
    def _validate(msg: StoredMessage, *, allow_empty: bool) -> None:
        if not allow_empty and not (msg.content or msg.embeds or msg.files or msg.components):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        if len(msg.content) > MAX_CONTENT:
            raise DiscordError(400, 50035, f"Invalid Form Body: content: Must be {MAX_CONTENT} or fewer in length.")
        if len(msg.embeds) > MAX_EMBEDS:
            raise DiscordError(400, 50035, f"Invalid Form Body: embeds: Must be {MAX_EMBEDS} or fewer in length.")
