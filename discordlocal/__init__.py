"""A Discord-compatible server on 127.0.0.1: the real, unmodified discord.py client runs against it.

What it is for: running a bot end to end without Discord - in the tests (tests/conftest.py
starts one per test), in the benchmarks (bench/ drives hundreds of users through one), and
soon as a local playground for trying a bot by hand. It is generic: it serves any discord.py
client (guilds, channels, members and roles; messages with uploads; slash commands, buttons
and autocomplete; gateway resume; rate limits and injected faults), and knows nothing about
Dreambot. It imports no project code, except `client.py`, which uses `bot.api_base` to point
discord.py at the server.

- `FakeDiscord` (server.py): the server; populate it, act as users, wait for the bot.
- `Clients` (client.py): start any `discord.Client` against it and stop it again.
- `World` (world.py): one guild with people in it, acting and waiting; `LoopLag` measures a
  blocked event loop.
"""
from __future__ import annotations

from .actors import FileSpec
from .client import Clients
from .models import InteractionRecord, StoredFile, StoredMessage
from .server import FakeDiscord
from .web_utils import Fault
from .world import LoopLag, World

__all__ = ["Clients", "FakeDiscord", "Fault", "FileSpec", "InteractionRecord", "LoopLag", "StoredFile",
           "StoredMessage", "World"]
