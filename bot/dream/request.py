"""`DreamRequest`: what a member asked for, as the commands and buttons hand it to the runner."""
from __future__ import annotations

from dataclasses import dataclass, field

import discord

from bot.dream.fetch import ImageRef


@dataclass
class DreamRequest:
    """What a user asked for, before anything is checked; `image` None = none found."""

    user: discord.abc.User
    image: ImageRef | None
    options: dict[str, object] = field(default_factory=dict)
    #: `!dream`'s words, parsed here once the server's presets are known (`!dream calm`)
    args: str | None = None
    #: a guide image (`bot/dream/guide.py`): the dream grows toward its features
    guide: ImageRef | None = None
