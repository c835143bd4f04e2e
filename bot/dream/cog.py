"""`!dream`, `/dream` and "Dream this image" (a message's Apps menu): take an image and
settings, hand them to the runner.

The image comes from the message's attachment, else the message it replies to, else the
user's last image in the channel (within `dream.recent_image_minutes`).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from dreaming.classes import class_names
from dreaming.layers import MAX_SPEC_CHARS, describe_layers
from dreaming.networks import network
from dreaming.params import LIMITS
from dreaming.presets import MAX_NAME_CHARS

from bot.dream import admission
from bot.dream import messages
from bot.dream.animation import ANIMATION_SIDE, FORMATS, ZOOM_FRAMES
from bot.dream.fetch import ImageRef, RecentImages, first_attachment
from bot.dream.guide import second_attachment
from bot.dream.replies import InteractionReplies, MessageReplies
from bot.dream.request import DreamRequest

if TYPE_CHECKING:
    from bot.app import DreamBot

log = logging.getLogger(__name__)


def _slash_range(field: str, kind: type) -> type:
    """A slash option's range: the engine's `LIMITS`, so Discord refuses what the engine would."""
    rng = LIMITS[field]
    return app_commands.Range[kind, kind(rng.low), kind(rng.high)]


Strength = _slash_range("step_size", float)
Steps = _slash_range("steps", int)
Octaves = _slash_range("octaves", int)
Seed = _slash_range("seed", int)
Size = _slash_range("max_side", int)
Jitter = _slash_range("jitter", int)
Smoothing = _slash_range("smoothing", float)
Frames = app_commands.Range[int, 2, int(LIMITS["frames"].high)]  # one frame is a still: /dream
Zoom = _slash_range("zoom", float)
# Text options are bounded where Discord checks them: a 6,000-character name never reaches us.
PresetName = app_commands.Range[str, 1, MAX_NAME_CHARS]
LayerSpec = app_commands.Range[str, 1, MAX_SPEC_CHARS]


class DreamCog(commands.Cog, name="Dream"):
    def __init__(self, bot: "DreamBot"):
        self.bot = bot
        self.recent = RecentImages(window_s=bot.config.dream.recent_image_minutes * 60)
        # Where Discord offers the commands: servers, and direct messages only if the operator
        # allows dreams there (the runner refuses them otherwise, for `!dream` too).
        dms = bot.config.dream.allow_dms
        # "Dream this image" in a message's Apps menu; context menus can't be declared in a
        # Cog's body, so it is added to the tree in `cog_load`.
        self.dream_this_menu = app_commands.ContextMenu(name=DREAM_THIS, callback=self.dream_this_image)
        for command in (*self.__cog_app_commands__, self.dream_this_menu):
            command.allowed_contexts = app_commands.AppCommandContext(guild=True, dm_channel=dms,
                                                                      private_channel=dms)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.dream_this_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.dream_this_menu.name, type=self.dream_this_menu.type)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not message.author.bot and message.attachments:
            self.recent.remember(message)

    # -- !dream ------------------------------------------------------------------
    @commands.group(name="dream", invoke_without_command=True, case_insensitive=True)
    async def dream_prefix(self, ctx: commands.Context, *, args: str = "") -> None:
        """Dream the attached image: `!dream [key=value ...]` (see `!dream help`)."""
        # The runner checks the server's rules first (a silent channel gets no error replies),
        # then parses `args` against the server's presets, then answers "no image" with usage.
        image = await self._image_for_message(ctx.message)
        guide = await self._guide_for_message(ctx.message, image)
        await self.bot.runner.run(DreamRequest(ctx.author, image, args=args, guide=guide),
                                  MessageReplies(ctx.message))

    @dream_prefix.command(name="quota")
    async def quota_prefix(self, ctx: commands.Context) -> None:
        """How many dreams you have left today, and when the quota resets."""
        await ctx.reply(await self._quota(ctx.author, ctx.channel.id), mention_author=False)

    @dream_prefix.command(name="queue")
    async def queue_prefix(self, ctx: commands.Context) -> None:
        """Where your dreams are in line, and how long the line is."""
        await ctx.reply(self.bot.runner.queue_text(ctx.author.id, slash=False), mention_author=False)

    @dream_prefix.command(name="cancel")
    async def cancel_prefix(self, ctx: commands.Context) -> None:
        """Stop your queued or running dreams."""
        stopped = self.bot.runner.cancel_user(ctx.author.id)
        await ctx.reply(messages.CANCELLED if stopped else messages.NOTHING_TO_CANCEL, mention_author=False)

    @dream_prefix.command(name="help")
    async def help_prefix(self, ctx: commands.Context) -> None:
        """How to dream."""
        config = self.bot.config
        await ctx.reply(messages.help_text(config.discord.text_prefix, config.dream.recent_image_minutes),
                        mention_author=False)

    @dream_prefix.command(name="presets")
    async def presets_prefix(self, ctx: commands.Context) -> None:
        """List the presets."""
        presets = await admission.presets_for(self.bot.store, self.bot.presets, ctx.guild.id if ctx.guild else None)
        await ctx.reply(messages.presets_list(presets), mention_author=False)

    @dream_prefix.command(name="layers")
    async def layers_prefix(self, ctx: commands.Context) -> None:
        """List the layers and their GoogLeNet aliases."""
        await ctx.reply(messages.layers_list(tuple(self.bot.config.pool.models)), mention_author=False)

    # -- /dream ------------------------------------------------------------------
    @app_commands.command(name="dream", description="Dream an image with DeepDream")
    @app_commands.describe(
        image="The picture to dream (default: your last image in this channel)",
        guide="A guide image: the dream grows toward its features",
        preset="A named style, e.g. classic, textures, nightmare",
        layer="Network layer(s), e.g. mixed5, mixed4c, or mixed3:1,mixed5:1.5",
        strength="Step size: higher is stronger (e.g. 0.015)",
        steps="Gradient steps per octave", octaves="Number of scales",
        seed="Random seed, to reproduce a dream", size="Longest side in pixels",
        jitter="Random shift per step in pixels (hides tile seams)",
        smoothing="Smooth the dream's strokes (0 = off, 1-2 = softer)",
        noise="Dream from noise, with no image (try preset neuron or insects)",
        model="The network to dream with (those this bot offers)",
        dream_class="Dream of an ImageNet class instead of layers, e.g. banana")
    @app_commands.rename(dream_class="class")
    async def dream_slash(self, interaction: discord.Interaction,
                          image: discord.Attachment | None = None, preset: PresetName | None = None,
                          layer: LayerSpec | None = None,
                          strength: Strength | None = None, steps: Steps | None = None,
                          octaves: Octaves | None = None, seed: Seed | None = None,
                          size: Size | None = None, jitter: Jitter | None = None,
                          smoothing: Smoothing | None = None, noise: bool | None = None,
                          model: str | None = None, dream_class: str | None = None,
                          guide: discord.Attachment | None = None) -> None:
        await self._slash_dream(interaction, image, guide=guide, options={
            "preset": preset, "layers": layer, "strength": strength, "steps": steps, "octaves": octaves,
            "seed": seed, "size": size, "jitter": jitter, "smoothing": smoothing, "noise": noise,
            "model": model, "class": dream_class})

    @app_commands.command(name="dream-animate", description="Dream an endless zoom animation")
    @app_commands.describe(
        image="The picture to dream (default: your last image in this channel)",
        frames=f"How many frames (default {ZOOM_FRAMES})", zoom="How far each frame zooms in (1.05 = 5% closer)",
        preset="A named style, e.g. classic, neuron, insects",
        layer="Network layer(s), e.g. mixed5, mixed4c, or mixed4/97",
        seed="Random seed, to reproduce an animation", size=f"Longest side in pixels (default {ANIMATION_SIDE})",
        format="File format: webp (default), gif or mp4", noise="Dream from noise, with no image",
        guide="A guide image: every frame grows toward its features")
    @app_commands.choices(format=[app_commands.Choice(name=fmt, value=fmt) for fmt in FORMATS])
    async def animate_slash(self, interaction: discord.Interaction, image: discord.Attachment | None = None,
                            frames: Frames | None = None, zoom: Zoom | None = None,
                            preset: PresetName | None = None, layer: LayerSpec | None = None,
                            seed: Seed | None = None, size: Size | None = None,
                            format: app_commands.Choice[str] | None = None, noise: bool | None = None,
                            guide: discord.Attachment | None = None) -> None:
        await self._slash_dream(interaction, image, guide=guide, options={
            "frames": frames or ZOOM_FRAMES, "zoom": zoom, "preset": preset, "layers": layer, "seed": seed,
            "size": size, "format": format.value if format else None, "noise": noise})

    async def _slash_dream(self, interaction: discord.Interaction, image: discord.Attachment | None,
                           options: dict[str, object], guide: discord.Attachment | None = None) -> None:
        """`/dream` and `/dream-animate`: the member's own rights here, the image, then the runner."""
        refused = admission.invoker_refusal(interaction.permissions, in_thread=_in_thread(interaction.channel),
                                            posts_file=image is not None)
        if refused is not None:  # the member could not post this here themselves
            await interaction.response.send_message(f"⛔ {refused.text}", ephemeral=True)
            return
        ref = ImageRef.of(image) if image else self.recent.last(interaction.channel_id, interaction.user.id)
        replies = InteractionReplies(interaction)  # the runner defers, after the server's rules
        options = {k: v for k, v in options.items() if v is not None}
        await self.bot.runner.run(DreamRequest(interaction.user, ref, options,
                                               guide=ImageRef.of(guide) if guide else None), replies)

    async def dream_this_image(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The "Dream this image" menu on any message with an image: the server's default preset
        (for this channel), nothing to type. Refusals are notes only the member sees."""
        refused = admission.invoker_refusal(interaction.permissions, in_thread=_in_thread(interaction.channel),
                                            posts_file=False)  # the image is already posted here
        if refused is not None:
            await interaction.response.send_message(f"⛔ {refused.text}", ephemeral=True)
            return
        image = first_attachment(message)
        if image is None:
            await interaction.response.send_message(f"⚠️ {messages.NO_IMAGE_IN_MESSAGE}", ephemeral=True)
            return
        # No options: the runner resolves the channel's (else the server's) default preset.
        await self.bot.runner.run(DreamRequest(interaction.user, image, {}), InteractionReplies(interaction))

    @dream_slash.autocomplete("preset")
    @animate_slash.autocomplete("preset")
    async def preset_autocomplete(self, interaction: discord.Interaction, current: str):
        """The presets usable here, this server's own first (they are what members look for)."""
        presets = await admission.presets_for(self.bot.store, self.bot.presets, interaction.guild_id)
        ordered = sorted(presets.values(), key=lambda p: p.name in self.bot.presets)
        return [app_commands.Choice(name=f"{p.name} — {p.description}"[:100], value=p.name)
                for p in ordered if current.lower() in p.name][:25]

    @dream_slash.autocomplete("layer")
    @animate_slash.autocomplete("layer")
    async def layer_autocomplete(self, interaction: discord.Interaction, current: str):
        """The layers of the model chosen (else the first offered) that this server allows, each
        with what it paints (aliases of allowed layers too)."""
        settings = await admission.settings_for(self.bot.store, interaction.guild_id, self.bot.config.dm_settings)
        offered = tuple(self.bot.config.pool.models)
        chosen = getattr(interaction.namespace, "model", None)
        net = network(chosen if chosen in offered else offered[0])
        allowed = settings.allowed_layers or tuple(net.layers)
        rows = [(name, text) for name, text in describe_layers(net.name)
                if net.aliases.get(name, name) in allowed and current.lower() in name]
        return [app_commands.Choice(name=f"{name} — {text}"[:100], value=name) for name, text in rows][:25]

    @dream_slash.autocomplete("model")
    async def model_autocomplete(self, interaction: discord.Interaction, current: str):
        """The models the operator offers (`pool.models`); the runner checks the answer again."""
        return [app_commands.Choice(name=name, value=name)
                for name in self.bot.config.pool.models if current.lower() in name][:25]

    @dream_slash.autocomplete("dream_class")
    async def class_autocomplete(self, interaction: discord.Interaction, current: str):
        """ImageNet class names containing what was typed."""
        return [app_commands.Choice(name=name, value=name)
                for name in class_names() if current.lower() in name.lower()][:25]

    @app_commands.command(name="dream-cancel", description="Stop your queued or running dreams")
    async def cancel_slash(self, interaction: discord.Interaction) -> None:
        stopped = self.bot.runner.cancel_user(interaction.user.id)
        await interaction.response.send_message(
            messages.CANCELLED if stopped else messages.NOTHING_TO_CANCEL, ephemeral=True)

    @app_commands.command(name="dream-queue", description="Where your dreams are in line")
    async def queue_slash(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(self.bot.runner.queue_text(interaction.user.id, slash=True),
                                                ephemeral=True)

    @app_commands.command(name="dream-quota", description="How many dreams you have left today")
    async def quota_slash(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            await self._quota(interaction.user, interaction.channel_id), ephemeral=True)

    # -- helpers -----------------------------------------------------------------
    async def _quota(self, user: discord.abc.User, channel_id: int) -> str:
        origin = admission.Origin.of(user, channel_id)
        settings = await admission.settings_for(self.bot.store, origin.guild_id, self.bot.config.dm_settings)
        return await admission.quota_text(self.bot.store, settings, origin, user.id)

    async def _image_for_message(self, message: discord.Message) -> ImageRef | None:
        own = first_attachment(message)
        if own is not None:
            return own
        replied = await self._replied(message)
        if first_attachment(replied) is not None:
            return first_attachment(replied)
        return self.recent.last(message.channel.id, message.author.id)

    async def _guide_for_message(self, message: discord.Message, image: ImageRef | None) -> ImageRef | None:
        """`!dream`'s guide (see `bot/dream/guide.py`): its second attachment, else, when it has
        its own image, the image of the message it replies to (only an image: a reply to
        someone's PDF is a conversation, not a guide)."""
        if (second := second_attachment(message, image)) is not None or not message.attachments:
            return second
        replied = first_attachment(await self._replied(message))
        return replied if replied is not None and replied.looks_like_image() else None

    @staticmethod
    async def _replied(message: discord.Message) -> discord.Message | None:
        """The message `message` replies to (fetched if Discord did not include it), or None."""
        if not (message.reference and message.reference.message_id):
            return None
        replied = message.reference.resolved
        if isinstance(replied, discord.Message):
            return replied
        try:
            return await message.channel.fetch_message(message.reference.message_id)
        except discord.HTTPException:
            return None


#: the message context-menu command's name, as members see it under Apps
DREAM_THIS = "Dream this image"


def _in_thread(channel: object) -> bool:
    return isinstance(channel, discord.Thread)


async def setup(bot: "DreamBot") -> None:
    await bot.add_cog(DreamCog(bot))
