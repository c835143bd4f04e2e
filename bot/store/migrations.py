"""Opening the database safely, and its schema as numbered migrations.

`MIGRATIONS[n - 1]` takes the schema from version n-1 to n. `prepare` runs the missing
ones in order, each in its own transaction together with the bump of the single
`schema_version` row, so a crash mid-upgrade leaves the previous version intact.
Add a migration by appending a function; never edit one that has shipped.

A file we can't trust is refused, never wiped: not SQLite, corrupt, someone else's
database, or a schema newer than this code. Checks that only read come before
anything that writes (WAL mode changes the file header).
"""
from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

_HEADER = b"SQLite format 3\x00"


class StoreError(Exception):
    """The database can't be used as it is; one line that says what to do."""


async def _v1_settings(db: aiosqlite.Connection) -> None:
    """Moderator settings (JSON of the fields that differ from defaults), presets, audit log."""
    await db.execute("CREATE TABLE guild_settings (guild_id INTEGER PRIMARY KEY,"
                     " settings TEXT NOT NULL, updated_at REAL NOT NULL)")
    await db.execute("CREATE TABLE guild_presets (guild_id INTEGER NOT NULL, name TEXT NOT NULL,"
                     " description TEXT NOT NULL, overrides TEXT NOT NULL, author_id INTEGER NOT NULL,"
                     " updated_at REAL NOT NULL, PRIMARY KEY (guild_id, name))")
    await db.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                     " guild_id INTEGER NOT NULL, at REAL NOT NULL, actor_id INTEGER NOT NULL,"
                     " action TEXT NOT NULL, key TEXT, old TEXT, new TEXT)")
    await db.execute("CREATE INDEX audit_by_guild ON audit (guild_id, id)")


async def _v2_usage_and_jobs(db: aiosqlite.Connection) -> None:
    """Per-user daily counts for quotas and cooldowns; accepted jobs, so they survive restarts."""
    await db.execute("CREATE TABLE usage (guild_id INTEGER NOT NULL, user_id INTEGER NOT NULL,"
                     " day TEXT NOT NULL, used INTEGER NOT NULL, last_start REAL NOT NULL,"
                     " PRIMARY KEY (guild_id, user_id))")
    await db.execute(
        "CREATE TABLE jobs (job_id TEXT PRIMARY KEY, guild_id INTEGER, channel_id INTEGER NOT NULL,"
        " user_id INTEGER NOT NULL, message_id INTEGER, interaction_token TEXT,"
        " interaction_created_at REAL, attachment_url TEXT NOT NULL, filename TEXT NOT NULL,"
        " size INTEGER NOT NULL, settings TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN"
        " ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),"
        " attempts INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0,"
        " result_message_id INTEGER, created_at REAL NOT NULL, updated_at REAL NOT NULL)")
    await db.execute("CREATE INDEX jobs_by_status ON jobs (status, created_at)")
    await db.execute("CREATE INDEX jobs_by_guild ON jobs (guild_id)")


#: the job statuses schema 3 allows: `dreaming.jobs.JobStatus` as of that schema (a test
#: checks they still match; a new status needs a new migration)
V3_STATUSES = ("queued", "running", "paused", "done", "cancelled", "timed_out", "crashed",
               "interrupted", "busy", "refused", "failed")


async def _v3_one_status_vocabulary(db: aiosqlite.Connection) -> None:
    """Jobs take every `JobStatus` (paused, timed_out, crashed, busy, refused join), count
    how often they were resumed after an unclean stop (`resumes`), and lose the
    `interaction_token` column, which no version ever filled in."""
    allowed = ", ".join(f"'{status}'" for status in V3_STATUSES)
    await db.execute(
        "CREATE TABLE jobs_v3 (job_id TEXT PRIMARY KEY, guild_id INTEGER, channel_id INTEGER NOT NULL,"
        " user_id INTEGER NOT NULL, message_id INTEGER,"
        " interaction_created_at REAL, attachment_url TEXT NOT NULL, filename TEXT NOT NULL,"
        f" size INTEGER NOT NULL, settings TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ({allowed})),"
        " attempts INTEGER NOT NULL DEFAULT 0, resumes INTEGER NOT NULL DEFAULT 0,"
        " delivered INTEGER NOT NULL DEFAULT 0,"
        " result_message_id INTEGER, created_at REAL NOT NULL, updated_at REAL NOT NULL)")
    columns = ("job_id, guild_id, channel_id, user_id, message_id, interaction_created_at, attachment_url,"
               " filename, size, settings, status, attempts, delivered, result_message_id, created_at, updated_at")
    await db.execute(f"INSERT INTO jobs_v3 ({columns}) SELECT {columns} FROM jobs")
    await db.execute("DROP TABLE jobs")
    await db.execute("ALTER TABLE jobs_v3 RENAME TO jobs")
    await db.execute("CREATE INDEX jobs_by_status ON jobs (status, created_at)")
    await db.execute("CREATE INDEX jobs_by_guild ON jobs (guild_id)")


