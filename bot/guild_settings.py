"""What a server's moderators may set, declared once, and how it combines with the operator's caps.

`GuildSettings` is the declaration: every field's default means "no extra limit", so
a server that never ran `/dreamconfig` behaves exactly as config.yaml says. `SETTINGS`
lists the keys `/dreamconfig set KEY VALUE` accepts; `parse_setting` turns the text a
moderator typed into a checked value, refusing (with `BadParam`, one line) unknown
keys, malformed values and anything above the operator's cap. `effective_caps` is the
only place the two levels meet: per field the lower one wins.

Values are stored as JSON by `bot.store`; `to_dict`/`from_dict` are that codec, and
`from_dict` skips keys it no longer knows or can't read, so an old database never
stops the bot.
"""
from __future__ import annotations

import dataclasses
import difflib
import logging
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from dreaming.errors import BadParam, UnknownLayer
from dreaming.layers import resolve_layer
from dreaming.params import LIMITS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GuildSettings:
    """One server's settings. Defaults: on, everywhere, no limits beyond the operator's."""

    enabled: bool = True
    allowed_channels: tuple[int, ...] = ()  #: empty = every channel
    outside_channel_reply: str = "notice"  #: outside allowed channels: "notice" or "silent"
    max_side: int | None = None  #: None = the operator's cap
    max_octaves: int | None = None
    max_steps: int | None = None
    max_strength: float | None = None
    allowed_presets: tuple[str, ...] = ()  #: empty = all
    allowed_layers: tuple[str, ...] = ()  #: InceptionV3 block names; empty = all
    per_user_pending: int | None = None  #: None = the operator's pool.per_user
    cooldown_s: float = 0.0  #: seconds between one user's jobs; 0 = none
    daily_quota: int | None = None  #: jobs per user per UTC day; None = unlimited
    privacy_reminder: str | None = None  #: None = the operator's text; "" = none
    spoiler_results: bool = False
    exempt_roles: tuple[int, ...] = ()  #: skip cooldown and daily quota
    moderator_roles: tuple[int, ...] = ()  #: may change settings without Manage Server

    def __post_init__(self) -> None:
        for key in SETTINGS:
            value = getattr(self, key)
            if not _fits(key, value):
                raise BadParam(key, value, f"must be {SETTINGS[key].accepts}")

    def replace(self, **changes: object) -> GuildSettings:
        return dataclasses.replace(self, **changes)

    def channel_allowed(self, channel_id: int) -> bool:
        return not self.allowed_channels or channel_id in self.allowed_channels

    def exempt(self, role_ids: Iterable[int]) -> bool:
        """Whether a member with these roles skips cooldown and daily quota."""
        return not set(self.exempt_roles).isdisjoint(role_ids)

    def to_dict(self) -> dict[str, object]:
        """The values that differ from the defaults, JSON-ready (tuples become lists)."""
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in dataclasses.asdict(self).items() if value != DEFAULTS[key]}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> GuildSettings:
        """Settings from stored JSON; unknown keys and unreadable values fall back to defaults."""
        values = {}
        for key, value in data.items():
            value = tuple(value) if isinstance(value, list) else value
            if key in SETTINGS and _fits(key, value):
                values[key] = value
            else:
                log.warning("ignoring stored guild setting %s=%r (unknown or invalid)", key, value)
        return cls(**values)


@dataclass(frozen=True)
class Setting:
    """One settable key: its kind of value (picks parser and type check) and its help."""

    kind: str
    accepts: str  #: what a moderator may type, for error replies and help
    help: str


#: `/dreamconfig set` keys, in the order `show` lists them
SETTINGS: dict[str, Setting] = {
    "enabled": Setting("switch", "on or off", "whether the bot dreams in this server"),
    "allowed_channels": Setting("ids", "channels, or all", "where the bot dreams"),
    "outside_channel_reply": Setting("choice", "notice or silent", "what the bot says in other channels"),
    "max_side": Setting("cap", "a whole number, or default", "largest image side in pixels"),
    "max_octaves": Setting("cap", "a whole number, or default", "most octaves per dream"),
    "max_steps": Setting("cap", "a whole number, or default", "most steps per octave"),
    "max_strength": Setting("cap", "a number, or default", "highest strength (step size)"),
    "allowed_presets": Setting("names", "preset names, or all", "presets members may use"),
    "allowed_layers": Setting("names", "layer names, or all", "layers members may use"),
    "per_user_pending": Setting("count", "a whole number, or default", "dreams one member may have waiting"),
    "cooldown_s": Setting("seconds", "seconds (30, 5m, 1h), or off", "wait between one member's dreams"),
    "daily_quota": Setting("count", "a whole number, or unlimited", "dreams per member per day (UTC)"),
    "privacy_reminder": Setting("text", "text, default or off", "the privacy note shown with results"),
    "spoiler_results": Setting("switch", "on or off", "post results as spoilers"),
    "exempt_roles": Setting("ids", "roles, or none", "roles without cooldown and quota"),
    "moderator_roles": Setting("ids", "roles, or none", "roles that may change these settings"),
}
DEFAULTS: dict[str, object] = {f.name: f.default for f in dataclasses.fields(GuildSettings)}

