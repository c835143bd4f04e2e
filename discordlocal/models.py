"""The records the fake server keeps: guilds, channels, users, messages, files, interactions.

They are mutable on purpose: the server edits messages in place the way Discord does, and tests
read the same objects back (`msg.content`, `msg.files[0].data`). Payload rendering lives in
`payloads.py`, so these classes stay plain data.
"""
from __future__ import annotations

import io
import itertools
import threading
import time
from dataclasses import dataclass, field

#: Discord's epoch (2015-01-01) in milliseconds; ids encode their creation time relative to it.
DISCORD_EPOCH_MS = 1420070400000

# Permission bits the fake needs by name (Discord's values).
ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 53) - 1
#: What @everyone may do in a fresh guild: see, talk, attach, embed, react, use commands.
DEFAULT_EVERYONE_PERMISSIONS = (
    (1 << 6) | (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 18) | (1 << 31) | (1 << 38)
)
#: Discord's upload limit for a guild without boosts.
DEFAULT_FILESIZE_LIMIT = 10 * 1024 * 1024

# Message flags the fake interprets.
EPHEMERAL = 1 << 6
LOADING = 1 << 7

_counter = itertools.count()
_lock = threading.Lock()
_last_id = 0


def next_id() -> int:
    """A fresh snowflake whose timestamp is now, so discord.py's `created_at` is sensible."""
    global _last_id
    with _lock:
        now = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(_counter) & 0xFFF)
        _last_id = max(now, _last_id + 1)
        return _last_id


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    #: the language of the user's Discord client, sent as interactions' `locale`
    locale: str = "en-US"


@dataclass
class Role:
    id: int
    name: str
    permissions: int = 0
    position: int = 0


@dataclass
class Member:
    user_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = "2024-01-01T00:00:00+00:00"


#: Channel types the fake knows (Discord's values): text, DM, forum; and the threads.
GUILD_TEXT, DM, GUILD_FORUM = 0, 1, 15
PUBLIC_THREAD, PRIVATE_THREAD = 11, 12
THREAD_TYPES = (10, PUBLIC_THREAD, PRIVATE_THREAD)
#: Overwrite targets (Discord's `type` of a permission overwrite).
ROLE_OVERWRITE, MEMBER_OVERWRITE = 0, 1


@dataclass
class Overwrite:
    """A channel's permission overwrite for one role or member: bits it allows and denies."""

    id: int
    type: int = ROLE_OVERWRITE
    allow: int = 0
    deny: int = 0


@dataclass
class Channel:
    id: int
    guild_id: int | None
    name: str
    type: int = GUILD_TEXT
    position: int = 0
    #: A thread's (or forum post's) channel; None for other channels.
    parent_id: int | None = None
    #: Who started a thread.
    owner_id: int | None = None
    #: Permission overwrites by role or member id (threads have none: they use their parent's).
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    #: A DM's other person.
    recipient_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    #: Largest upload (bytes, per file) the server accepts here; bigger ones get HTTP 413 / 40005.
    filesize_limit: int = DEFAULT_FILESIZE_LIMIT
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    #: the server's language (Server Settings > Community), sent as `preferred_locale` and `guild_locale`
    preferred_locale: str = "en-US"

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions (no channel overwrites): owner and admins get everything."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members.get(user_id)
        perms = self.roles[self.id].permissions  # @everyone has the guild's id
        for role_id in member.role_ids if member else ():
            perms |= self.roles[role_id].permissions
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def permissions_in(self, overwrites: dict[int, Overwrite], user_id: int) -> int:
        """Permissions in a channel with `overwrites`, in Discord's documented order: the
        guild's, then @everyone's overwrite, then all the member's roles' overwrites (denies,
        then allows), then the member's own. Owner and administrators skip overwrites."""
        perms = self.permissions_of(user_id)
        if perms == ALL_PERMISSIONS:
            return perms
        everyone = overwrites.get(self.id)
        if everyone is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        member = self.members.get(user_id)
        roles = [overwrites[r] for r in (member.role_ids if member else ()) if r in overwrites
                 and overwrites[r].type == ROLE_OVERWRITE]
        deny = allow = 0
        for overwrite in roles:
            deny, allow = deny | overwrite.deny, allow | overwrite.allow
        perms = (perms & ~deny) | allow
        own = overwrites.get(user_id)
        if own is not None and own.type == MEMBER_OVERWRITE:
            perms = (perms & ~own.deny) | own.allow
        return perms


@dataclass
class StoredFile:
    """An uploaded file: what a user attached or what the bot sent. `data` holds the exact bytes."""

    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @classmethod
    def make(cls, filename: str, data: bytes, content_type: str | None = None,
             description: str | None = None) -> StoredFile:
        """Store bytes the way Discord does: sniff image dimensions so `width`/`height` are real."""
        width = height = None
        if content_type is None or content_type.startswith("image/"):
            width, height, sniffed = _image_info(data)
            content_type = content_type or sniffed
        return cls(next_id(), filename, data, content_type, description, width, height)


@dataclass
class StoredMessage:
    """A message in a channel, as the fake server holds it (edited in place)."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str = ""
    embeds: list[dict] = field(default_factory=list)
    components: list[dict] = field(default_factory=list)
    files: list[StoredFile] = field(default_factory=list)
    #: The raw `message_reference` (message_id, channel_id, guild_id) when this is a reply.
    reference: dict | None = None
    flags: int = 0
    tts: bool = False
    #: Set on messages made through an interaction (response or follow-up).
    interaction_id: int | None = None
    webhook_id: int | None = None
    #: How many times the message was edited; `edited_at` is the last edit's ISO time.
    edits: int = 0
    edited_at: str | None = None
    #: (time.monotonic(), content) after each edit, oldest first: what users saw change, and when.
    edit_log: list[tuple[float, str]] = field(default_factory=list)
    deleted: bool = False
    #: emoji -> ids of users who reacted with it.
    reactions: dict[str, set[int]] = field(default_factory=dict)
    timestamp: str = field(default_factory=lambda: _iso_now())
    #: The sender's `nonce`, as a string; with `enforce_nonce` a repeat returns this message.
    nonce: str | None = None
    #: time.monotonic() at creation, for the nonce window.
    created: float = field(default_factory=time.monotonic)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True for a deferred interaction's "thinking..." placeholder not yet filled in."""
        return bool(self.flags & LOADING)

    @property
    def reference_id(self) -> int | None:
        return int(self.reference["message_id"]) if self.reference else None


@dataclass
class InteractionRecord:
    """One interaction the fake dispatched, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user_id: int
    payload: dict
    #: Callbacks in arrival order: {"type": int, "data": dict | None}.
    callbacks: list[dict] = field(default_factory=list)
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    #: For component interactions: the message the component is on.
    message_id: int | None = None
    #: time.monotonic() at dispatch, for the acknowledgement deadline.
    created: float = field(default_factory=time.monotonic)


def _iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def _image_info(data: bytes) -> tuple[int | None, int | None, str | None]:
    """(width, height, mime) when Pillow can read the header, else Nones; never raises."""
    try:
        from PIL import Image  # Pillow is a project dependency; imported lazily to keep startup light.

        with Image.open(io.BytesIO(data)) as im:
            return im.width, im.height, Image.MIME.get(im.format or "")
    except Exception:
        return None, None, None
