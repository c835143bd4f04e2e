"""The operator's config.yaml: defaults, hard caps, and how to reach Discord.

Every section is a frozen dataclass; `load_config` refuses unknown keys (with a
suggestion), wrong types and impossible values with one line naming the key, so the
bot never starts half-configured. `config.yaml.example` documents each key.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dreaming.params import CHOICES, LIMITS

from bot.models import class_model, model_weights, models_problem
from bot.moderation.guild_settings import GuildSettings
from dreaming.networks import DEFAULT_MODEL
from dreaming.pool.remote import check_url
from dreaming.parsing import did_you_mean

DEFAULT_PRIVACY_REMINDER = (
    "Privacy: please don't upload photos of yourself or of other people. "
    "Pets, landscapes and buildings dream best."
)


class ConfigError(Exception):
    """A config problem, as one line that names the key."""


@dataclass(frozen=True)
class DiscordConfig:
    token: str = field(default="", repr=False)  #: prefer env DISCORD_TOKEN; never logged
    api_base: str = ""  #: a Discord-compatible server's API base; "" = discord.com
    #: text commands' prefix (`!dream`); null = slash-only: no privileged Message Content
    #: intent, and text commands only as a mention (`@Dreambot dream`)
    prefix: str | None = "!"

    @property
    def text_prefix(self) -> str:
        """The prefix as members type it: `!`, or the mention in slash-only mode."""
        return self.prefix if self.prefix is not None else "@Dreambot "
    dev_guild: int | None = None  #: sync slash commands to this guild only (instant)
    sync_commands: bool = True


@dataclass(frozen=True)
class PoolConfig:
    workers: int | str = "auto"  #: "auto" = one per visible GPU, else 1
    max_queue: int = 20
    per_user: int = 2
    job_timeout: float = 600.0
    weights: str = "inception-2015"
    #: "local": worker processes on this host; "redis": workers on any host, through Redis
    #: (start them with `dreambot-worker --redis URL`)
    backend: str = "local"
    #: with backend redis: redis://[:password@]host[:port][/db] or rediss:// (TLS); prefer env
    #: DREAMBOT_REDIS_URL, as it holds the password (never logged)
    redis_url: str = field(default="", repr=False)
    #: the workers' arithmetic: auto = bfloat16 where the hardware computes it natively
    #: (AVX512_BF16/AMX CPUs, GPUs of compute capability 8.0+), else float32
    precision: str = "auto"
    #: the networks members may pick (`/dream model:`), each with its weights source (null: its
    #: usual one, `weights` for inception_v3); the first is the default (`bot/models.py`)
    models: dict[str, str | None] = field(default_factory=lambda: {DEFAULT_MODEL: None})

    @functools.cached_property
    def model_weights(self) -> dict[str, str]:
        """Each offered network's weights source, as the workers load them."""
        return model_weights(self.models, self.weights)

    @functools.cached_property
    def class_model(self) -> str | None:
        """The offered network with the classifier head (the class option), read once."""
        return class_model(self.model_weights)


#: what `pool.backend` may be
POOL_BACKENDS = ("local", "redis")

#: `LimitsConfig` fields that cap a `DreamParams` field -> that field
CAPPED_FIELDS = {"max_side": "max_side", "octaves": "octaves", "steps": "steps", "step_size": "step_size",
                 "max_frames": "frames"}


@dataclass(frozen=True)
class LimitsConfig:
    """Hard caps: users' values above these are clamped, and told so."""

    max_side: int = 1024
    octaves: int = 6
    steps: int = 40
    step_size: float = 0.05
    #: most frames of a zoom animation (`!dream zoom`, `/dream-animate`): 4 s at 12 a second
    max_frames: int = 48
    max_attachment_mb: float = 20.0
    #: downloads held at once across all users, in MB; each takes `max_attachment_mb`
    download_mb_in_flight: float = 100.0
    #: octave scale's floor: smaller scales mean more octaves of work at the same caps
    min_octave_scale: float = 1.2
    max_megapixels: float = 40.0
    #: most units of work (`dreaming.cost`) one dream may take; null = what a `max_side`
    #: square at the caps above takes. Past it the size is lowered (and the member told)
    max_work: float | None = None


