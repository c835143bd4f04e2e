"""A guild with people in it, and the waits the bot tests repeat: replies, results, edits.

`World` acts as users through FakeDiscord and finds the bot's answers by what Discord shows:
a reply to the command message, the message with the image, the edits of a status message.
"""
from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass

from tests.fakediscord import FakeDiscord, InteractionRecord, StoredMessage

from tests.botkit.files import FileSpec

#: Manage Messages: what makes a moderator for the Delete button.
MANAGE_MESSAGES = 1 << 13
#: Generous bounds for one tiny dream on 2 CPU cores, and for anything else the bot does.
DREAM_TIMEOUT = 90.0
REPLY_TIMEOUT = 15.0


def is_status(message: StoredMessage) -> bool:
    """The bot's acknowledgement / progress message (it starts with the dream emoji)."""
    return message.content.startswith("🌀")


@dataclass
class World:
    """One guild, #general, users alice and bob, and mod (a role with Manage Messages)."""

    fake: FakeDiscord
    guild_id: int
    channel_id: int
    alice: int
    bob: int
    mod: int

    @classmethod
    def create(cls, fake: FakeDiscord, **guild_options) -> World:
        """`guild_options` go to `FakeDiscord.add_guild` (filesize_limit, everyone_permissions...)."""
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
        return await self.fake.invoke_slash(self.guild_id, self.channel_id, user, name, options=options,
                                            attachments={"image": image} if image else None)

    async def press(self, message: StoredMessage, action: str, user: int) -> InteractionRecord:
        """Click the button whose custom_id starts with `dreambot:<action>:` on `message`."""
        return await self.fake.click_button(message.id, custom_id(message, action), user)

    # -- waiting for the bot ---------------------------------------------------------------

    async def reply_to(self, message: StoredMessage, predicate=None, *, timeout: float = REPLY_TIMEOUT
                       ) -> StoredMessage:
        """The bot's next message that replies to `message` (and satisfies `predicate`)."""
        return await self.fake.wait_for_message(
            self.channel_id, timeout=timeout,
            predicate=lambda m: m.reference_id == message.id and (predicate is None or predicate(m)))

    async def result_of(self, message: StoredMessage, *, timeout: float = DREAM_TIMEOUT) -> StoredMessage:
        """The bot's reply to `message` that carries the dreamt image."""
        return await self.reply_to(message, lambda m: bool(m.files), timeout=timeout)

    async def status_of(self, message: StoredMessage) -> StoredMessage:
        """The acknowledgement the bot posted for `message`."""
        return await self.reply_to(message, is_status)

    async def edited(self, message: StoredMessage, predicate, *, timeout: float = DREAM_TIMEOUT
                     ) -> StoredMessage:
        return await self.fake.wait_for_edit(message.id, predicate, timeout=timeout)

    async def response_to(self, rec: InteractionRecord, predicate, *, timeout: float = DREAM_TIMEOUT
                          ) -> StoredMessage:
        """The interaction's original response once `predicate` holds for it (edits included)."""
        def check():
            msg = self.fake.state.messages.get(rec.original_message_id or 0)
            return msg if msg is not None and not msg.loading and predicate(msg) else None

        return await self.fake.wait_until(check, timeout=timeout, what=f"the response to interaction {rec.id}")

    async def interaction_result(self, rec: InteractionRecord, *, timeout: float = DREAM_TIMEOUT
                                 ) -> StoredMessage:
        return await self.response_to(rec, lambda m: bool(m.files), timeout=timeout)

    def downloads(self) -> list[str]:
        """Attachment ids the bot fetched from the CDN, in order."""
        return [line.split("/")[3] for line in self.fake.requests if line.startswith("GET /attachments/")]


def custom_id(message: StoredMessage, action: str) -> str:
    ids = [c["custom_id"] for row in message.components for c in row.get("components", [])
           if c.get("custom_id", "").startswith(f"dreambot:{action}:")]
    assert ids, f"no {action} button on message {message.id}: {message.components}"
    return ids[0]


def settings_of(message: StoredMessage) -> dict[str, str]:
    """The settings line (between backticks) of a result, as key -> value."""
    start = message.content.index("`")
    line = message.content[start + 1:message.content.index("`", start + 1)]
    return dict(word.split("=", 1) for word in line.split())


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
