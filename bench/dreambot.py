"""Fixtures for the bot tests: a fake Discord, a world in it, a real pool, and the real DreamBot.

Everything runs on the test module's event loop, because one pool of real workers (each
loading the real InceptionV3, about 5-10 s) serves the whole module: a test module sets
`pytestmark = pytest.mark.asyncio(loop_scope="module")` and imports these fixtures.

- `dream_pool`: the started pool, one per module. Use `pool` in tests: it also waits, after
  the test, until the pool is idle and warm again, so one test's leftovers never slow the next.
- `idle_pool`: a real `DreamPool` that is never started, for tests that must not dream.
- `fake`, `world`: a fresh FakeDiscord per test, with a guild, a channel and three users.
- `start_bot(pool, config, db=None)`: the real `DreamBot` against the fake, with a real SQLite
  store (its own file under the test's tmp_path unless `db` names one); stopped after the
  test. `pool` asks for `start_bot`, so that it settles the pool while the bots can still reply.
"""
from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.api_base import reset_api_base, use_api_base
from bot.app import DreamBot, make_pool
from bot.config import Config, DiscordConfig, DreamConfig, LimitsConfig, PoolConfig
from bot.store import Store
from dreaming.pool import DreamPool
from dreaming.presets import load_presets
from tests.fakediscord import FakeDiscord

from tests.botkit.chat import World

TOKEN = "fake-token-for-tests"
#: The module pool: one warm worker (the machine has 2 cores), room for the queue tests.
TEST_POOL = PoolConfig(workers=1, max_queue=20, per_user=3, job_timeout=120.0)

def bot_config(**sections: dict) -> Config:
    """The bot's test config; `sections` override fields, e.g. `dream={"progress_interval": 2}`."""
    config = Config(discord=DiscordConfig(token=TOKEN), pool=TEST_POOL, limits=LimitsConfig(),
                    dream=DreamConfig(progress_interval=1.0))
    changes = {name: dataclasses.replace(getattr(config, name), **values) for name, values in sections.items()}
    return dataclasses.replace(config, **changes)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dream_pool() -> AsyncIterator[DreamPool]:
    pool = make_pool(bot_config())
    await pool.start()
    yield pool
    await pool.close(grace=0)


@pytest_asyncio.fixture(loop_scope="module")
async def pool(dream_pool: DreamPool, start_bot: BotStarter) -> AsyncIterator[DreamPool]:
    """The module's pool, settled again after the test (dreams cancelled, every worker warm).

    It asks for `start_bot` so that it is torn down first: the bots' dreams are cancelled
    while the bots can still reply.
    """
    yield dream_pool
    for bot in start_bot.bots:
        cancel_dreams(bot)

    def settled() -> bool:
        stats = dream_pool.stats()
        # `alive` counts a worker still stopping a cancelled dream ("draining"), which would
        # make the next test's first dream queue behind it; PoolStats has no field for it.
        idle = all(w.state == "idle" for w in dream_pool._workers.values())
        return stats.busy == 0 and stats.queued == 0 and stats.alive == stats.workers and idle

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not settled():
        assert loop.time() < deadline, f"pool did not settle after the test: {dream_pool.stats()}"
        await asyncio.sleep(0.05)


@pytest.fixture
def idle_pool() -> DreamPool:
    """A real pool that never starts: jobs would wait forever, so a test that dreams by mistake fails."""
    return make_pool(bot_config())


@pytest_asyncio.fixture(loop_scope="module")
async def fake() -> AsyncIterator[FakeDiscord]:
    """A running FakeDiscord; the test fails if the bot used a route it lacks or broke it."""
    async with FakeDiscord() as server:
        yield server
        assert not server.server_errors, "fakediscord failed handling requests:\n" + "\n".join(server.server_errors)
        assert not server.unknown_requests, f"bot used routes fakediscord does not serve: {server.unknown_requests}"


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    return World.create(fake)


class BotStarter:
    """`await start_bot(pool, config=None, db=None)`: a ready DreamBot talking to the fake; `.bots` lists them.

    Each bot gets a store: the SQLite file `db`, else a fresh one in `data_dir` (a temporary
    folder when not given), so that one bot never recovers another's jobs by accident.
    """

    def __init__(self, fake: FakeDiscord, data_dir: Path | None = None) -> None:
        self.fake = fake
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="dreambot-test-"))
        self.bots: list[DreamBot] = []
        self.stores: list[Store] = []
        self.tasks: list[asyncio.Task] = []

    async def __call__(self, pool: DreamPool, config: Config | None = None, *, db: Path | None = None,
                       timeout: float = 15.0) -> DreamBot:
        config = config or bot_config()
        store = await Store.open(db or self.data_dir / f"dreambot-{len(self.bots)}.db")
        self.stores.append(store)
        bot = DreamBot(config, pool, load_presets(*config.dream.presets_files), store)
        use_api_base(self.fake.api_base)
        # discord.py waits 2 s after the last GUILD_CREATE before on_ready; the fake sends them all at once.
        bot._connection.guild_ready_timeout = 0.05
        task = asyncio.create_task(bot.start(config.discord.token), name=f"dreambot-{len(self.bots)}")
        self.bots.append(bot)
        self.tasks.append(task)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not bot.is_ready():
            if task.done():
                task.result()
                raise RuntimeError("bot.start() returned before the bot was ready")
            assert loop.time() < deadline, f"bot not ready after {timeout}s; requests: {self.fake.requests}"
            await asyncio.sleep(0.01)
        return bot

    async def stop_all(self) -> None:
        """Stop every bot; raise why one crashed, if one did."""
        try:
            for bot in reversed(self.bots):
                await stop_bot(bot)
            outcomes = await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), 15)
        finally:
            reset_api_base()
            for store in self.stores:
                await store.close()
        crashed = [o for o in outcomes if isinstance(o, BaseException)]
        if crashed:
            raise crashed[0]


@pytest_asyncio.fixture(loop_scope="module")
async def start_bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotStarter]:
    """Start real DreamBots against `fake`; after the test their dreams are cancelled, their
    replies allowed to go out, and they close. A bot whose run task crashed fails the test."""
    starter = BotStarter(fake, tmp_path)
    try:
        yield starter
    finally:
        await starter.stop_all()


def cancel_dreams(bot: DreamBot) -> None:
    for user_id in list(bot.runner.live):
        bot.runner.cancel_user(user_id)


async def stop_bot(bot: DreamBot, *, timeout: float = 15.0) -> None:
    """Cancel the bot's dreams, let their replies go out, then close it."""
    if not bot.is_closed():
        cancel_dreams(bot)
        await bot.runner.wait_idle(timeout)
    await bot.close()