#: guild field -> the operator cap (`Config.caps` key, a `DreamParams` field) it narrows
CAPPED: dict[str, str] = {"max_side": "max_side", "max_octaves": "octaves",
                          "max_steps": "steps", "max_strength": "step_size"}
MAX_PENDING = 100
MAX_DAILY_QUOTA = 10_000
MAX_COOLDOWN_S = 86_400.0  # a longer wait is what the daily quota is for
MAX_REMINDER = 500  # as config.yaml's dream.privacy_reminder

_ON, _OFF = {"on", "true", "yes", "1", "enable", "enabled"}, {"off", "false", "no", "0", "disable", "disabled"}
_DEFAULT_WORDS = {"default", "none", "operator"}
_ID = re.compile(r"<(?:#|@&)(\d+)>|(\d+)")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def effective_caps(operator_caps: Mapping[str, float], guild: GuildSettings) -> dict[str, float]:
    """The caps a dream in this server runs under: per field the lower of operator and server.

    Keys are `DreamParams` fields, as `dreaming.settings.resolve_request` takes them. A
    server value above the operator's (set before the operator lowered theirs) loses.
    """
    caps = dict(operator_caps)
    for key, field in CAPPED.items():
        value = getattr(guild, key)
        if value is not None:
            caps[field] = min(caps[field], value) if field in caps else value
    return caps


def parse_setting(key: str, text: str, caps: Mapping[str, float], *,
                  presets: Collection[str] | None = None) -> object:
    """The checked value of `/dreamconfig set KEY VALUE`, or `BadParam` saying what is wrong.

    `caps` are the operator's (`Config.caps`); `presets`, when given, are the names that
    `allowed_presets` may list. Lists are separated by commas or spaces.
    """
    if key not in SETTINGS:  # exact: the caller passes the same key on to `Store.set_guild_value`
        close = difflib.get_close_matches(key.strip().lower().replace("-", "_"), SETTINGS, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise BadParam(key, text, f"unknown setting; {hint}settings: {', '.join(SETTINGS)}")
    word = text.strip().lower()
    if key in CAPPED:
        return _capped(key, word, caps)
    if key == "privacy_reminder":
        return _reminder(text.strip())
    if SETTINGS[key].kind == "names":
        return _names(key, word, presets)
    return _PARSE[SETTINGS[key].kind](key, word)


def format_value(key: str, value: object) -> str:
    """A value as `/dreamconfig show` and `history` print it."""
    if value is None:
        return {"daily_quota": "unlimited", "privacy_reminder": "the operator's"}.get(key, "default")
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (tuple, list)):
        mention = {"allowed_channels": "<#{}>", "exempt_roles": "<@&{}>", "moderator_roles": "<@&{}>"}
        shown = [mention.get(key, "{}").format(v) for v in value]
        return ", ".join(shown) or ("none" if key.endswith("_roles") else "all")
    if key == "privacy_reminder" and value == "":
        return "off"
    if key == "cooldown_s":
        return f"{value:g} s" if value else "none"
    return str(value)


def _fits(key: str, value: object) -> bool:
    """Whether `value` has the type `key` holds (ranges are `parse_setting`'s job)."""
    kind = SETTINGS[key].kind
    if kind == "ids":
        return isinstance(value, tuple) and all(_whole(v) for v in value)
    if kind == "names":
        return isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    if kind == "switch":
        return type(value) is bool
    if kind == "choice":
        return value in ("notice", "silent")
    if kind == "text":
        return value is None or isinstance(value, str)
    if kind == "seconds":
        return _real(value)
    if key == "max_strength":
        return value is None or _real(value) and value > 0
    return value is None or _whole(value)  # counts, and the caps in whole numbers


def _whole(value: object) -> bool:
    return type(value) is int and value > 0


def _real(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value) and value >= 0


def _capped(name: str, word: str, caps: Mapping[str, float]) -> int | float | None:
    if word in _DEFAULT_WORDS:
        return None
    field = CAPPED[name]
    whole = name != "max_strength"
    value = _number(name, word, whole)
    low, cap = LIMITS[field].low, caps.get(field, LIMITS[field].high)
    if value < low:
        raise BadParam(name, word, f"must be at least {low:g}")
    if value > cap:
        raise BadParam(name, word, f"above the operator's cap of {cap:g}")
    return value


def _number(name: str, word: str, whole: bool) -> int | float:
    try:
        value = int(word) if whole else float(word)
    except ValueError:
        raise BadParam(name, word, "must be a whole number" if whole else "must be a number") from None
    if not math.isfinite(value):
        raise BadParam(name, word, "must be a finite number")
    return value


def _bool(name: str, word: str) -> bool:
    if word in _ON | _OFF:
        return word in _ON
    raise BadParam(name, word, "must be on or off")


def _count(name: str, word: str) -> int | None:
    if word in _DEFAULT_WORDS | {"unlimited"}:
        return None
    value = _number(name, word, whole=True)
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
            close = difflib.get_close_matches(token, list(presets), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise BadParam(name, token, f"unknown preset; {hint}presets: {', '.join(presets)}")
        names.append(token)
    return tuple(dict.fromkeys(names))


_PARSE = {"switch": _bool, "ids": _ids, "choice": _choice, "count": _count, "seconds": _cooldown}
