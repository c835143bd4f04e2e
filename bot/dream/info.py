"""What can be dreamt, as slash commands: `/dream-presets`, `/dream-layers`, `/dream-help`.

(`!dream presets`, `!dream layers` and `!dream help` are subcommands of the Dream cog's group.)
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.dream import admission
from bot.dream import messages

if TYPE_CHECKING:
    from bot.app import DreamBot


class InfoCog(commands.Cog, name="Info"):
    def __init__(self, bot: "DreamBot"):
        self.bot = bot

    @app_commands.command(name="dream-presets", description="List the dream presets")
    async def presets_slash(self, interaction: discord.Interaction) -> None:
        presets = await admission.presets_for(self.bot.store, self.bot.presets, interaction.guild_id)  # this server's included
        await interaction.response.send_message(messages.presets_list(presets), ephemeral=True)

    @app_commands.command(name="dream-layers", description="List the layers you can dream with")
    async def layers_slash(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(messages.layers_list(tuple(self.bot.config.pool.models)), ephemeral=True)

    @app_commands.command(name="dream-help", description="How to use the dream bot")
    async def help_slash(self, interaction: discord.Interaction) -> None:
        config = self.bot.config
        await interaction.response.send_message(
            messages.help_text(config.discord.text_prefix, config.dream.recent_image_minutes), ephemeral=True)


async def setup(bot: "DreamBot") -> None:
    await bot.add_cog(InfoCog(bot))