MIGRATIONS: list[Callable[[aiosqlite.Connection], Awaitable[None]]] = [
    _v1_settings,
    _v2_usage_and_jobs,
    _v3_one_status_vocabulary,
]
LATEST = len(MIGRATIONS)


def check_file(path: Path) -> None:
    """Refuse a path that is a folder, a file that does not start like a SQLite database, or
    one the bot can't write (the WAL journal also needs its folder writable)."""
    if path.is_dir():
        raise StoreError(f"database path {path} is a folder; give a file path")
    folder = path.parent
    if (path.exists() and not os.access(path, os.W_OK)) or (folder.is_dir() and not os.access(folder, os.W_OK)):
        raise StoreError(f"database {path} is read-only (the bot keeps settings and dreams there): "
                         "make the file and its folder writable, or set store.path elsewhere")
    try:
        with path.open("rb") as file:
            header = file.read(len(_HEADER))
    except FileNotFoundError:
        return  # a new database
    except OSError as err:
        raise StoreError(f"can't read database {path}: {err.strerror or err}") from None
    if header and header != _HEADER:
        raise StoreError(f"{path} is not a SQLite database; refusing to touch it "
                         "(check database path, or move the file away)")


async def prepare(db: aiosqlite.Connection, path: Path) -> int:
    """Check `db`, set it up for durable writes and migrate it; returns its schema version."""
    await db.execute("PRAGMA busy_timeout = 10000")  # another process may hold the write lock
    await db.execute("PRAGMA foreign_keys = ON")
    try:
        check = [row[0] for row in await db.execute_fetchall("PRAGMA quick_check")]
        version = await _version(db, path)
    except sqlite3.DatabaseError as err:
        raise StoreError(f"{path} is corrupt or not a SQLite database ({err}); refusing to open it "
                         "(restore a backup, or move the file away to start afresh)") from None
    if check != ["ok"]:
        raise StoreError(f"{path} is corrupt ({check[0]}); refusing to open it "
                         "(restore a backup, or move the file away to start afresh)")
    if version > LATEST:
        raise StoreError(f"{path} has schema version {version}, newer than this Dreambot knows "
                         f"({LATEST}); upgrade Dreambot or use another database file")
    mode = (await db.execute_fetchall("PRAGMA journal_mode = WAL"))[0][0]
    if mode != "wal":
        log.warning("database %s stays in %s journal mode (WAL unsupported here)", path, mode)
    # FULL: a commit returns only once it is on disk, so an acknowledged write survives a crash.
    await db.execute("PRAGMA synchronous = FULL")
    for target in range(version + 1, LATEST + 1):
        await _migrate(db, path, target)
    return LATEST


async def _version(db: aiosqlite.Connection, path: Path) -> int:
    """The schema version: 0 for an empty database; refuses one with tables but no version."""
    tables = {row[0] for row in await db.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" not in tables:
        if tables:
            raise StoreError(f"{path} is a SQLite database but not Dreambot's (no schema_version); "
                             "refusing to change it (check database path)")
        return 0
    rows = await db.execute_fetchall("SELECT version FROM schema_version")
    if len(rows) != 1 or not isinstance(rows[0][0], int):
        raise StoreError(f"{path} has a damaged schema_version table; refusing to open it")
    return rows[0][0]


async def _migrate(db: aiosqlite.Connection, path: Path, target: int) -> None:
    """Run migration `target` and record it, in one transaction."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated meanwhile.
        current = await _version(db, path)
        if current < target:
            if current == 0:
                await db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                await db.execute("INSERT INTO schema_version VALUES (0)")
            await MIGRATIONS[target - 1](db)
            await db.execute("UPDATE schema_version SET version = ?", (target,))
            log.info("database %s: migrated to schema version %d", path, target)
        await db.execute("COMMIT")
    except BaseException:
        await db.execute("ROLLBACK")
        raise
