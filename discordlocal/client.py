"""Start any discord.py client against a running server, and stop it again.

    async with FakeDiscord() as server, Clients(server) as clients:
        bot = await clients.start(MyBot(), token="any")   # returns once on_ready has fired
        ...
    # leaving the block closes every client, then raises why one crashed, if one did

discord.py has no setting for its API address. `bot.api_base.use_api_base` sets the two class
attributes it reads (REST base and gateway URL), so the setting is process-wide: every client
of the process talks to the same server, and closing resets it to discord.com.
This is the only module of the package that imports the bot's code, and only that helper.
"""
from __future__ import annotations

import asyncio
from typing import TypeVar

import discord

from bot.api_base import reset_api_base, use_api_base

from .server import FakeDiscord

C = TypeVar("C", bound=discord.Client)

#: The token clients log in with unless told otherwise (the server accepts any unless it was given one).
TOKEN = "discordlocal-token"


class Clients:
    """The discord.py clients started against one server; `close()` (or leaving `async with`) stops them all."""

    def __init__(self, server: FakeDiscord) -> None:
        self.server = server
        self.clients: list[discord.Client] = []
        self.tasks: list[asyncio.Task] = []

    async def start(self, client: C, token: str = TOKEN, *, timeout: float = 15.0,
                    guild_ready_timeout: float = 0.05) -> C:
        """Point discord.py at the server, start `client` and return it once it is ready.

        Raises why the client stopped if it stops first, TimeoutError after `timeout` s.
        `guild_ready_timeout`: discord.py waits this long after the last GUILD_CREATE before
        on_ready (2 s by default); the server sends every guild at once, so waiting is pure delay.
        """
        use_api_base(self.server.api_base)
        client._connection.guild_ready_timeout = guild_ready_timeout
        task = asyncio.create_task(client.start(token), name=f"discordlocal-client-{len(self.clients)}")
        self.clients.append(client)
        self.tasks.append(task)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not client.is_ready():
            if task.done():
                task.result()  # raises why the client stopped
                raise RuntimeError("client.start() returned before the client was ready")
            if loop.time() > deadline:
                raise TimeoutError(f"client not ready after {timeout}s; requests so far: {self.server.requests}")
            await asyncio.sleep(0.01)
        return client

    async def close(self, *, timeout: float = 15.0) -> None:
        """Close every client (newest first), wait for their run tasks, point discord.py back at discord.com.

        Raises the first exception a client's run task ended with.
        """
        try:
            for client in reversed(self.clients):
                await client.close()
            outcomes = await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), timeout)
        finally:
            reset_api_base()
        crashed = [o for o in outcomes if isinstance(o, BaseException)]
        if crashed:
            raise crashed[0]

    async def __aenter__(self) -> Clients:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
