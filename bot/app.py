"""The bot: `DreamBot` holds its dependencies; `run()` wires config, pool and Discord.

Startup in one place (discord.py's advanced_startup example): the config is loaded and
checked, the pool of dream workers starts (the only processes that import TensorFlow),
then the bot logs in. Shutdown runs the other way: Discord first, then the pool, whose
running jobs get a grace period.
"""
from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord
from discord.ext import commands

from dreaming.pool import DreamPool
from dreaming.presets import Preset, load_presets

from .api_base import use_api_base
from .config import Config
from .errors import reply_for
from .runner import DreamRunner

log = logging.getLogger(__name__)

EXTENSIONS = ("bot.cogs.dream", "bot.cogs.info")
SHUTDOWN_GRACE = 30.0


class DreamBot(commands.Bot):
    """A commands.Bot that owns the dream pool, presets and an HTTP session for downloads."""

    def __init__(self, config: Config, pool: DreamPool, presets: dict[str, Preset]):
        intents = discord.Intents.default()
        intents.message_content = True  # `!dream key=value` needs the text of messages
        super().__init__(command_prefix=config.discord.prefix, intents=intents,
                         allowed_mentions=discord.AllowedMentions(everyone=False, roles=False),
                         help_command=None)
        self.config, self.pool, self.presets = config, pool, presets
        self.runner = DreamRunner(self)
        self.http_session: aiohttp.ClientSession | None = None

    async def setup_hook(self) -> None:
        from .views import DYNAMIC_ITEMS  # buttons from before a restart keep working
        self.http_session = aiohttp.ClientSession()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        self.tree.on_error = self.on_app_command_error
        if self.config.discord.sync_commands:
            await self._sync_commands()

    async def _sync_commands(self) -> None:
        dev_guild = self.config.discord.dev_guild
        if dev_guild:
            guild = discord.Object(id=dev_guild)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def on_command_error(self, ctx: commands.Context, error: commands.CommandError) -> None:
        if isinstance(error, commands.CommandNotFound):
            return  # other bots' commands share the prefix
        await ctx.reply(reply_for(error), mention_author=False)

    async def on_app_command_error(self, interaction: discord.Interaction, error) -> None:
        text = reply_for(error)
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)

    async def close(self) -> None:
        await super().close()
        if self.http_session is not None:
            await self.http_session.close()


def make_pool(config: Config) -> DreamPool:
    pool = config.pool
    return DreamPool(workers=pool.workers, max_queue=pool.max_queue, per_user=pool.per_user,
                     job_timeout=pool.job_timeout, weights=pool.weights)


async def run(config: Config) -> None:
    """Start the pool, then the bot; stop both cleanly when the bot stops."""
    presets = load_presets(*config.dream.presets_files)
    if config.discord.api_base:
        use_api_base(config.discord.api_base)
    pool = make_pool(config)
    await pool.start()
    try:
        async with DreamBot(config, pool, presets) as bot:
            await bot.start(config.discord.token)
    finally:
        await pool.close(grace=SHUTDOWN_GRACE)
