"""Dreambot on discordlocal: start the real bot against the server, and read what it posts.

The benchmarks use this, and so do the tests (tests/conftest.py wraps `BotStarter` in the
`start_bot` fixture), so that both start the bot and read its messages the same way:

- `bot_config(**sections)`: a config for a bot against the local server (one warm worker,
  progress every second); `sections` override fields.
- `BotStarter`: `await start(pool, config)` gives a ready `DreamBot` with its own SQLite store;
  `stop_all()` cancels the bots' dreams, lets their replies go out, closes them.
- `World`: discordlocal's guild with people, plus Dreambot's buttons (`press`) and its
  acknowledgement (`status_of`, `is_status`); `settings_of` reads a result's settings line.
- `photo(name, side)`: a real photo as a user uploads it.
"""
from __future__ import annotations

import dataclasses
import io
import tempfile
from pathlib import Path

from PIL import Image

from bot.app import DreamBot
from bot.config import Config, DiscordConfig, DreamConfig, LimitsConfig, PoolConfig
from bot.store import Store
from discordlocal import Clients, FakeDiscord, FileSpec, InteractionRecord, StoredMessage
from discordlocal import World as GuildWorld
from discordlocal.client import TOKEN
from dreaming.pool import DreamPool
from dreaming.presets import load_presets

REPO = Path(__file__).resolve().parents[1]
#: One warm worker (a small machine has 2 cores), room for a queue.
LOCAL_POOL = PoolConfig(workers=1, max_queue=20, per_user=3, job_timeout=120.0)


def bot_config(**sections: dict) -> Config:
    """The bot's config against the local server; `sections` override fields, e.g. `dream={"progress_interval": 2}`."""
    config = Config(discord=DiscordConfig(token=TOKEN), pool=LOCAL_POOL, limits=LimitsConfig(),
                    dream=DreamConfig(progress_interval=1.0))
    changes = {name: dataclasses.replace(getattr(config, name), **values) for name, values in sections.items()}
    return dataclasses.replace(config, **changes)


class BotStarter:
    """`await start_bot(pool, config=None, db=None)`: a ready DreamBot talking to the server; `.bots` lists them.

    Each bot gets a store: the SQLite file `db`, else a fresh one in `data_dir` (a temporary
    folder when not given), so that one bot never recovers another's jobs by accident.
    """

    def __init__(self, fake: FakeDiscord, data_dir: Path | None = None) -> None:
        self.fake = fake
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="dreambot-local-"))
        self.clients = Clients(fake)
        self.bots: list[DreamBot] = []
        self.stores: list[Store] = []

    async def __call__(self, pool: DreamPool, config: Config | None = None, *, db: Path | None = None,
                       timeout: float = 15.0) -> DreamBot:
        config = config or bot_config()
        store = await Store.open(db or self.data_dir / f"dreambot-{len(self.bots)}.db")
        self.stores.append(store)
        bot = DreamBot(config, pool, load_presets(*config.dream.presets_files), store)
        self.bots.append(bot)
        return await self.clients.start(bot, config.discord.token, timeout=timeout)

    async def stop_all(self) -> None:
        """Stop every bot (their dreams cancelled, their replies sent); raise why one crashed, if one did."""
        try:
            try:
                for bot in reversed(self.bots):
                    await stop_bot(bot)
            finally:
                await self.clients.close()
        finally:
            for store in self.stores:
                await store.close()


def cancel_dreams(bot: DreamBot) -> None:
    for user_id in list(bot.runner.live):
        bot.runner.cancel_user(user_id)


async def stop_bot(bot: DreamBot, *, timeout: float = 15.0) -> None:
    """Cancel the bot's dreams, let their replies go out, then close it."""
    if not bot.is_closed():
        cancel_dreams(bot)
        await bot.runner.wait_idle(timeout)
    await bot.close()


# -- reading the bot --------------------------------------------------------------------------

def is_status(message: StoredMessage) -> bool:
    """The bot's acknowledgement / progress message (it starts with the dream emoji)."""
    return message.content.startswith("🌀")


def settings_of(message: StoredMessage) -> dict[str, str]:
    """The settings line (between backticks) of a result, as key -> value."""
    start = message.content.index("`")
    line = message.content[start + 1:message.content.index("`", start + 1)]
    return dict(word.split("=", 1) for word in line.split())


class World(GuildWorld):
    """discordlocal's guild with people, and Dreambot's buttons and acknowledgements."""

    async def press(self, message: StoredMessage, action: str, user: int) -> InteractionRecord:
        """Click Dreambot's `action` button on `message` (custom_id `dreambot:<action>:...`: delete, again...)."""
        return await self.click(message, f"dreambot:{action}:", user)

    async def status_of(self, message: StoredMessage) -> StoredMessage:
        """The acknowledgement the bot posted for `message`."""
        return await self.reply_to(message, is_status)


# -- what users upload --------------------------------------------------------------------------

def photo(name: str, side: int) -> FileSpec:
    """A real photo as a user uploads it: JPEG, longest side `side`.

    `name`: "docs:<file>" for a photo in docs/ (docs:sample-cat.jpg), else one of
    scikit-image's sample photos (chelsea, coffee, rocket, hubble_deep_field...).
    """
    if name.startswith("docs:"):
        im = Image.open(REPO / "docs" / name[5:]).convert("RGB")
    else:
        import skimage.data
        im = Image.fromarray(getattr(skimage.data, name)())
    im.thumbnail((side, side))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return (f"{name.split(':')[-1].split('.')[0]}.jpg", buf.getvalue(), "image/jpeg")
