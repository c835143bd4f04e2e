"""Shared pieces of the bot's end-to-end tests (tests/test_bot_*.py).

The real discord.py client (our DreamBot) runs against tests/fakediscord, with the real
worker pool and model. Import the fixtures into a test module by name:

    from tests.botkit import dream_pool, fake, idle_pool, pool, start_bot, world  # noqa: F401
"""
from __future__ import annotations

from tests.botkit.chat import DREAM_TIMEOUT, LoopLag, World, custom_id, is_status, settings_of
from tests.botkit.fixtures import TOKEN, bot_config, dream_pool, fake, idle_pool, pool, start_bot, stop_bot, world

__all__ = [
    "DREAM_TIMEOUT", "LoopLag", "TOKEN", "World", "bot_config", "custom_id", "dream_pool", "fake",
    "idle_pool", "is_status", "pool", "settings_of", "start_bot", "stop_bot", "world",
]
