"""Slash command names and descriptions in the member's language, as Discord shows them.

discord.py asks the tree's translator for every name and description of every command when
it syncs, once per Discord locale, and sends the answers as `name_localizations` and
`description_localizations`; Discord then shows each member their own language. Keys are
derived from where a string sits (`TranslationContext`), so the code keeps plain English
names and no string is wrapped by hand.
"""
from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n import COMMAND_CATALOGS, language_of

_NAMES = (Where.command_name, Where.group_name, Where.parameter_name)
_DESCRIPTIONS = (Where.command_description, Where.group_description, Where.parameter_description)


class CommandTranslator(app_commands.Translator):
    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContext) -> str | None:
        catalog = COMMAND_CATALOGS.get(language_of(locale))
        key = command_key(context)
        if catalog is None or key not in catalog:
            return None  # Discord shows the English default
        name, description = catalog[key]
        if context.location in _NAMES:
            return name
        return description or None if context.location in _DESCRIPTIONS else None


def command_key(context: app_commands.TranslationContext) -> str | None:
    """`dreamconfig channels add` for a command or group (or a context menu's name),
    `dreamconfig channels add.channel` for an option; None for anything else."""
    data = context.data
    if context.location in (Where.parameter_name, Where.parameter_description):
        return f"{data.command.qualified_name}.{data.display_name}"  # as synced, after any rename
    if context.location in (*_NAMES, *_DESCRIPTIONS):
        return data.qualified_name
    return None
