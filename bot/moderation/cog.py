"""`/dreamconfig` and `!dreamconfig`: moderators shape the bot for their server.

One hybrid group serves both styles. Everyone may read `show`; every subcommand that
changes something (and `history`, which names people) runs `moderator_only()`. Values
are checked by `setting_text.parse_setting` against the operator's caps; channels are typed
options (Discord's own channel list, or `#art` / an id after `!dreamconfig`), and the lists
of channels and roles can be picked from select menus (`pick`, `bot/moderation/pickers.py`).
Every change lands in the store together with its audit entry. Leaving a server deletes its
data. Answers speak the moderator's language (`bot.i18n`).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from dreaming.errors import BadParam
from dreaming.presets import make_preset

from bot.i18n import t
from bot.moderation.guild_settings import SETTINGS, effective_caps
from bot.moderation.setting_text import format_value, parse_setting
from bot.moderation.checks import MAX_SERVER_PRESETS, moderator_only, preset_body
from bot.moderation.messages import fit, history_text, presets_text, setting_help, show_text
from bot.moderation.pickers import DreamChannel, PickableSetting, picker_text, picker_view
from bot.dream.animation import BARE_WORDS

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
        await _answer(ctx, t("set_done", key=key, value=format_value(key, parsed)))

    @set_.autocomplete("key")
    async def key_autocomplete(self, interaction: discord.Interaction, current: str):
        return [app_commands.Choice(name=f"{k} — {setting_help(k)}"[:100], value=k)
                for k in SETTINGS if current.lower() in k][:25]

    @dreamconfig.command(name="reset")
    @app_commands.describe(key="One setting; empty = every setting; 'all' = delete all of this server's data")
    @moderator_only()
    async def reset(self, ctx: commands.Context, key: str | None = None) -> None:
        """Put a setting (or all of them) back to its default; `reset all` deletes all of this server's data."""
        gid, actor = ctx.guild.id, ctx.author.id
        key = key.strip().lower() if key else None
        if key == "all":
            await self.bot.store.delete_guild(gid)
            await _answer(ctx, t("deleted_all"))
        elif key is None:
            await self.bot.store.reset_guild(gid, None, actor)
            await _answer(ctx, t("reset_every"))
        else:
            if key not in SETTINGS:
                parse_setting(key, "", self.bot.config.caps)  # raises with a suggestion
            new = await self.bot.store.reset_guild(gid, key, actor)
            await _answer(ctx, t("reset_done", key=key, value=format_value(key, getattr(new, key))))

    @reset.autocomplete("key")
    async def reset_autocomplete(self, interaction: discord.Interaction, current: str):
        keys = [*SETTINGS, "all"]
        return [app_commands.Choice(name=k if k != "all" else t("reset_all_choice"), value=k)
                for k in keys if current.lower() in k][:25]

    @dreamconfig.command(name="history")
    @moderator_only()
    async def history(self, ctx: commands.Context) -> None:
        """Who changed what, and when (the latest 20 changes)."""
        await _answer(ctx, history_text(await self.bot.store.history(ctx.guild.id)))

    @dreamconfig.command(name="pick")
    @app_commands.describe(setting="Which list: allowed channels, exempt roles or moderator roles")
    @moderator_only()
    async def pick(self, ctx: commands.Context, setting: PickableSetting) -> None:
        """Pick a setting's channels or roles from Discord's lists: `pick allowed_channels`."""
        current = getattr(await self.bot.store.get_guild(ctx.guild.id), setting)
        await ctx.reply(picker_text(setting, current), view=picker_view(setting, current), ephemeral=True,
                        mention_author=False, allowed_mentions=discord.AllowedMentions.none())

    # -- channels ----------------------------------------------------------------
    @dreamconfig.group(name="channels", invoke_without_command=True)
    async def channels(self, ctx: commands.Context) -> None:
        """Where the bot dreams (empty = everywhere)."""
        await self.channels_list(ctx)

    @channels.command(name="list")
    async def channels_list(self, ctx: commands.Context) -> None:
        """List the channels the bot dreams in."""
        settings = await self.bot.store.get_guild(ctx.guild.id)
        await _answer(ctx, t("channels_allowed", channels=format_value("allowed_channels", settings.allowed_channels)))

    @channels.command(name="add")
    @app_commands.describe(channel="A channel, e.g. #art")
    @moderator_only()
    async def channels_add(self, ctx: commands.Context, channel: DreamChannel) -> None:
        """Allow dreams in a channel (the first one added limits dreams to the listed channels)."""
        settings = await self.bot.store.get_guild(ctx.guild.id)
        new = tuple(dict.fromkeys((*settings.allowed_channels, channel.id)))
        await self.bot.store.set_guild_value(ctx.guild.id, "allowed_channels", new, ctx.author.id)
        await _answer(ctx, t("channels_allowed", channels=format_value("allowed_channels", new)))

    @channels.command(name="remove")
    @app_commands.describe(channel="A channel, e.g. #art")
    @moderator_only()
    async def channels_remove(self, ctx: commands.Context, channel: DreamChannel) -> None:
        """Stop dreaming in a channel (removing the last one allows every channel again)."""
        settings = await self.bot.store.get_guild(ctx.guild.id)
        if channel.id not in settings.allowed_channels:
            raise commands.BadArgument(t("channel_not_listed", channel=channel.mention))
        new = tuple(c for c in settings.allowed_channels if c != channel.id)
        await self.bot.store.set_guild_value(ctx.guild.id, "allowed_channels", new, ctx.author.id)
        await _answer(ctx, t("channels_allowed", channels=format_value("allowed_channels", new)))

    @channels.command(name="default")
    @app_commands.describe(channel="A channel, e.g. #art", preset="A preset, or default to use the server's")
    @moderator_only()
    async def channels_default(self, ctx: commands.Context, channel: DreamChannel, preset: str) -> None:
        """Give a channel its own default preset: `channels default #art textures` (`default` clears it)."""
        names = await self._preset_names(ctx.guild.id)
        chosen = parse_setting("default_preset", preset, self.bot.config.caps, presets=names)
        settings = await self.bot.store.get_guild(ctx.guild.id)
        pairs = dict(settings.channel_presets)
        pairs.pop(channel.id, None)
        if chosen is not None:
            pairs[channel.id] = chosen
        new = tuple(pairs.items())
        await self.bot.store.set_guild_value(ctx.guild.id, "channel_presets", new, ctx.author.id)
        await _answer(ctx, t("channel_presets", pairs=format_value("channel_presets", new)))

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
        if name in self._dream_subcommands() or name in BARE_WORDS:  # `!dream zoom`, `!dream noise`
            raise BadParam("preset name", name, f"`{self.bot.config.discord.text_prefix}dream {name}` is a command "
                                                "of its own, so the preset could never be used; choose another")
        existing = [p.name for p in await self.bot.store.list_presets(ctx.guild.id)]
        if name not in existing and len(existing) >= MAX_SERVER_PRESETS:
            raise BadParam("preset name", name, f"this server already has {MAX_SERVER_PRESETS} presets, "
                                                "the most Discord can list; delete one first")
        body, description = preset_body(settings)
        make_preset(name, {"description": description, **body}, f"server preset '{name}'")  # checks it
        await self.bot.store.create_preset(ctx.guild.id, name, body, description, ctx.author.id)
        done = "preset_replaced" if name in existing else "preset_created"
        await _answer(ctx, t(done, name=name, prefix=self.bot.config.discord.text_prefix))

    @preset.command(name="delete")
    @app_commands.describe(name="The server preset to delete")
    @moderator_only()
    async def preset_delete(self, ctx: commands.Context, name: str) -> None:
        """Delete a server preset."""
        name = name.strip().lower()
        if not await self.bot.store.delete_preset(ctx.guild.id, name, ctx.author.id):
            raise commands.BadArgument(t("no_such_preset", name=repr(name)))
        await _answer(ctx, t("preset_deleted", name=name))

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
