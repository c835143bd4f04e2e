"""The pieces of `/dreamconfig` that are not commands: who is a moderator, parsing, and the texts.

`moderator_only()` is the real permission check on every changing subcommand: it runs
for `!dreamconfig` and `/dreamconfig` alike (a hybrid command runs its `commands.check`s
for both) and asks the member's current permissions and roles on every call, so a server
admin loosening the slash command's visibility never grants the right to change things.
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

import discord
from discord.ext import commands

from dreaming.errors import BadParam
from dreaming.params import option_name
from dreaming.presets import option_fields

from bot.errors import NotModerator
from bot.moderation.guild_settings import CAPPED, DEFAULTS, SETTINGS, GuildSettings
from bot.dream.options import parse_dream_args
from bot.moderation.setting_text import format_value
from bot.store import AuditEntry, ServerPreset

#: Discord shows at most 25 choices in autocomplete, so a server keeps at most 25 presets.
MAX_SERVER_PRESETS = 25
DEFAULT_DESCRIPTION = "A preset of this server"
_CHANNEL = re.compile(r"<#(\d+)>|(\d+)")


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


def not_moderator_text(settings: GuildSettings) -> str:
    roles = ", ".join(f"<@&{r}>" for r in settings.moderator_roles)
    who = "members with the Manage Server permission" + (f" or the roles {roles}" if roles else "")
    return f"Only {who} can change Dreambot's settings on this server."


def parse_channel(guild: discord.Guild, text: str) -> discord.abc.GuildChannel:
    """A channel of `guild` from `#name`, a channel mention or an id; `BadArgument` if none."""
    text = text.strip()
    match = _CHANNEL.fullmatch(text)
    channel = (guild.get_channel(int(match[1] or match[2])) if match
               else discord.utils.get(guild.text_channels, name=text.lstrip("#")))
    if channel is None:
        raise commands.BadArgument(f"No channel {text!r} on this server: mention it, e.g. #general.")
    return channel


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


def show_text(settings: GuildSettings, caps: Mapping[str, float], presets: list[ServerPreset]) -> str:
    """`/dreamconfig show`: every setting (changed ones in bold), the caps dreams run under, presets."""
    lines = ["**Dreambot settings on this server** (changed ones in bold)"]
    for key, setting in SETTINGS.items():
        value = getattr(settings, key)
        shown = f"`{key}`: {format_value(key, value)}"
        lines.append(f"**{shown}**" if value != DEFAULTS[key] else f"{shown} — {setting.help}")
    limits = ", ".join(f"{option_name(f)} ≤ {caps[f]:g}" for f in CAPPED.values() if f in caps)
    lines.append(f"Dreams run within: {limits} (the lower of the operator's caps and this server's).")
    listed = ", ".join(f"`{p.name}`" for p in presets) or "none"
    lines.append(f"Server presets: {listed}")
    return "\n".join(lines)


def history_text(entries: list[AuditEntry]) -> str:
    """`/dreamconfig history`: newest first, `when · who · what key: old → new`."""
    if not entries:
        return "No changes recorded on this server."
    lines = ["**Latest changes**"]
    for e in entries:
        when = f"<t:{int(e.when.timestamp())}:f>"
        what = e.action.replace("_", " ")
        if e.key is None:
            lines.append(f"{when} · <@{e.actor_id}> · reset every setting")
        elif e.action in ("set", "reset"):
            lines.append(f"{when} · <@{e.actor_id}> · {what} {e.key}: "
                         f"{format_value(e.key, e.old)} → {format_value(e.key, e.new)}")
        else:
            lines.append(f"{when} · <@{e.actor_id}> · {what} {e.key}")
    return "\n".join(lines)[:1990]


def presets_text(presets: list[ServerPreset]) -> str:
    if not presets:
        return "This server has no presets of its own yet: `/dreamconfig preset create NAME key=value ...`."
    return "**Server presets**\n" + "\n".join(
        f"`{p.name}` — {p.description} · " + " ".join(f"{k}={v}" for k, v in p.overrides.items())
        for p in presets)
