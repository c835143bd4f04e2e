"""What a server's moderators may set, declared once, and how it combines with the operator's caps.

`GuildSettings` is the declaration: every field's default means "no extra limit", so
a server that never ran `/dreamconfig` behaves exactly as config.yaml says. `SETTINGS`
lists the keys `/dreamconfig set KEY VALUE` accepts; `setting_text.parse_setting` turns the text a
moderator typed into a checked value, refusing (with `BadParam`, one line) unknown
keys, malformed values and anything above the operator's cap. `effective_caps` is the
only place the two levels meet: per field the lower one wins.

Values are stored as JSON by `bot.store`; `to_dict`/`from_dict` are that codec, and
`from_dict` skips keys it no longer knows or can't read, so an old database never
stops the bot.
"""
from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dreaming.errors import BadParam

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
    max_frames: int | None = None  #: of a zoom animation; None = the operator's cap
    allowed_presets: tuple[str, ...] = ()  #: empty = all
    default_preset: str | None = None  #: None = the operator's default
    #: (channel id, preset) pairs: a channel's own default, over the server's
    channel_presets: tuple[tuple[int, str], ...] = ()
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

    def channel_allowed(self, channel_id: int, parent_id: int | None = None) -> bool:
        """Whether dreams are made here; a thread or forum post counts as its parent channel."""
        return not self.allowed_channels or bool({channel_id, parent_id} & set(self.allowed_channels))

    def preset_for(self, channel_id: int, parent_id: int | None = None) -> str | None:
        """This channel's default preset (a thread takes its parent's), else the server's."""
        by_channel = dict(self.channel_presets)
        return by_channel.get(channel_id) or by_channel.get(parent_id) or self.default_preset

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
            value = _from_json(value)
            if key in SETTINGS and _fits(key, value):
                values[key] = value
            else:
                log.warning("ignoring stored guild setting %s=%r (unknown or invalid)", key, value)
        return cls(**values)


@dataclass(frozen=True)
class Setting:
    """One settable key: its kind of value (picks parser and type check). What it does is in
    the catalogs (`bot/i18n`, `setting_<key>`), in every language."""

    kind: str
    accepts: str  #: what a moderator may type, for error replies


#: `/dreamconfig set` keys, in the order `show` lists them
SETTINGS: dict[str, Setting] = {
    "enabled": Setting("switch", "on or off"),
    "allowed_channels": Setting("ids", "channels, or all"),
    "outside_channel_reply": Setting("choice", "notice or silent"),
    "max_side": Setting("cap", "a whole number, or default"),
    "max_octaves": Setting("cap", "a whole number, or default"),
    "max_steps": Setting("cap", "a whole number, or default"),
    "max_strength": Setting("cap", "a number, or default"),
    "max_frames": Setting("cap", "a whole number, or default"),
    "allowed_presets": Setting("names", "preset names, or all"),
    "default_preset": Setting("preset", "a preset name, or default"),
    "channel_presets": Setting("channel presets", "set with `channels default #channel PRESET`"),
    "allowed_layers": Setting("names", "layer names, or all"),
    "per_user_pending": Setting("count", "a whole number, or default"),
    "cooldown_s": Setting("seconds", "seconds (30, 5m, 1h), or off"),
    "daily_quota": Setting("count", "a whole number, or unlimited"),
    "privacy_reminder": Setting("text", "text, default or off"),
    "spoiler_results": Setting("switch", "on or off"),
    "exempt_roles": Setting("ids", "roles, or none"),
    "moderator_roles": Setting("ids", "roles, or none"),
}
DEFAULTS: dict[str, object] = {f.name: f.default for f in dataclasses.fields(GuildSettings)}

#: guild field -> the operator cap (`Config.caps` key, a `DreamParams` field) it narrows
CAPPED: dict[str, str] = {"max_side": "max_side", "max_octaves": "octaves",
                          "max_steps": "steps", "max_strength": "step_size", "max_frames": "frames"}
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
    if kind in ("text", "preset"):
        return value is None or isinstance(value, str)
    if kind == "channel presets":
        return isinstance(value, tuple) and all(
            isinstance(p, tuple) and len(p) == 2 and _whole(p[0]) and isinstance(p[1], str) for p in value)
    if kind == "seconds":
        return _real(value)
    if key == "max_strength":
        return value is None or _real(value) and value > 0
    return value is None or _whole(value)  # counts, and the caps in whole numbers


def _from_json(value: object) -> object:
    """JSON lists back to the tuples the dataclass holds (pairs inside pairs too)."""
    return tuple(_from_json(v) for v in value) if isinstance(value, list) else value


def _whole(value: object) -> bool:
    return type(value) is int and value > 0


def _real(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value) and value >= 0