@dataclass(frozen=True)
class DreamConfig:
    default_preset: str = "classic"
    presets_files: tuple[str, ...] = ()
    recent_image_minutes: float = 5.0  #: `!dream` with no image uses the user's last one
    progress_interval: float = 3.0  #: seconds between progress edits (rate limits)
    privacy_reminder: str = DEFAULT_PRIVACY_REMINDER
    #: dreams in direct messages; off, Discord hides the dream commands there
    allow_dms: bool = False
    dm_cooldown_s: float = 60.0  #: in DMs no server sets limits: the operator's apply
    dm_daily_quota: int | None = 20  #: per member per UTC day in DMs; null = unlimited


@dataclass(frozen=True)
class StoreConfig:
    """Where per-server settings, presets, quotas and accepted jobs are kept."""

    path: str = "data/dreambot.db"  #: SQLite file; created (with its folder) on first start


@dataclass(frozen=True)
class HttpConfig:
    """The optional operator endpoint: /healthz and /metrics (Prometheus)."""

    port: int | None = None  #: None = off; 0 = any free port
    host: str = "127.0.0.1"  #: 0.0.0.0 to let a container's health check or Prometheus reach it


@dataclass(frozen=True)
class Config:
    discord: DiscordConfig = DiscordConfig()
    pool: PoolConfig = PoolConfig()
    limits: LimitsConfig = LimitsConfig()
    dream: DreamConfig = DreamConfig()
    store: StoreConfig = StoreConfig()
    http: HttpConfig = HttpConfig()

    @property
    def caps(self) -> dict[str, float]:
        """The operator's caps on dream settings, by `DreamParams` field."""
        return {field: getattr(self.limits, key) for key, field in CAPPED_FIELDS.items()}

    @property
    def dm_settings(self) -> GuildSettings:
        """What applies in direct messages, where no server has settings: the operator's."""
        dream = self.dream
        return GuildSettings(enabled=dream.allow_dms, cooldown_s=dream.dm_cooldown_s,
                             daily_quota=dream.dm_daily_quota)

    @property
    def floors(self) -> dict[str, float]:
        """The operator's floors on dream settings, by `DreamParams` field."""
        return {"octave_scale": self.limits.min_octave_scale}


def load_config(path: str | os.PathLike | None, env: typing.Mapping[str, str] = os.environ) -> Config:
    """Read `path` (None = defaults only), then apply DISCORD_TOKEN / DISCORD_API_BASE."""
    raw: object = {}
    if path is not None:
        try:
            raw = yaml.safe_load(Path(path).read_text()) or {}
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path} (copy config.yaml.example)") from None
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    config = _build(Config, raw, "")
    for variable, (section, key) in ENV_OVERRIDES.items():
        text = env.get(variable)
        if text:
            value = _from_env(variable, text, typing.get_type_hints(type(getattr(config, section)))[key])
            changed = dataclasses.replace(getattr(config, section), **{key: value})
            config = dataclasses.replace(config, **{section: changed})
    _check_values(config)
    return config


#: environment variables that override config keys (they win over the file): the token,
#: and what a container image sets for its own layout
ENV_OVERRIDES = {
    "DISCORD_TOKEN": ("discord", "token"),
    "DISCORD_API_BASE": ("discord", "api_base"),
    "DREAMBOT_STORE_PATH": ("store", "path"),
    "DREAMBOT_HTTP_PORT": ("http", "port"),
    "DREAMBOT_HTTP_HOST": ("http", "host"),
    "DREAMBOT_POOL_BACKEND": ("pool", "backend"),
    "DREAMBOT_REDIS_URL": ("pool", "redis_url"),
}


def _from_env(variable: str, text: str, kind):
    if kind in (int, int | None):
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"environment variable {variable} must be a whole number, not {text!r}") from None
    return text


def _build(cls, raw: object, where: str):
    if not isinstance(raw, dict):
        raise ConfigError(f"{where or 'the config'} must be a mapping of keys to values")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values = {}
    for key, value in raw.items():
        name = f"{where}.{key}" if where else str(key)
        if key not in fields:
            close = did_you_mean(key, fields)
            hint = f"; did you mean '{close}'?" if close else f"; known keys: {', '.join(fields)}"
            raise ConfigError(f"unknown config key '{name}'{hint}")
        kind = hints[key]
        if dataclasses.is_dataclass(kind):
            values[key] = _build(kind, value, name)
        else:
            values[key] = _coerce(value, kind, name)
    return cls(**values)


