"""Every word the bot says, in the member's language.

Catalogs are one module per language (`en.py`, `de.py`): `MESSAGES` maps a message id to a
`str.format` template, or to `{"one": ..., "other": ...}` chosen by the `count` it is given.
English is complete and the fallback; every catalog has every key, with the same placeholders
(tests/test_bot_locale.py). Slash command names and descriptions are localised by Discord
from `COMMANDS` (`bot.i18n.commands.CommandTranslator`, installed with `tree.set_translator`).

Which language a reply speaks is set once where a request enters the bot, with `use()`:
an interaction's `locale` (the member's Discord client), or for a prefix command the server's
`preferred_locale`. It holds for that task and every task it starts (a context variable), so
the dream's queue position, progress and result speak it too; elsewhere (jobs recovered
after a restart) the bot speaks English. Texts the engine writes (`dreaming.messages`: a bad
image, an unknown layer, a value out of range) stay English: `dreaming/` knows nothing of
Discord or its locales; the bot's framing around them is translated.
"""
from __future__ import annotations

import string
from contextvars import ContextVar

import discord

from bot.i18n import de, en

#: language code -> message id -> template
CATALOGS: dict[str, dict[str, str | dict[str, str]]] = {"en": en.MESSAGES, "de": de.MESSAGES}
#: language code -> `COMMANDS` (English needs none: the code's names are English)
COMMAND_CATALOGS: dict[str, dict[str, tuple[str, str]]] = {"de": de.COMMANDS}
FALLBACK = "en"

_language: ContextVar[str] = ContextVar("dreambot_language", default=FALLBACK)


def language_of(locale: object) -> str:
    """The catalog for a Discord locale (`discord.Locale.german`, "de", "en-US", None): its
    language when the bot speaks it, else English."""
    code = str(getattr(locale, "value", locale) or "").split("-")[0].lower()
    return code if code in CATALOGS else FALLBACK


def use(locale: object) -> None:
    """Speak the language of `locale` from here on, in this task and the tasks it starts."""
    _language.set(language_of(locale))


def current() -> str:
    return _language.get()


def t(key: str, /, **values: object) -> str:
    """The message `key` in the current language, filled in with `values` (`count` picks a plural)."""
    template = CATALOGS[_language.get()].get(key) or CATALOGS[FALLBACK][key]
    if isinstance(template, dict):
        template = template["one" if values.get("count") == 1 else "other"]
    return template.format(**values)


def placeholders(template: str | dict[str, str]) -> set[str]:
    """The names a template fills in (for the catalogs' test)."""
    texts = template.values() if isinstance(template, dict) else [template]
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}


class Localised:
    """Mixin of buttons, select menus and forms: what a press answers speaks the language of
    whoever pressed. discord.py runs `interaction_check` first, in the task that then runs the
    callback (slash commands get the same from the bot's command tree)."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        use(interaction.locale)
        return True
