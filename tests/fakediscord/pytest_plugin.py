"""Fixtures: `fake_discord` (a started server per test) and `make_bot` (start a bot against it).

Register with `pytest_plugins = ["tests.fakediscord.pytest_plugin"]` in the root conftest, or
import the two fixtures into a test module.

The server is per test, not per session: it starts in milliseconds, each test gets clean state,
and it lives on the test's own event loop (pytest-asyncio's default function loop scope).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import discord
import pytest_asyncio

from bot.api_base import reset_api_base, use_api_base

from .server import FakeDiscord

log = logging.getLogger(__name__)

StartBot = Callable[..., Awaitable[discord.Client]]


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A running FakeDiscord; fails the test if the bot hit a route the fake lacks or broke the fake."""
    async with FakeDiscord() as fake:
        yield fake
        assert not fake.server_errors, "fakediscord failed handling requests:\n" + "\n".join(fake.server_errors)
        assert not fake.unknown_requests, f"bot used routes fakediscord does not serve: {fake.unknown_requests}"


@pytest_asyncio.fixture
async def make_bot(fake_discord: FakeDiscord) -> AsyncIterator[StartBot]:
    """`await make_bot(bot)` points discord.py at the fake, starts `bot` and waits for on_ready.

    Bots are closed at teardown; a bot whose run task crashed fails the test.
    """
    started: list[tuple[discord.Client, asyncio.Task]] = []

    async def start(bot: discord.Client, *, token: str = "fake-token", timeout: float = 10.0,
                    guild_ready_timeout: float = 0.05) -> discord.Client:
        use_api_base(fake_discord.api_base)
        # discord.py waits this long after the last GUILD_CREATE before on_ready (2 s by default);
        # the fake sends every guild at once, so waiting is pure delay.
        bot._connection.guild_ready_timeout = guild_ready_timeout
        task = asyncio.create_task(bot.start(token), name=f"bot-{len(started)}")
        started.append((bot, task))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not bot.is_ready():
            if task.done():
                task.result()  # re-raises why the bot stopped
                raise RuntimeError("bot.start() returned before the bot was ready")
            if loop.time() > deadline:
                raise TimeoutError(f"bot not ready after {timeout}s; requests so far: {fake_discord.requests}")
            await asyncio.sleep(0.01)
        return bot

    try:
        yield start
    finally:
        for bot, _ in reversed(started):
            await bot.close()
        outcomes = await asyncio.wait_for(asyncio.gather(*(t for _, t in started), return_exceptions=True), 10)
        reset_api_base()
        crashed = [o for o in outcomes if isinstance(o, BaseException)]
        if crashed:
            raise crashed[0]
