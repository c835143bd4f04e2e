"""Discord's locales, and the checks Discord applies to what carries them.

- A user's client language travels in every interaction (`locale`), the server's in
  `guild_locale` and in GUILD_CREATE's `preferred_locale`.
- Application commands may carry `name_localizations` and `description_localizations`
  (on the command, its options and subcommands): keys must be locales Discord knows, a
  localised name follows the same rule as the name (1-32 characters, lowercase, no spaces,
  for slash commands), a description 1-100 characters. Discord refuses others with 50035.
"""
from __future__ import annotations

import re

from .web_utils import DiscordError

#: Discord's documented locales (the values of discord.py's `discord.Locale`)
LOCALES = frozenset({
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no", "pl",
    "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN", "ja",
    "zh-TW", "ko",
})
#: a slash command's (or option's) name: letters of any script, digits, - and _
SLASH_NAME = re.compile(r"^[-_\w]{1,32}$")


def check_locale(locale: str) -> str:
    """`locale` if Discord knows it; a test asking for another gets a ValueError at once."""
    if locale not in LOCALES:
        raise ValueError(f"{locale!r} is not a Discord locale; use one of {sorted(LOCALES)}")
    return locale


def check_localizations(body: dict, where: str, *, slash_name: bool) -> None:
    """Refuse a command's (or option's) localisations as Discord does (400, code 50035)."""
    for locale, name in (body.get("name_localizations") or {}).items():
        _known(locale, where)
        bad_slash = slash_name and (not SLASH_NAME.match(name) or name != name.lower())
        if bad_slash or not 1 <= len(name) <= 32:
            raise DiscordError(400, 50035, f"Invalid Form Body: {where}.name_localizations.{locale}: "
                                           f"{name!r} is not a valid name")
    for locale, text in (body.get("description_localizations") or {}).items():
        _known(locale, where)
        if not 1 <= len(text) <= 100:
            raise DiscordError(400, 50035, f"Invalid Form Body: {where}.description_localizations.{locale}: "
                                           "must be 1-100 characters")


def _known(locale: str, where: str) -> None:
    if locale not in LOCALES:
        raise DiscordError(400, 50035, f"Invalid Form Body: {where}: {locale!r} is not a valid locale")
