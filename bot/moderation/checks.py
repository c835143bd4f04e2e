"""The pieces of `/dreamconfig` that are not commands: who is a moderator, and what they type.

`moderator_only()` is the real permission check on every changing subcommand: it runs
for `!dreamconfig` and `/dreamconfig` alike (a hybrid command runs its `commands.check`s
for both) and asks the member's current permissions and roles on every call, so a server
admin loosening the slash command's visibility never grants the right to change things.
"""
from __future__ import annotations

import shlex

import discord
from discord.ext import commands

from dreaming.errors import BadParam
from dreaming.presets import option_fields

from bot.errors import NotModerator
from bot.moderation.guild_settings import GuildSettings
from bot.moderation.messages import not_moderator_text
from bot.dream.options import parse_dream_args

#: Discord shows at most 25 choices in autocomplete, so a server keeps at most 25 presets.
MAX_SERVER_PRESETS = 25
DEFAULT_DESCRIPTION = "A preset of this server"


def is_moderator(member: discord.abc.User, settings: GuildSettings) -> bool:
    """Manage Server, or one of the server's moderator roles."""
    if not isinstance(member, discord.Member):
        return False
    return (member.guild_permissions.manage_guild
            or any(role.id in settings.moderator_roles for role in member.roles))


def moderator_only():
    """A check: in a server, by a member with Manage Server or a moderator role; else `NotModerator`."""
    async def predicate(ctx: commands.Context) -> bool:
        if ctx.guild is None:
            raise commands.NoPrivateMessage()
        settings = await ctx.bot.store.get_guild(ctx.guild.id)
        if is_moderator(ctx.author, settings):
            return True
        raise NotModerator(not_moderator_text(settings))
    return commands.check(predicate)


def preset_body(text: str) -> tuple[dict[str, object], str]:
    """`layer=mixed4c steps=8 description="Calm"` -> (DreamParams overrides, JSON-ready; description).

    Keys are the ones `!dream` takes; values become real numbers (layers stay a spec string),
    for `make_preset` to check and `Store.create_preset` to keep.
    """
    try:
        words = shlex.split(text)
    except ValueError:
        raise BadParam("preset", text[:40], "unbalanced quotes") from None
    description, rest = DEFAULT_DESCRIPTION, []
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key.strip().lower() == "description":
            description = value.strip()
        else:
            rest.append(word)
    body: dict[str, object] = {}
    for option, value in parse_dream_args(shlex.join(rest)).items():
        if option == "preset":
            raise BadParam("preset", value, "a server preset can't name another preset; give its settings")
        for field, checked in option_fields(option, value):
            body[field] = value if field == "layers" else checked  # layers are kept as the spec typed
    return body, description
