"""A browser client for a `FakeDiscord`: a small Discord-like page, so people can use a bot by hand.

`WebClient` (app.py) serves a page (static/: plain HTML, CSS and JS, no build step, nothing
fetched from elsewhere) plus a JSON API and a websocket fed by the server's state (views.py
renders it). The page shows one guild: its channels, the people it may act as, the messages
with their files, embeds, buttons, replies and edits as they happen, ephemeral answers only
to the person they are for, and a form for every slash command the bot synced, built from
the command definitions (options, choices, autocomplete).

Like the rest of `discordlocal` it knows no particular bot: `bot.playground` puts Dreambot
behind it, and any discord.py bot could stand there instead.
"""
from __future__ import annotations

from .app import WebClient
from .views import Person

__all__ = ["Person", "WebClient"]
