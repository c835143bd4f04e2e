"""`Store`: every read and write of Dreambot's SQLite database, as async methods.

Every write is one transaction: a settings change and its audit entry land together
or not at all. Times are stored as UTC epoch seconds and handed out as aware datetimes.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import aiosqlite

from dreaming.errors import BadParam
from dreaming.jobs import FINAL, LIVE

from bot.moderation.guild_settings import DEFAULTS, SETTINGS, GuildSettings
from bot.store.connection import Database
from bot.store.jobs import StoredJob
from bot.store.quotas import cooldown_left, quota_day, utc

log = logging.getLogger(__name__)

#: every table that holds a server's data; `delete_guild` empties them all for that server
GUILD_TABLES = ("guild_settings", "guild_presets", "audit", "usage", "jobs")


@dataclass(frozen=True)
class AuditEntry:
    """One change a moderator made. `old`/`new` are JSON values (lists for tuples)."""

    when: datetime
    actor_id: int
    action: str  #: "set", "reset", "preset_create", "preset_edit" or "preset_delete"
    key: str | None  #: the setting or preset name; None for "reset" of every setting
    old: object
    new: object


@dataclass(frozen=True)
class ServerPreset:
    """A preset a server's moderators made: raw `DreamParams` overrides, as typed."""

    name: str
    description: str
    overrides: dict
    author_id: int
    updated_at: datetime


