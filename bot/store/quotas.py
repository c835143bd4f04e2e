"""When a daily quota resets, and how long a cooldown has left: pure functions of time.

The quota day is the UTC calendar day: every member of every server gets a fresh
quota at 00:00 UTC. One fixed instant is simple to explain ("resets at 00:00 UTC,
in 3 h 12 min") and can't be gamed by changing one's own time zone; servers whose
members share a time zone see it reset at the same local hour every day.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone


def quota_reset_at(now: datetime) -> datetime:
    """The next 00:00 UTC after `now` (an aware datetime): when daily quotas start again."""
    return datetime.combine(utc(now).date() + timedelta(days=1), datetime.min.time(), timezone.utc)


def quota_day(now: datetime) -> str:
    """The quota day `now` falls in, as `YYYY-MM-DD` (UTC)."""
    return utc(now).date().isoformat()


def cooldown_left(cooldown_s: float, last_start: datetime | None, now: datetime) -> float:
    """Seconds until a member who last started a job at `last_start` may start another."""
    if last_start is None or cooldown_s <= 0:
        return 0.0
    return max(0.0, cooldown_s - (utc(now) - utc(last_start)).total_seconds())


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; naive datetimes are refused, as their zone would be a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; use datetime.now(timezone.utc)")
    return moment.astimezone(timezone.utc)
