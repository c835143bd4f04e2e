"""A dream request against its server's rules, in the order they apply.

1. The bot is on in this server, and the channel is allowed: checked before anything
   is deferred, so that a slash command's notice can be ephemeral.
2. Presets: built-in and operator ones, then the server's own, narrowed to the
   server's allowed presets; caps: the lower of operator and server, per field.
3. After settings are resolved: allowed layers, pending jobs, cooldown and daily
   quota. The quota is counted last, once the request is known to be good, in one
   transaction with its check (`Store.record_job_start`).
4. Once the image is decoded (its shape known): the dream's work (`dreaming.cost`) within
   the operator's bound, the size lowered where it isn't (`check_work`).

In direct messages the operator's `dream.allow_dms`, cooldown and daily quota apply (no
server sets anything there). Exempt roles skip 3's cooldown and quota, never the caps.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from collections.abc import Mapping

import discord

from dreaming import cost
from dreaming.errors import DreamError, UserLimit
from dreaming.params import Clamp, DreamParams
from dreaming.presets import Preset, make_preset

from bot.dream import messages
from bot.config import Config
from bot.errors import CoolingDown, DailyQuotaUsed, LayerNotAllowed, ServerRule
from bot.moderation.guild_settings import GuildSettings
from bot.store import Store, cooldown_left, quota_reset_at

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    """Where a request comes from: server (None in DMs), channel, and the member's roles."""

    guild_id: int | None
    channel_id: int
    role_ids: frozenset[int] = frozenset()
    parent_id: int | None = None  #: the channel a thread (or forum post) belongs to

    @classmethod
    def of(cls, user: discord.abc.User, channel_id: int, parent_id: int | None = None) -> Origin:
        guild = getattr(user, "guild", None)  # a Member in a server, a User in DMs
        roles = frozenset(role.id for role in getattr(user, "roles", ()))
        return cls(guild.id if guild else None, channel_id, roles, parent_id)


@dataclass(frozen=True)
class Refusal:
    """Why a request is not taken here; `silent`: say nothing (a prefix command outside the allowed channels)."""

    text: str
    silent: bool = False


def invoker_refusal(permissions: discord.Permissions, *, in_thread: bool, posts_file: bool) -> Refusal | None:
    """What the member may not have the bot do for them here: post (Send Messages, or Send
    Messages in Threads) and, for an image they give, Attach Files. None if they may.

    `permissions` are the member's in this channel, overwrites included (an interaction
    carries them resolved); the bot posts on their behalf, so it asks what they could post.
    """
    may_send = permissions.send_messages_in_threads if in_thread else permissions.send_messages
    if not may_send:
        return Refusal(messages.YOU_CANNOT_POST)
    if posts_file and not permissions.attach_files:
        return Refusal(messages.YOU_CANNOT_ATTACH)
    return None


#: the usage rows of direct messages: no server, so one allowance per member
DM_USAGE = 0


async def settings_for(store: Store, guild_id: int | None, dms: GuildSettings) -> GuildSettings:
    """The server's settings; in direct messages `dms`, the operator's (`Config.dm_settings`)."""
    return dms if guild_id is None else await store.get_guild(guild_id)


def refusal(settings: GuildSettings, origin: Origin) -> Refusal | None:
    """Step 1: None if the bot may dream in this channel (or a thread of an allowed one),
    else what to answer."""
    if not settings.enabled:
        return Refusal(messages.DISABLED if origin.guild_id is not None else messages.NO_DMS)
    if not settings.channel_allowed(origin.channel_id, origin.parent_id):
        return Refusal(messages.outside_channels(settings.allowed_channels),
                       silent=settings.outside_channel_reply == "silent")
    return None


