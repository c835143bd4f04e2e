"""`/dreamconfig` and `!dreamconfig`: moderators shape the bot for their server.

One hybrid group serves both styles. Everyone may read `show`; every subcommand that
changes something (and `history`, which names people) runs `moderator_only()`. Values
are checked by `setting_text.parse_setting` against the operator's caps; every change
lands in the store together with its audit entry. Leaving a server deletes its data.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from dreaming.errors import BadParam
from dreaming.presets import make_preset

from bot.moderation.guild_settings import SETTINGS, effective_caps
from bot.moderation.setting_text import format_value, parse_setting
from bot.moderation.checks import MAX_SERVER_PRESETS, moderator_only, parse_channel, preset_body
from bot.moderation.messages import fit, history_text, presets_text, show_text

if TYPE_CHECKING:
    from bot.app import DreamBot

log = logging.getLogger(__name__)


class SettingsCog(commands.Cog, name="Settings"):
    def __init__(self, bot: "DreamBot"):
        self.bot = bot

    async def cog_check(self, ctx: commands.Context) -> bool:
        # Every subcommand, however it is reached (a group's own check is skipped for the
        # prefix subcommands of an `invoke_without_command` group): settings are per server.
        if ctx.guild is None:
            raise commands.NoPrivateMessage()
        return True

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server (kicked, banned, or the server was deleted): forget it entirely."""
        await self.bot.store.delete_guild(guild.id)

    @commands.hybrid_group(name="dreamconfig", invoke_without_command=True)
    @commands.guild_only()
    async def dreamconfig(self, ctx: commands.Context) -> None:
        """Dreambot's settings on this server (moderators change them)."""
        await self.show(ctx)

    @dreamconfig.command(name="show")
    async def show(self, ctx: commands.Context) -> None:
        """Show this server's settings, the limits dreams run under, and its presets."""
        settings = await self.bot.store.get_guild(ctx.guild.id)
        presets = await self.bot.store.list_presets(ctx.guild.id)
        await _answer(ctx, show_text(settings, effective_caps(self.bot.config.caps, settings), presets))

    @dreamconfig.command(name="set")
    @app_commands.describe(key="The setting, e.g. max_side", value="Its new value, e.g. 256")
    @moderator_only()
    async def set_(self, ctx: commands.Context, key: str, *, value: str) -> None:
        """Change one setting: `set max_side 256`, `set cooldown_s 5m`, `set allowed_channels #art`."""
        key = key.strip().lower()
        parsed = parse_setting(key, value, self.bot.config.caps, presets=await self._preset_names(ctx.guild.id))
        await self.bot.store.set_guild_value(ctx.guild.id, key, parsed, ctx.author.id)
        await _answer(ctx, f"Set {key} to {format_value(key, parsed)}.")

    @set_.autocomplete("key")
    async def key_autocomplete(self, interaction: discord.Interaction, current: str):
        return [app_commands.Choice(name=f"{k} — {s.help}"[:100], value=k)
                for k, s in SETTINGS.items() if current.lower() in k][:25]

    @dreamconfig.command(name="reset")
    @app_commands.describe(key="One setting; empty = every setting; 'all' = delete all of this server's data")
    @moderator_only()
    async def reset(self, ctx: commands.Context, key: str | None = None) -> None:
        """Put a setting (or all of them) back to its default; `reset all` deletes all of this server's data."""
        gid, actor = ctx.guild.id, ctx.author.id
        key = key.strip().lower() if key else None
        if key == "all":
            await self.bot.store.delete_guild(gid)
            await _answer(ctx, "Deleted all of Dreambot's data for this server: settings, presets, "
                               "history, quotas and pending jobs.")
        elif key is None:
            await self.bot.store.reset_guild(gid, None, actor)
            await _answer(ctx, "Reset every setting to its default (server presets and history are kept).")
        else:
            if key not in SETTINGS:
                parse_setting(key, "", self.bot.config.caps)  # raises with a suggestion
            new = await self.bot.store.reset_guild(gid, key, actor)
            await _answer(ctx, f"Reset {key} to {format_value(key, getattr(new, key))}.")

    @reset.autocomplete("key")
    async def reset_autocomplete(self, interaction: discord.Interaction, current: str):
        keys = [*SETTINGS, "all"]
        return [app_commands.Choice(name=k if k != "all" else "all — delete all of this server's data", value=k)
                for k in keys if current.lower() in k][:25]

    @dreamconfig.command(name="history")
    @moderator_only()
    async def history(self, ctx: commands.Context) -> None:
        """Who changed what, and when (the latest 20 changes)."""
        await _answer(ctx, history_text(await self.bot.store.history(ctx.guild.id)))

    # -- channels ----------------------------------------------------------------
    @dreamconfig.group(name="channels", invoke_without_command=True)
    async def channels(self, ctx: commands.Context) -> None:
        """Where the bot dreams (empty = everywhere)."""
        await self.channels_list(ctx)

    @channels.command(name="list")
    async def channels_list(self, ctx: commands.Context) -> None:
        """List the channels the bot dreams in."""
        settings = await self.bot.store.get_guild(ctx.guild.id)
        await _answer(ctx, f"Dreams allowed in: {format_value('allowed_channels', settings.allowed_channels)}.")

    @channels.command(name="add")
    @app_commands.describe(channel="A channel, e.g. #art")
    @moderator_only()
    async def channels_add(self, ctx: commands.Context, channel: str) -> None:
        """Allow dreams in a channel (the first one added limits dreams to the listed channels)."""
        found = parse_channel(ctx.guild, channel)
        settings = await self.bot.store.get_guild(ctx.guild.id)
        new = tuple(dict.fromkeys((*settings.allowed_channels, found.id)))
        await self.bot.store.set_guild_value(ctx.guild.id, "allowed_channels", new, ctx.author.id)
        await _answer(ctx, f"Dreams allowed in: {format_value('allowed_channels', new)}.")

    @channels.command(name="remove")
    @app_commands.describe(channel="A channel, e.g. #art")
    @moderator_only()
    async def channels_remove(self, ctx: commands.Context, channel: str) -> None:
        """Stop dreaming in a channel (removing the last one allows every channel again)."""
        found = parse_channel(ctx.guild, channel)
        settings = await self.bot.store.get_guild(ctx.guild.id)
        if found.id not in settings.allowed_channels:
            raise commands.BadArgument(f"<#{found.id}> is not in the list of allowed channels.")
        new = tuple(c for c in settings.allowed_channels if c != found.id)
        await self.bot.store.set_guild_value(ctx.guild.id, "allowed_channels", new, ctx.author.id)
        await _answer(ctx, f"Dreams allowed in: {format_value('allowed_channels', new)}.")

    @channels.command(name="default")
    @app_commands.describe(channel="A channel, e.g. #art", preset="A preset, or default to use the server's")
    @moderator_only()
    async def channels_default(self, ctx: commands.Context, channel: str, preset: str) -> None:
        """Give a channel its own default preset: `channels default #art textures` (`default` clears it)."""
        found = parse_channel(ctx.guild, channel)
        names = await self._preset_names(ctx.guild.id)
        chosen = parse_setting("default_preset", preset, self.bot.config.caps, presets=names)
        settings = await self.bot.store.get_guild(ctx.guild.id)
        pairs = dict(settings.channel_presets)
        pairs.pop(found.id, None)
        if chosen is not None:
            pairs[found.id] = chosen
        new = tuple(pairs.items())
        await self.bot.store.set_guild_value(ctx.guild.id, "channel_presets", new, ctx.author.id)
        await _answer(ctx, f"Default presets by channel: {format_value('channel_presets', new)}.")

    async def _preset_names(self, guild_id: int) -> list[str]:
        return [*self.bot.presets, *(p.name for p in await self.bot.store.list_presets(guild_id))]

    # -- presets -----------------------------------------------------------------
    @dreamconfig.group(name="preset", invoke_without_command=True)
    async def preset(self, ctx: commands.Context) -> None:
        """This server's own presets."""
        await self.preset_list(ctx)

    @preset.command(name="list")
    async def preset_list(self, ctx: commands.Context) -> None:
        """List this server's presets."""
        await _answer(ctx, presets_text(await self.bot.store.list_presets(ctx.guild.id)))

    @preset.command(name="create")
    @app_commands.describe(name="Lowercase name, e.g. calm",
                           settings='e.g. layer=mixed4c strength=0.01 steps=8 description="Soft swirls"')
    @moderator_only()
    async def preset_create(self, ctx: commands.Context, name: str, *, settings: str = "") -> None:
        """Create (or replace) a server preset: `preset create calm layer=mixed3 steps=8 description="Soft"`."""
        name = name.strip().lower()
        if name in self.bot.presets:
            raise BadParam("preset name", name, "a built-in preset has that name; choose another")
        if name in self._dream_subcommands():
            raise BadParam("preset name", name, f"`{self.bot.config.discord.text_prefix}dream {name}` is a command "
                                                "of its own, so the preset could never be used; choose another")
        existing = [p.name for p in await self.bot.store.list_presets(ctx.guild.id)]
        if name not in existing and len(existing) >= MAX_SERVER_PRESETS:
            raise BadParam("preset name", name, f"this server already has {MAX_SERVER_PRESETS} presets, "
                                                "the most Discord can list; delete one first")
        body, description = preset_body(settings)
        make_preset(name, {"description": description, **body}, f"server preset '{name}'")  # checks it
        await self.bot.store.create_preset(ctx.guild.id, name, body, description, ctx.author.id)
        verb = "Replaced" if name in existing else "Created"
        await _answer(ctx, f"{verb} server preset `{name}`: use it with `/dream preset:{name}` "
                           f"or `{self.bot.config.discord.text_prefix}dream {name}`.")

    @preset.command(name="delete")
    @app_commands.describe(name="The server preset to delete")
    @moderator_only()
    async def preset_delete(self, ctx: commands.Context, name: str) -> None:
        """Delete a server preset."""
        name = name.strip().lower()
        if not await self.bot.store.delete_preset(ctx.guild.id, name, ctx.author.id):
            raise commands.BadArgument(f"This server has no preset named {name!r}.")
        await _answer(ctx, f"Deleted server preset `{name}`.")

    def _dream_subcommands(self) -> set[str]:
        """`!dream help`, `cancel`, `quota`…: words a bare preset name must not shadow."""
        group = self.bot.get_command("dream")
        return {name for command in getattr(group, "commands", ()) for name in (command.name, *command.aliases)}


async def _answer(ctx: commands.Context, text: str) -> None:
    """Replies to `!dreamconfig`; only the moderator sees the answer to `/dreamconfig`.
    Long answers (20 channels, 25 presets, a 500-character reminder) are cut to fit."""
    await ctx.reply(fit(text), mention_author=False, ephemeral=True,
                    allowed_mentions=discord.AllowedMentions.none())


async def setup(bot: "DreamBot") -> None:
    await bot.add_cog(SettingsCog(bot))
