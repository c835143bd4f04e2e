"""`/dreamconfig pick`: a setting that holds channels or roles, chosen from Discord's own lists.

The answer carries a select menu (a channel select for `allowed_channels`, a role select for
`exempt_roles` and `moderator_roles`) showing what is set now; whatever the moderator picks
replaces the list (nothing picked: every channel, or no roles). The menus are `DynamicItem`s
with the setting in their `custom_id`, so one posted before a restart still works, and each
pick asks again whether the member may change settings (`is_moderator`): the menu is visible
to whoever sees the message, the right to use it is checked on every use.
"""
from __future__ import annotations

import logging
import re
import typing
from typing import Literal

import discord
from discord.app_commands.transformers import CHANNEL_TO_TYPES

from bot import i18n
from bot.errors import reply_for
from bot.moderation.checks import is_moderator
from bot.moderation.messages import not_moderator_text
from bot.moderation.setting_text import format_value

log = logging.getLogger(__name__)

#: the settings a select menu sets, as `pick` takes them
PickableSetting = Literal["allowed_channels", "exempt_roles", "moderator_roles"]
PICKABLE: tuple[str, ...] = typing.get_args(PickableSetting)
#: the most values a select menu takes (Discord's limit)
MAX_PICKED = 25
#: the channels a server may let the bot dream in (a thread or forum post counts as its channel),
#: as `/dreamconfig channels` options take them
DreamChannel = discord.TextChannel | discord.ForumChannel
#: the same, as Discord's channel types for the menu: text, announcement, forum and media
#: channels, mapped as discord.py maps the typed options
DREAM_CHANNEL_TYPES = [kind for channel in typing.get_args(DreamChannel) for kind in CHANNEL_TO_TYPES[channel]]


def picker_text(key: str, value: tuple[int, ...]) -> str:
    """`Pick the channels where the bot dreams (none: all). Now: #art.`"""
    return i18n.t("pick_prompt", what=i18n.t(f"pick_{key}"), empty=format_value(key, ()),
                  value=format_value(key, value))


def picker_view(key: str, current: tuple[int, ...]) -> discord.ui.View:
    """The select menu for `key`, showing `current` as chosen."""
    view = discord.ui.View(timeout=None)
    view.add_item(ChannelPicker(current) if key == "allowed_channels" else RolePicker(key, current))
    return view


class ChannelPicker(i18n.Localised, discord.ui.DynamicItem[discord.ui.ChannelSelect],
                    template=r"dreambot:pick:(?P<key>allowed_channels)"):
    def __init__(self, current: tuple[int, ...] = ()):
        super().__init__(discord.ui.ChannelSelect(
            custom_id="dreambot:pick:allowed_channels", channel_types=DREAM_CHANNEL_TYPES,
            placeholder=i18n.t("pick_placeholder"), min_values=0, max_values=MAX_PICKED,
            default_values=[discord.Object(c) for c in current[:MAX_PICKED]]))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match):
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        await _save(interaction, "allowed_channels", self.item.values)


class RolePicker(i18n.Localised, discord.ui.DynamicItem[discord.ui.RoleSelect],
                 template=r"dreambot:pick:(?P<key>exempt_roles|moderator_roles)"):
    def __init__(self, key: str, current: tuple[int, ...] = ()):
        self.key = key
        super().__init__(discord.ui.RoleSelect(
            custom_id=f"dreambot:pick:{key}", placeholder=i18n.t("pick_placeholder"), min_values=0,
            max_values=MAX_PICKED, default_values=[discord.Object(r) for r in current[:MAX_PICKED]]))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match):
        return cls(match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _save(interaction, self.key, self.item.values)


async def _save(interaction: discord.Interaction, key: str, picked: list) -> None:
    """Store what a moderator picked and show it on the menu's message; anyone else is told,
    privately, who may change settings."""
    store, guild_id = interaction.client.store, interaction.guild_id
    try:
        settings = await store.get_guild(guild_id)
        if not is_moderator(interaction.user, settings):
            await interaction.response.send_message(f"⛔ {not_moderator_text(settings)}", ephemeral=True)
            return
        # A menu shows at most MAX_PICKED: entries beyond them were never on it, so keep them.
        hidden = tuple(getattr(settings, key) or ())[MAX_PICKED:]
        ids = tuple(dict.fromkeys([*(item.id for item in picked), *hidden]))
        await store.set_guild_value(guild_id, key, ids, interaction.user.id)
    except Exception as error:  # a database that refuses writes: one line, as everywhere
        await interaction.response.send_message(reply_for(error), ephemeral=True)
        return
    await interaction.response.edit_message(content=picker_text(key, ids), view=picker_view(key, ids),
                                            allowed_mentions=discord.AllowedMentions.none())


DYNAMIC_ITEMS = (ChannelPicker, RolePicker)