def _coerce(value: object, kind, name: str):
    options = typing.get_args(kind) if isinstance(kind, types.UnionType) else (kind,)
    for option in options:
        if option is type(None) and value is None:
            return None
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if typing.get_origin(option) is tuple and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        if typing.get_origin(option) is dict and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return dict.fromkeys(value)  # names only: each with its usual source
        if typing.get_origin(option) is dict and isinstance(value, dict) and all(
                isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in value.items()):
            return dict(value)
        if option in (int, str, bool) and type(value) is option:
            return value
    wanted = " or ".join("a list of strings" if typing.get_origin(o) is tuple else
                         "a mapping of names to strings" if typing.get_origin(o) is dict else
                         "null" if o is type(None) else o.__name__ for o in options)
    raise ConfigError(f"config key '{name}' must be {wanted}, not {value!r}")


def _within_engine_limits(limits: LimitsConfig) -> list[tuple[str, bool, str]]:
    """The operator's caps may narrow the engine's `LIMITS`, never widen them."""
    return [(f"limits.{key}", getattr(limits, key) in LIMITS[field],
             f"must be between {LIMITS[field].low:g} and {LIMITS[field].high:g}")
            for key, field in CAPPED_FIELDS.items()]


def _check_values(config: Config) -> None:
    checks = [
        ("discord.prefix", config.discord.prefix is None or bool(config.discord.prefix.strip()),
         "must not be empty (null for slash commands only)"),
        ("pool.workers", config.pool.workers == "auto" or (isinstance(config.pool.workers, int)
                                                          and config.pool.workers >= 1), "must be 'auto' or at least 1"),
        ("pool.max_queue", config.pool.max_queue >= 1, "must be at least 1"),
        ("pool.per_user", config.pool.per_user >= 1, "must be at least 1"),
        ("pool.job_timeout", config.pool.job_timeout > 0, "must be positive"),
        ("pool.backend", config.pool.backend in POOL_BACKENDS, f"must be one of {', '.join(POOL_BACKENDS)}"),
        ("pool.redis_url", config.pool.backend != "redis" or bool(config.pool.redis_url),
         "must be set for pool.backend redis (or env DREAMBOT_REDIS_URL)"),
        ("pool.redis_url", not config.pool.redis_url or check_url(config.pool.redis_url) is None,
         f"{check_url(config.pool.redis_url) or ''} (redis://[:password@]host[:port][/db] or rediss://)"),
        *_within_engine_limits(config.limits),
        ("limits.max_attachment_mb", 0 < config.limits.max_attachment_mb <= 500, "must be above 0 and at most 500"),
        ("limits.download_mb_in_flight", config.limits.download_mb_in_flight >= config.limits.max_attachment_mb,
         "must be at least limits.max_attachment_mb"),
        ("limits.min_octave_scale", config.limits.min_octave_scale in LIMITS["octave_scale"],
         f"must be between {LIMITS['octave_scale'].low:g} and {LIMITS['octave_scale'].high:g}"),
        ("limits.max_megapixels", 0 < config.limits.max_megapixels <= 200, "must be above 0 and at most 200"),
        ("limits.max_work", config.limits.max_work is None or config.limits.max_work > 0,
         "must be above 0 (units of work), or null for the work of a max_side square at the caps"),
        ("dream.progress_interval", config.dream.progress_interval >= 1, "must be at least 1 second"),
        ("pool.models", (problem := models_problem(config.pool.models, config.pool.weights,
                                                   config.pool.backend == "local")) is None, problem),
        ("pool.precision", config.pool.precision in CHOICES["precision"],
         "must be one of " + ", ".join(CHOICES["precision"])),
        ("dream.dm_cooldown_s", 0 <= config.dream.dm_cooldown_s <= 86_400, "must be between 0 and 86400"),
        ("dream.dm_daily_quota", config.dream.dm_daily_quota is None or config.dream.dm_daily_quota >= 1,
         "must be at least 1, or null for unlimited"),
        ("dream.recent_image_minutes", config.dream.recent_image_minutes >= 0, "must not be negative"),
        ("dream.privacy_reminder", len(config.dream.privacy_reminder) <= 500, "must be at most 500 characters"),
        ("store.path", bool(config.store.path.strip()), "must not be empty"),
        ("http.port", config.http.port is None or 0 <= config.http.port <= 65535, "must be a port number (0-65535) or null"),
        ("http.host", bool(config.http.host.strip()), "must not be empty"),
    ]
    for key, ok, message in checks:
        if not ok:
            raise ConfigError(f"config key '{key}' {message}")
