"""Every word `/dreamconfig` says, in the moderator's language (`bot.i18n`): what `show`,
`history` and `preset list` print, and why someone may not change settings."""
from __future__ import annotations

from collections.abc import Mapping

from dreaming.params import option_name

from bot.i18n import t
from bot.moderation.guild_settings import CAPPED, DEFAULTS, SETTINGS, GuildSettings
from bot.moderation.setting_text import format_value
from bot.store import AuditEntry, ServerPreset

#: Discord refuses messages over 2,000 characters
MAX_MESSAGE = 2000


def not_moderator_text(settings: GuildSettings) -> str:
    roles = ", ".join(f"<@&{r}>" for r in settings.moderator_roles)
    return t("not_moderator_roles", roles=roles) if roles else t("not_moderator")


def setting_help(key: str) -> str:
    """What a setting does, as `show` and the key autocomplete say."""
    return t(f"setting_{key}")


def show_text(settings: GuildSettings, caps: Mapping[str, float], presets: list[ServerPreset]) -> str:
    """`/dreamconfig show`: every setting (changed ones in bold), the caps dreams run under, presets."""
    lines = [t("show_title")]
    for key in SETTINGS:
        value = getattr(settings, key)
        shown = f"`{key}`: {format_value(key, value)}"
        lines.append(f"**{shown}**" if value != DEFAULTS[key] else f"{shown} — {setting_help(key)}")
    limits = ", ".join(f"{option_name(f)} ≤ {caps[f]:g}" for f in CAPPED.values() if f in caps)
    lines.append(t("show_limits", limits=limits))
    listed = ", ".join(f"`{p.name}`" for p in presets) or t("none")
    lines.append(t("show_presets", presets=listed))
    return "\n".join(lines)


def history_text(entries: list[AuditEntry]) -> str:
    """`/dreamconfig history`: newest first, `when · who · what key: old → new`."""
    if not entries:
        return t("history_empty")
    lines = [t("history_title")]
    for e in entries:
        when = f"<t:{int(e.when.timestamp())}:f>"
        what = e.action.replace("_", " ")
        if e.key is None:
            lines.append(f"{when} · <@{e.actor_id}> · {t('history_reset_all')}")
        elif e.action in ("set", "reset"):
            lines.append(f"{when} · <@{e.actor_id}> · {what} {e.key}: "
                         f"{format_value(e.key, e.old)} → {format_value(e.key, e.new)}")
        else:
            lines.append(f"{when} · <@{e.actor_id}> · {what} {e.key}")
    return "\n".join(lines)


def presets_text(presets: list[ServerPreset]) -> str:
    if not presets:
        return t("presets_empty")
    return t("presets_server_title") + "\n" + "\n".join(
        f"`{p.name}` — {p.description} · " + " ".join(f"{k}={v}" for k, v in p.overrides.items())
        for p in presets)


def fit(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` within Discord's `limit`: whole lines while they fit, then "… and N more lines";
    a single line too long is cut with "…"."""
    if len(text) <= limit:
        return text
    lines, kept = text.split("\n"), []
    for i, line in enumerate(lines):
        more = t("more_lines", count=len(lines) - i)
        if len("\n".join([*kept, line, more])) > limit:
            if not kept:  # the first line alone is too long
                return line[:limit - 1] + "…"
            return "\n".join([*kept, more])
        kept.append(line)
    return "\n".join(kept)
