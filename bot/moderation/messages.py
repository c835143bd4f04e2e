"""Every word `/dreamconfig` says: what `show`, `history` and `preset list` print, and
why someone may not change settings."""
from __future__ import annotations

from collections.abc import Mapping

from dreaming.params import option_name

from bot.moderation.guild_settings import CAPPED, DEFAULTS, SETTINGS, GuildSettings
from bot.moderation.setting_text import format_value
from bot.store import AuditEntry, ServerPreset

#: Discord refuses messages over 2,000 characters
MAX_MESSAGE = 2000


def not_moderator_text(settings: GuildSettings) -> str:
    roles = ", ".join(f"<@&{r}>" for r in settings.moderator_roles)
    who = "members with the Manage Server permission" + (f" or the roles {roles}" if roles else "")
    return f"Only {who} can change Dreambot's settings on this server."


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
    return "\n".join(lines)


def presets_text(presets: list[ServerPreset]) -> str:
    if not presets:
        return "This server has no presets of its own yet: `/dreamconfig preset create NAME key=value ...`."
    return "**Server presets**\n" + "\n".join(
        f"`{p.name}` — {p.description} · " + " ".join(f"{k}={v}" for k, v in p.overrides.items())
        for p in presets)


def fit(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` within Discord's `limit`: whole lines while they fit, then "… and N more lines";
    a single line too long is cut with "…"."""
    if len(text) <= limit:
        return text
    lines, kept = text.split("\n"), []
    for i, line in enumerate(lines):
        more = f"… and {len(lines) - i} more {'line' if len(lines) - i == 1 else 'lines'}"
        if len("\n".join([*kept, line, more])) > limit:
            if not kept:  # the first line alone is too long
                return line[:limit - 1] + "…"
            return "\n".join([*kept, more])
        kept.append(line)
    return "\n".join(kept)
