"""A Discord-compatible server on 127.0.0.1: the real, unmodified discord.py client runs against it.

Why a top-level package of the product, beside `dreaming` and `bot`: it is a Discord-compatible
server, so it is neither part of the bot nor a test helper. The bot is one of its clients
(through the same `discord.api_base` an operator uses for a self-hosted server such as
Spacebar); the tests and benchmarks drive bots through it; and the playground
(`bot.playground`, with the page in `discordlocal.web`) ships it to users, so people try a bot
and moderators rehearse its settings without a Discord account. It is generic: it serves any
discord.py client (guilds, channels with permission overwrites, threads and forum posts,
DMs, members and roles; messages with uploads and `enforce_nonce`; slash commands (with their
localisations), message context menus, buttons, select menus, modals and autocomplete; users'
and servers' locales; gateway resume and refused connections;
rate limits, lost responses and other injected faults), and knows nothing about Dreambot. It imports no project code, except `client.py`, which uses
`bot.api_base` to point discord.py at the server (tests/test_architecture.py holds it to that).

- `FakeDiscord` (server.py): the server; populate it, act as users, wait for the bot, and
  `subscribe` to what changes.
- `Clients` (client.py): start any `discord.Client` against it and stop it again.
- `World` (world.py): one guild with people in it, acting and waiting; `LoopLag` measures a
  blocked event loop.
- `discordlocal.web`: a browser client for one guild (a small Discord-like page).
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