class Store(Database):
    """Server settings, presets, audit log, quotas and durable jobs, in one SQLite file.

    `store = await Store.open(path)` ... `await store.close()`, or
    `async with await Store.open(path) as store:`.

    The private helpers at the bottom run inside a caller's lock or transaction.
    """

    # -- server settings --------------------------------------------------------

    async def get_guild(self, guild_id: int) -> GuildSettings:
        """The server's settings; defaults if it never changed any."""
        async with self._lock:
            return await self._guild(guild_id)

    async def set_guild_value(self, guild_id: int, key: str, value: object, actor_id: int) -> GuildSettings:
        """Set one setting (a value from `parse_setting`) and log it; returns the new settings."""
        if key not in SETTINGS:
            raise BadParam(key, value, "unknown setting")
        async with self._transaction():
            old = await self._guild(guild_id)
            new = old.replace(**{key: value})  # checks the type
            await self._save(guild_id, new)
            await self._audit(guild_id, actor_id, "set", key, getattr(old, key), value)
        return new

    async def reset_guild(self, guild_id: int, key: str | None, actor_id: int) -> GuildSettings:
        """Put one setting (or, with `key=None`, every setting) back to its default, and log it.

        Presets and the audit log stay; `delete_guild` removes everything.
        """
        if key is not None and key not in SETTINGS:
            raise BadParam(key, None, "unknown setting")
        async with self._transaction():
            old = await self._guild(guild_id)
            new = GuildSettings() if key is None else old.replace(**{key: DEFAULTS[key]})
            await self._save(guild_id, new)
            before = old.to_dict() if key is None else getattr(old, key)
            await self._audit(guild_id, actor_id, "reset", key, before, None if key is None else DEFAULTS[key])
        return new

    async def delete_guild(self, guild_id: int) -> None:
        """Remove everything kept about a server: the bot left it, or `/dreamconfig reset all`.

        Dreams still queued or running stay until they are answered (the answer needs their
        row: exactly-once delivery); the periodic prune removes them after that.
        """
        async with self._transaction() as db:
            for table in GUILD_TABLES:
                live = f" AND status NOT IN {_in(LIVE)}" if table == "jobs" else ""
                await db.execute(f"DELETE FROM {table} WHERE guild_id = ?{live}", (guild_id,))
        log.info("deleted all data of guild %s", guild_id)

    # -- server presets ---------------------------------------------------------

    async def create_preset(self, guild_id: int, name: str, overrides: Mapping[str, object],
                            description: str, actor_id: int) -> ServerPreset:
        """Create the server preset `name`, or replace it whole if it exists; logged.

        The caller checks name and overrides (as `dreaming.presets` checks preset files).
        """
        now = time.time()
        body = json.dumps(dict(overrides))
        async with self._transaction() as db:
            old = await self._preset(guild_id, name)
            await db.execute(
                "INSERT INTO guild_presets VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, name) DO UPDATE"
                " SET description = excluded.description, overrides = excluded.overrides,"
                " author_id = excluded.author_id, updated_at = excluded.updated_at",
                (guild_id, name, description, body, actor_id, now))
            new = {"description": description, **json.loads(body)}
            await self._audit(guild_id, actor_id, "preset_edit" if old else "preset_create", name, old, new)
        return ServerPreset(name, description, json.loads(body), actor_id, _when(now))

    async def delete_preset(self, guild_id: int, name: str, actor_id: int) -> bool:
        """Delete a server preset; False if there was none by that name."""
        async with self._transaction() as db:
            old = await self._preset(guild_id, name)
            if old is None:
                return False
            await db.execute("DELETE FROM guild_presets WHERE guild_id = ? AND name = ?", (guild_id, name))
            await self._audit(guild_id, actor_id, "preset_delete", name, old, None)
        return True

    async def list_presets(self, guild_id: int) -> list[ServerPreset]:
        """The server's presets, by name."""
        rows = await self._fetch("SELECT * FROM guild_presets WHERE guild_id = ? ORDER BY name", guild_id)
        return [ServerPreset(r["name"], r["description"], json.loads(r["overrides"]), r["author_id"],
                             _when(r["updated_at"])) for r in rows]

    async def history(self, guild_id: int, limit: int = 20) -> list[AuditEntry]:
        """The server's latest changes, newest first."""
        rows = await self._fetch("SELECT * FROM audit WHERE guild_id = ? ORDER BY id DESC LIMIT ?",
                                 guild_id, limit)
        return [AuditEntry(_when(r["at"]), r["actor_id"], r["action"], r["key"], _load(r["old"]),
                           _load(r["new"])) for r in rows]

    # -- quotas and cooldowns ---------------------------------------------------

    async def record_job_start(self, guild_id: int, user_id: int, now: datetime, *,
                               daily_quota: int | None = None, cooldown_s: float = 0.0) -> bool:
        """Count a job against the member's day; False (nothing counted) if quota or cooldown forbid it.

        Check and count are one transaction, so two quick requests can't both slip through.
        Leave the limits out for exempt members.
        """
        day, stamp = quota_day(now), utc(now).timestamp()
        async with self._transaction() as db:
            used, last = await self._usage(guild_id, user_id, day)
            if daily_quota is not None and used >= daily_quota or cooldown_left(cooldown_s, last, now) > 0:
                return False
            await db.execute(
                "INSERT INTO usage VALUES (?, ?, ?, 1, ?) ON CONFLICT (guild_id, user_id) DO UPDATE"
                " SET used = CASE WHEN day = excluded.day THEN used + 1 ELSE 1 END,"
                " day = excluded.day, last_start = excluded.last_start",
                (guild_id, user_id, day, stamp))
        return True

    async def usage(self, guild_id: int, user_id: int, now: datetime) -> tuple[int, datetime | None]:
        """(jobs the member started on `now`'s UTC day, when they last started one)."""
        async with self._lock:
            return await self._usage(guild_id, user_id, quota_day(now))

    # -- durable jobs -----------------------------------------------------------

    async def add_job(self, *, guild_id: int | None, channel_id: int, user_id: int, attachment_url: str,
                      filename: str, size: int, settings: Mapping[str, object],
                      message_id: int | None = None,
                      interaction_created_at: datetime | None = None,
                      job_id: str | None = None) -> StoredJob:
        """Record an accepted job as queued; await it before telling the user it was accepted."""
        now = time.time()
        job_id = job_id or uuid.uuid4().hex
        created = utc(interaction_created_at).timestamp() if interaction_created_at else None
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO jobs (job_id, guild_id, channel_id, user_id, message_id,"
                " interaction_created_at, attachment_url, filename, size, settings, status, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
                (job_id, guild_id, channel_id, user_id, message_id, created,
                 attachment_url, filename, size, json.dumps(dict(settings)), now, now))
            return await self._job(job_id)

    async def mark_running(self, job_id: str) -> bool:
        """A worker took the job: count the attempt. False unless it was queued."""
        async with self._transaction():
            return await self._update(job_id, "status = 'running', attempts = attempts + 1",
                                      "status = 'queued'")

    async def mark_paused(self, job_id: str) -> bool:
        """A graceful shutdown keeps the job for the next start; a start it had is not counted
        (deploys must not use up a dream's attempts). False if it was not live."""
        async with self._transaction():
            return await self._update(
                job_id, "attempts = attempts - (status = 'running'), status = 'paused'",
                f"status IN {_in(LIVE)}")

    async def mark_resumed(self, job_id: str) -> bool:
        """Startup recovery hands the job back to the pool: it is queued again, and a job the
        bot died with while queued counts one more resume (see `MAX_RESUMES`)."""
        async with self._transaction():
            return await self._update(
                job_id, "resumes = resumes + (status = 'queued'), status = 'queued'",
                f"status IN {_in(LIVE)}")

    async def mark_finished(self, job_id: str, status: str, result_message_id: int | None = None) -> bool:
        """Record how an unfinished job ended. False if it was not unfinished."""
        if status not in FINAL:
            raise ValueError(f"{status!r} is not a final status ({', '.join(FINAL)})")
        async with self._transaction():
            return await self._update(job_id, "status = ?, result_message_id = ?",
                                      f"status IN {_in(LIVE)}", status, result_message_id)

    async def claim_delivery(self, job_id: str) -> bool:
        """True for exactly one caller per job, ever: only that caller may post the job's answer."""
        async with self._transaction():
            return await self._update(job_id, "delivered = 1", "delivered = 0")

    async def unfinished_jobs(self) -> list[StoredJob]:
        """Jobs that were queued or running, oldest first: what startup recovery looks at."""
        rows = await self._fetch(f"SELECT * FROM jobs WHERE status IN {_in(LIVE)} ORDER BY created_at, rowid")
        return [StoredJob.from_row(row) for row in rows]

    async def prune_jobs(self, before: datetime) -> int:
        """Delete finished jobs last updated before `before`; returns how many."""
        async with self._transaction() as db:
            cursor = await db.execute(f"DELETE FROM jobs WHERE status IN {_in(FINAL)} AND updated_at < ?",
                                      (utc(before).timestamp(),))
            return cursor.rowcount

    # -- helpers ----------------------------------------------------------------

    async def _guild(self, guild_id: int) -> GuildSettings:
        rows = await self._db.execute_fetchall("SELECT settings FROM guild_settings WHERE guild_id = ?",
                                               (guild_id,))
        return GuildSettings.from_dict(json.loads(rows[0][0])) if rows else GuildSettings()

    async def _save(self, guild_id: int, settings: GuildSettings) -> None:
        await self._db.execute(
            "INSERT INTO guild_settings VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE"
            " SET settings = excluded.settings, updated_at = excluded.updated_at",
            (guild_id, json.dumps(settings.to_dict()), time.time()))

    async def _audit(self, guild_id: int, actor_id: int, action: str, key: str | None,
                     old: object, new: object) -> None:
        await self._db.execute(
            "INSERT INTO audit (guild_id, at, actor_id, action, key, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (guild_id, time.time(), actor_id, action, key, json.dumps(old), json.dumps(new)))

    async def _preset(self, guild_id: int, name: str) -> dict | None:
        """A preset as the audit log shows it: its description and overrides in one dict."""
        rows = await self._db.execute_fetchall(
            "SELECT description, overrides FROM guild_presets WHERE guild_id = ? AND name = ?", (guild_id, name))
        return {"description": rows[0][0], **json.loads(rows[0][1])} if rows else None

    async def _usage(self, guild_id: int, user_id: int, day: str) -> tuple[int, datetime | None]:
        rows = await self._db.execute_fetchall(
            "SELECT day, used, last_start FROM usage WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
        if not rows:
            return 0, None
        row = rows[0]
        return (row["used"] if row["day"] == day else 0), _when(row["last_start"])

    async def _job(self, job_id: str) -> StoredJob | None:
        rows = await self._db.execute_fetchall("SELECT * FROM jobs WHERE job_id = ?", (job_id,))
        return StoredJob.from_row(rows[0]) if rows else None

    async def _update(self, job_id: str, changes: str, condition: str, *args: object) -> bool:
        """One compare-and-set on a job row: applies `changes` only where `condition` holds."""
        cursor = await self._db.execute(f"UPDATE jobs SET {changes}, updated_at = ? WHERE job_id = ? AND {condition}",
                                        (*args, time.time(), job_id))
        return cursor.rowcount == 1


def _in(statuses: tuple[str, ...]) -> str:
    """An SQL list of our own status constants (never user input)."""
    return "(" + ", ".join(f"'{status}'" for status in statuses) + ")"


def _when(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, timezone.utc)


def _load(text: str | None) -> object:
    return None if text is None else json.loads(text)
