"""A guild with people in it, acting and waiting: the moves every scenario against a bot repeats.

`World` acts as users through the server and finds the bot's answers by what Discord shows:
a reply to a command message, the message with a file, the edits of a message, the response
to an interaction. It knows nothing about any particular bot; subclass it to name a bot's own
buttons and messages. `LoopLag` measures how late the event loop wakes a task, which is how
a scenario sees a blocked loop.
"""
from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from .actors import FileSpec
from .models import InteractionRecord, StoredMessage
from .server import FakeDiscord

#: Manage Messages: what `World.mod`'s role may do.
MANAGE_MESSAGES = 1 << 13

MessageCheck = Callable[[StoredMessage], bool]


@dataclass
class World:
    """One guild, #general, users alice and bob, and mod (a role with Manage Messages)."""

    fake: FakeDiscord
    guild_id: int
    channel_id: int
    alice: int
    bob: int
    mod: int

    #: Default waits, generous for a small shared machine: any reply, and a reply with a file
    #: (for a bot that computes its answer, the time to compute it).
    reply_timeout: ClassVar[float] = 15.0
    result_timeout: ClassVar[float] = 90.0

    @classmethod
    def create(cls, fake: FakeDiscord, **guild_options) -> World:
        """`guild_options` go to `FakeDiscord.add_guild` (filesize_limit, everyone_permissions...).

        Call it before the bot starts: the guild reaches the bot in GUILD_CREATE, as in Discord.
        """
        guild = fake.add_guild("Dream Guild", **guild_options)
        channel = fake.add_channel(guild.id, "general")
        alice = fake.add_user("alice", guilds=[guild.id])
        bob = fake.add_user("bob", guilds=[guild.id])
        mod = fake.add_user("mod", guilds=[guild.id])
        role = fake.add_role(guild.id, "Moderators", MANAGE_MESSAGES)
        fake.add_member(guild.id, mod.id, [role.id])
        return cls(fake, guild.id, channel.id, alice.id, bob.id, mod.id)

    # -- acting ------------------------------------------------------------------------------

    async def say(self, user: int, text: str, *files: FileSpec, reference: int | None = None) -> StoredMessage:
        return await self.fake.send_message(self.channel_id, user, text, attachments=list(files),
                                            reference=reference)

    async def slash(self, user: int, name: str, *, image: FileSpec | None = None, **options) -> InteractionRecord:
        """Run `/name` with `options`; `image` fills the command's attachment option "image"."""
        return await self.fake.invoke_slash(self.guild_id, self.channel_id, user, name, options=options,
                                            attachments={"image": image} if image else None)

    async def click(self, message: StoredMessage, prefix: str, user: int) -> InteractionRecord:
        """Click the button on `message` whose custom_id starts with `prefix`."""
        return await self.fake.click_button(message.id, button_id(message, prefix), user)

    # -- waiting for the bot ---------------------------------------------------------------

    async def reply_to(self, message: StoredMessage, predicate: MessageCheck | None = None, *,
                       timeout: float | None = None) -> StoredMessage:
        """The bot's next message that replies to `message` (and satisfies `predicate`)."""
        return await self.fake.wait_for_message(
            self.channel_id, timeout=timeout or self.reply_timeout,
            predicate=lambda m: m.reference_id == message.id and (predicate is None or predicate(m)))

    async def result_of(self, message: StoredMessage, *, timeout: float | None = None) -> StoredMessage:
        """The bot's reply to `message` that carries a file."""
        return await self.reply_to(message, lambda m: bool(m.files), timeout=timeout or self.result_timeout)

    async def edited(self, message: StoredMessage, predicate: MessageCheck, *, timeout: float | None = None
                     ) -> StoredMessage:
        """`message` once it has been edited and `predicate` holds for it."""
        return await self.fake.wait_for_edit(message.id, predicate, timeout=timeout or self.result_timeout)

    async def response_to(self, rec: InteractionRecord, predicate: MessageCheck, *, timeout: float | None = None
                          ) -> StoredMessage:
        """The interaction's original response once `predicate` holds for it (edits included)."""
        def check():
            msg = self.fake.state.messages.get(rec.original_message_id or 0)
            return msg if msg is not None and not msg.loading and predicate(msg) else None

        return await self.fake.wait_until(check, timeout=timeout or self.result_timeout,
                                          what=f"the response to interaction {rec.id}")

    async def interaction_result(self, rec: InteractionRecord, *, timeout: float | None = None) -> StoredMessage:
        """The interaction's original response once it carries a file."""
        return await self.response_to(rec, lambda m: bool(m.files), timeout=timeout)

    def downloads(self) -> list[str]:
        """Attachment ids the bot fetched from the CDN, in order."""
        return [line.split("/")[3] for line in self.fake.requests if line.startswith("GET /attachments/")]


def button_id(message: StoredMessage, prefix: str) -> str:
    """The custom_id of the button on `message` whose custom_id starts with `prefix`."""
    ids = [c["custom_id"] for row in message.components for c in row.get("components", [])
           if c.get("custom_id", "").startswith(prefix)]
    if not ids:
        raise LookupError(f"no button {prefix!r}... on message {message.id}: {message.components}")
    return ids[0]


class LoopLag:
    """Measures how late the event loop runs a task that wants to wake every `interval` s.

    A blocked loop shows up directly as lag; `async with LoopLag() as lag:` then `lag.max`.
    """

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, loop.time() - start - self.interval))

    @property
    def max(self) -> float:
        return max(self.samples, default=0.0)

    def quantile(self, q: float) -> float:
        if len(self.samples) < 2:
            return self.max
        return statistics.quantiles(self.samples, n=100, method="inclusive")[min(98, int(q * 100) - 1)]
