"""Everything the fake server knows, in memory, plus the change signal tests wait on.

One `FakeState` is shared by the gateway, the REST routes and the test helpers. Every mutation
goes through a method here that ends with `changed()`, so `wait_until()` wakes up and re-checks.

Watchers that want to know *what* changed (the web client in `discordlocal.web` shows edits as
they happen) `subscribe()` to events: `publish(kind, subject)` is called where a message is
created, edited, deleted or reacted to ("message", the `StoredMessage`), where the bot syncs
its commands ("commands", the guild id or None) and where a bot connects or disconnects
("gateway", None).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from .locales import check_locale
from .models import (
    DEFAULT_EVERYONE_PERMISSIONS, DEFAULT_FILESIZE_LIMIT, DM, MEMBER_OVERWRITE, ROLE_OVERWRITE, Channel, Guild,
    InteractionRecord, Member, Overwrite, Role, StoredFile, StoredMessage, User, next_id,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
#: A watcher: `(kind, subject)`, called synchronously on the event loop; it must not block.
Listener = Callable[[str, object], None]
#: Longest a waiter sleeps between checks when nothing in the fake changed.
POLL_S = 0.05


class FakeState:
    """Guilds, channels, users, messages, files, interactions and app commands of one fake Discord."""

    def __init__(self, bot_name: str = "Dreambot") -> None:
        self.bot = User(next_id(), bot_name, bot=True)
        self.owner = User(next_id(), "app-owner")
        #: The application id; Discord gives bots the same id as their user.
        self.application_id = self.bot.id
        self.users: dict[int, User] = {self.bot.id: self.bot, self.owner.id: self.owner}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.files: dict[int, StoredFile] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        #: guild id (None = global) -> command name -> the command as the bot last synced it.
        self.commands: dict[int | None, dict[str, dict]] = {}
        #: Set by the server once it listens, e.g. "http://127.0.0.1:5000"; attachment URLs use it.
        self.root_url = ""
        #: Seconds a bot has to acknowledge an interaction (Discord: 3) before the callback gets
        #: 10062 Unknown interaction. None (the default) never expires, so a slow machine can't flake.
        self.ack_deadline: float | None = None
        self._changed = asyncio.Event()
        self._listeners: list[Listener] = []

    # --- creation -------------------------------------------------------------------------

    def add_user(self, username: str, *, bot: bool = False, user_id: int | None = None,
                 locale: str = "en-US") -> User:
        user = User(user_id or next_id(), username, bot=bot, locale=check_locale(locale))
        self.users[user.id] = user
        self.changed()
        return user

    def add_guild(self, name: str, *, owner_id: int | None = None, filesize_limit: int = DEFAULT_FILESIZE_LIMIT,
                  everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
                  bot_permissions: int = 0, guild_id: int | None = None, preferred_locale: str = "en-US") -> Guild:
        """A guild with an @everyone role, the bot as a member (its role adds `bot_permissions`).

        `guild_id` (and the other `*_id` arguments below) fix an id, so that a world rebuilt on
        every start keeps its ids, and with them what a bot stored about it.
        """
        guild = Guild(guild_id or next_id(), name, owner_id or self.owner.id, filesize_limit,
                      preferred_locale=check_locale(preferred_locale))
        guild.roles[guild.id] = Role(guild.id, "@everyone", everyone_permissions)
        self.guilds[guild.id] = guild
        bot_role = self.add_role(guild.id, self.bot.username, bot_permissions, position=1)
        self.add_member(guild.id, self.bot.id, [bot_role.id])
        self.add_member(guild.id, guild.owner_id)
        return guild

    def add_role(self, guild_id: int, name: str, permissions: int = 0, *, position: int = 1,
                 role_id: int | None = None) -> Role:
        role = Role(role_id or next_id(), name, permissions, position)
        self.guilds[guild_id].roles[role.id] = role
        self.changed()
        return role

    def add_member(self, guild_id: int, user_id: int, role_ids: list[int] | None = None,
                   nick: str | None = None) -> Member:
        member = Member(user_id, list(role_ids or []), nick)
        self.guilds[guild_id].members[user_id] = member
        self.changed()
        return member

    def add_channel(self, guild_id: int | None, name: str, *, type: int = 0, channel_id: int | None = None,
                    parent_id: int | None = None, owner_id: int | None = None) -> Channel:
        """A channel; with `parent_id` (and a thread `type`) a thread or forum post under it.

        Threads are not in the guild's channel list, as in Discord: GUILD_CREATE sends them
        in `threads`, and a thread made later in THREAD_CREATE.
        """
        guild = self.guilds.get(guild_id) if guild_id else None
        position = len(guild.channel_ids) if guild else 0
        channel = Channel(channel_id or next_id(), guild_id, name, type, position, parent_id=parent_id,
                          owner_id=owner_id)
        self.channels[channel.id] = channel
        if guild and not channel.is_thread:
            guild.channel_ids.append(channel.id)
        self.changed()
        return channel

    def add_dm(self, user_id: int, *, channel_id: int | None = None) -> Channel:
        """The direct-message channel between the bot and `user_id` (one per user, as in Discord)."""
        for channel in self.channels.values():
            if channel.type == DM and channel.recipient_id == user_id:
                return channel
        channel = Channel(channel_id or next_id(), None, "", DM, recipient_id=user_id)
        self.channels[channel.id] = channel
        self.changed()
        return channel

    def set_overwrite(self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0) -> Overwrite:
        """Set the channel's overwrite for a role (or @everyone: the guild's id) or a member."""
        channel = self.channels[channel_id]
        guild = self.guilds[channel.guild_id]
        kind = ROLE_OVERWRITE if target_id in guild.roles else MEMBER_OVERWRITE
        overwrite = Overwrite(target_id, kind, allow, deny)
        channel.overwrites[target_id] = overwrite
        self.changed()
        return overwrite

    def add_file(self, filename: str, data: bytes, content_type: str | None = None,
                 description: str | None = None) -> StoredFile:
        stored = StoredFile.make(filename, data, content_type, description)
        self.files[stored.id] = stored
        return stored

    def add_message(self, message: StoredMessage) -> StoredMessage:
        self.messages[message.id] = message
        self.changed()
        return message

    # --- lookups --------------------------------------------------------------------------

    def guild_of_channel(self, channel_id: int) -> Guild | None:
        channel = self.channels.get(channel_id)
        return self.guilds.get(channel.guild_id) if channel and channel.guild_id else None

    def threads_of(self, guild_id: int) -> list[Channel]:
        return [c for c in self.channels.values() if c.guild_id == guild_id and c.is_thread]

    def permissions_in(self, channel_id: int, user_id: int) -> int:
        """A member's permissions in a channel, overwrites applied (a thread uses its parent's)."""
        channel = self.channels[channel_id]
        guild = self.guilds[channel.guild_id]
        holder = self.channels.get(channel.parent_id) if channel.is_thread and channel.parent_id else channel
        return guild.permissions_in(holder.overwrites if holder else {}, user_id)

    def filesize_limit(self, channel_id: int) -> int:
        guild = self.guild_of_channel(channel_id)
        return guild.filesize_limit if guild else DEFAULT_FILESIZE_LIMIT

    def messages_in(self, channel_id: int) -> list[StoredMessage]:
        """Messages of a channel, oldest first, without deleted ones."""
        return [m for m in self.messages.values() if m.channel_id == channel_id and not m.deleted]

    def interaction_by_token(self, token: str) -> InteractionRecord | None:
        return next((i for i in self.interactions.values() if i.token == token), None)

    def find_command(self, name: str, guild_id: int | None, *, kind: int = 1) -> tuple[dict | None, int | None]:
        """The synced command called `name` (guild commands first) and the guild it belongs to.

        `kind` 1 (slash): `name` may go on with subcommands ("group sub"); context menus
        (2 user, 3 message) have names with spaces, matched whole.
        """
        top = name.split()[0] if kind == 1 else name
        for where in ((guild_id, None) if guild_id is not None else (None,)):
            command = self.commands.get(where, {}).get(top)
            if command is not None and command.get("type", 1) == kind:
                return command, where
        return None, None

    # --- watching -------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(kind, subject)` on every published event; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def publish(self, kind: str, subject: object = None) -> None:
        """Tell the watchers; one that raises is logged and kept, so the server never fails for it."""
        for listener in list(self._listeners):
            try:
                listener(kind, subject)
            except Exception:
                log.exception("discordlocal: a %s listener failed", kind)

    # --- waiting --------------------------------------------------------------------------

    def changed(self) -> None:
        """Wake every waiter; each re-checks its own condition."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, check: Callable[[], T | None], timeout: float,
                         describe: Callable[[], str]) -> T:
        """Return `check()`'s first non-None result; TimeoutError with `describe()` after `timeout` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"discordlocal: timed out after {timeout}s waiting for {describe()}")
            event = self._changed
            try:
                # Woken by changed(); the short cap also catches conditions on the bot's own state.
                await asyncio.wait_for(event.wait(), min(remaining, POLL_S))
            except asyncio.TimeoutError:
                pass
