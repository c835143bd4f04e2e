"""What moderators type and read: `/dreamconfig set KEY VALUE` text to checked values, and back.

`parse_setting` refuses (with `BadParam`, one line) unknown keys with a suggestion,
malformed values and anything above the operator's cap; `format_value` prints a value
as `show` and `history` do. The settings themselves are declared in `guild_settings`.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from dreaming.errors import BadParam, UnknownLayer
from dreaming.layers import resolve_layer
from dreaming.params import LIMITS
from dreaming.parsing import did_you_mean, parse_number

from bot.i18n import t
from bot.moderation.guild_settings import CAPPED, SETTINGS

MAX_PENDING = 100
MAX_DAILY_QUOTA = 10_000
MAX_COOLDOWN_S = 86_400.0  # a longer wait is what the daily quota is for
MAX_REMINDER = 500  # as config.yaml's dream.privacy_reminder

_ON, _OFF = {"on", "true", "yes", "1", "enable", "enabled"}, {"off", "false", "no", "0", "disable", "disabled"}
_DEFAULT_WORDS = {"default", "none", "operator"}
_ID = re.compile(r"<(?:#|@&)(\d+)>|(\d+)")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_setting(key: str, text: str, caps: Mapping[str, float], *,
                  presets: Collection[str] | None = None) -> object:
    """The checked value of `/dreamconfig set KEY VALUE`, or `BadParam` saying what is wrong.

    `caps` are the operator's (`Config.caps`); `presets`, when given, are the names that
    `allowed_presets` may list. Lists are separated by commas or spaces.
    """
    if key not in SETTINGS:  # exact: the caller passes the same key on to `Store.set_guild_value`
        close = did_you_mean(key.replace("-", "_"), SETTINGS)
        hint = f"did you mean '{close}'? " if close else ""
        raise BadParam(key, text, f"unknown setting; {hint}settings: {', '.join(SETTINGS)}")
    word = text.strip().lower()
    if key in CAPPED:
        return _capped(key, word, caps)
    if key == "privacy_reminder":
        return _reminder(text.strip())
    if SETTINGS[key].kind == "names":
        return _names(key, word, presets)
    if SETTINGS[key].kind == "preset":
        return _preset(key, word, presets)
    if SETTINGS[key].kind == "channel presets":
        raise BadParam(key, text, "set it per channel with `channels default #channel PRESET`")
    return _PARSE[SETTINGS[key].kind](key, word)


def format_value(key: str, value: object) -> str:
    """A value as `/dreamconfig show` and `history` print it, in the reader's language."""
    if value is None:
        return t({"daily_quota": "unlimited", "privacy_reminder": "operators"}.get(key, "default"))
    if isinstance(value, bool):
        return t("on" if value else "off")
    if key == "channel_presets":
        return ", ".join(f"<#{channel}> {preset}" for channel, preset in value) or t("none")
    if isinstance(value, (tuple, list)):
        mention = {"allowed_channels": "<#{}>", "exempt_roles": "<@&{}>", "moderator_roles": "<@&{}>"}
        shown = [mention.get(key, "{}").format(v) for v in value]
        return ", ".join(shown) or t("none" if key.endswith("_roles") else "all")
    if key == "privacy_reminder" and value == "":
        return t("off")
    if key == "cooldown_s":
        return t("seconds", seconds=value) if value else t("none")
    return str(value)


def _capped(name: str, word: str, caps: Mapping[str, float]) -> int | float | None:
    if word in _DEFAULT_WORDS:
        return None
    field = CAPPED[name]
    whole = name != "max_strength"
    value = parse_number(name, word, whole=whole)
    low, cap = LIMITS[field].low, caps.get(field, LIMITS[field].high)
    if value < low:
        raise BadParam(name, word, f"must be at least {low:g}")
    if value > cap:
        raise BadParam(name, word, f"above the operator's cap of {cap:g}")
    return value


def _bool(name: str, word: str) -> bool:
    if word in _ON | _OFF:
        return word in _ON
    raise BadParam(name, word, "must be on or off")


def _count(name: str, word: str) -> int | None:
    if word in _DEFAULT_WORDS | {"unlimited"}:
        return None
    value = parse_number(name, word, whole=True)
    top = MAX_DAILY_QUOTA if name == "daily_quota" else MAX_PENDING
    if not 1 <= value <= top:
        raise BadParam(name, word, f"must be between 1 and {top}")
    return value


def _cooldown(name: str, word: str) -> float:
    if word in _OFF | _DEFAULT_WORDS:
        return 0.0
    match = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)\s*([smh]?)", word)
    if not match:
        raise BadParam(name, word, "must be seconds, or a number with s, m or h (30, 5m, 1h)")
    seconds = float(match[1]) * _UNITS[match[2]]
    if seconds > MAX_COOLDOWN_S:
        raise BadParam(name, word, "must be at most 24h")
    return seconds


def _choice(name: str, word: str) -> str:
    if word not in ("notice", "silent"):
        raise BadParam(name, word, "must be notice or silent")
    return word


def _reminder(text: str) -> str | None:
    if text.lower() in ("default", "operator"):
        return None
    if text.lower() in ("off", "none"):
        return ""
    if len(text) > MAX_REMINDER:
        raise BadParam("privacy_reminder", text[:40] + "...", f"must be at most {MAX_REMINDER} characters")
    return text


def _ids(name: str, word: str) -> tuple[int, ...]:
    if word in ("all", "none"):
        return ()
    ids = []
    for token in re.split(r"[\s,]+", word.strip(", ")):
        match = _ID.fullmatch(token)
        number = int(match[1] or match[2]) if match else 0
        if not 0 < number < 2**63:
            what = "channels (#name or id)" if name == "allowed_channels" else "roles (@role or id)"
            raise BadParam(name, token, f"must be {what}, separated by commas")
        ids.append(number)
    return tuple(dict.fromkeys(ids))


def _names(name: str, word: str, presets: Collection[str] | None) -> tuple[str, ...]:
    if word == "all":
        return ()
    names = []
    for token in re.split(r"[\s,]+", word.strip(", ")):
        if name == "allowed_layers":
            try:
                token = resolve_layer(token)[0]  # aliases count as the block they run
            except UnknownLayer as err:
                hint = f"did you mean '{err.suggestion}'?" if err.suggestion else "e.g. mixed5"
                raise BadParam(name, token, f"unknown layer; {hint}") from None
        elif presets is not None and token not in presets:
            close = did_you_mean(token, presets)
            hint = f"did you mean '{close}'? " if close else ""
            raise BadParam(name, token, f"unknown preset; {hint}presets: {', '.join(presets)}")
        names.append(token)
    return tuple(dict.fromkeys(names))


def _preset(name: str, word: str, presets: Collection[str] | None) -> str | None:
    if word in _DEFAULT_WORDS:
        return None
    if presets is not None and word not in presets:
        close = did_you_mean(word, presets)
        hint = f"did you mean '{close}'? " if close else ""
        raise BadParam(name, word, f"unknown preset; {hint}presets: {', '.join(presets)}")
    return word


_PARSE = {"switch": _bool, "ids": _ids, "choice": _choice, "count": _count, "seconds": _cooldown}