async def presets_for(store: Store, bot_presets: Mapping[str, Preset], guild_id: int | None,
                      settings: GuildSettings | None = None) -> dict[str, Preset]:
    """The presets members may use here: the bot's, then the server's, narrowed to the allowed ones."""
    presets = dict(bot_presets)
    if guild_id is not None:
        for stored in await store.list_presets(guild_id):
            try:
                presets[stored.name] = make_preset(stored.name, {"description": stored.description,
                                                                 **stored.overrides},
                                                   f"server preset '{stored.name}'")
            except DreamError as err:  # a preset an older version accepted: skip it, don't fail dreams
                log.warning("guild %s: skipping server preset %r: %s", guild_id, stored.name, err)
    settings = settings or (GuildSettings() if guild_id is None else await store.get_guild(guild_id))
    if settings.allowed_presets:
        presets = {name: p for name, p in presets.items() if name in settings.allowed_presets}
    return presets


def default_preset(wanted: str, presets: Mapping[str, Preset]) -> str:
    """The operator's default preset `wanted`, or the first allowed one where the server excluded it."""
    return wanted if wanted in presets or not presets else next(iter(presets))


def check_request(settings: GuildSettings, params: DreamParams, pending: int, per_user: int) -> None:
    """Step 3 before the download: layers, and the member's jobs already waiting or running
    (`per_user`: the operator's bound, which the server may only lower)."""
    if settings.allowed_layers:
        for term in params.layers:
            if term.layer not in settings.allowed_layers:
                raise LayerNotAllowed(term.requested or term.layer, settings.allowed_layers)
    limit = min(per_user, settings.per_user_pending or per_user)
    if pending >= limit:
        raise UserLimit(limit)


def check_work(image_size: tuple[int, int], params: DreamParams, config: Config
               ) -> tuple[DreamParams, cost.Work, list[Clamp]]:
    """Step 4: the params to queue for an image of `image_size` (height, width, as decoded),
    their work, and the size clamp (if any) that brings the work within the bound of a
    `max_side` square at the operator's caps, or `limits.max_work` if lower.
    Raises `TooMuchWork` when not even the smallest size fits."""
    limit = cost.bound(config.caps, config.floors, config.limits.max_work)
    params, work, clamp = cost.fit(image_size, params, limit)
    return params, work, [clamp] if clamp else []


async def check_limits(store: Store, settings: GuildSettings, origin: Origin, user_id: int) -> None:
    """Cooldown and quota, read only: refuse early, before the image is downloaded."""
    if _exempt(settings, origin):
        return
    now = datetime.now(timezone.utc)
    used, last = await store.usage(_usage_key(origin), user_id, now)
    if (error := _limit_error(settings, used, last, now)) is not None:
        raise error


async def count_start(store: Store, settings: GuildSettings, origin: Origin, user_id: int) -> None:
    """Count the job against the member's day, or raise `CoolingDown` / `DailyQuotaUsed`."""
    if _exempt(settings, origin):
        return
    now = datetime.now(timezone.utc)
    if await store.record_job_start(_usage_key(origin), user_id, now, daily_quota=settings.daily_quota,
                                    cooldown_s=settings.cooldown_s):
        return
    used, last = await store.usage(_usage_key(origin), user_id, now)
    raise _limit_error(settings, used, last, now) or CoolingDown(1.0)  # a start raced in between


async def quota_text(store: Store, settings: GuildSettings, origin: Origin, user_id: int) -> str:
    """What `/dream-quota` says: used today, the limit, when it resets, cooldown left."""
    if _exempt(settings, origin):
        return messages.QUOTA_EXEMPT
    now = datetime.now(timezone.utc)
    used, last = await store.usage(_usage_key(origin), user_id, now)
    return messages.quota(used, settings.daily_quota, quota_reset_at(now),
                          cooldown_left(settings.cooldown_s, last, now))


def _exempt(settings: GuildSettings, origin: Origin) -> bool:
    return settings.exempt(origin.role_ids)


def _usage_key(origin: Origin) -> int:
    return DM_USAGE if origin.guild_id is None else origin.guild_id


def _limit_error(settings: GuildSettings, used: int, last: datetime | None, now: datetime) -> ServerRule | None:
    if settings.daily_quota is not None and used >= settings.daily_quota:
        return DailyQuotaUsed(settings.daily_quota, quota_reset_at(now))
    left = cooldown_left(settings.cooldown_s, last, now)
    return CoolingDown(left) if left > 0 else None
