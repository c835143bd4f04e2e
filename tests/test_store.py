"""Store: opening, migrations, refusing bad files, crash durability, settings, presets, audit, quotas.

Every test uses a real SQLite file under tmp_path. Durable jobs: test_store_jobs.py.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import signal
import sqlite3
import sys
from datetime import datetime, timedelta, timezone

import pytest

from bot.moderation.guild_settings import GuildSettings
from bot.store import GUILD_TABLES, LATEST, Store, StoreError, StoredJob, cooldown_left, migrations, quota_reset_at
from tests.botkit.readonly import read_only

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUILD, OTHER, MOD = 1001, 2002, 77


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "dreambot.db"  # the folder does not exist yet


@pytest.fixture
async def store(db_path):
    store = await Store.open(db_path)
    yield store
    await store.close()


def raw(path, sql, *args):
    """Rows straight from SQLite, bypassing the Store (committed, and the connection closed)."""
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        return conn.execute(sql, args).fetchall()


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- opening and migrations ---------------------------------------------------------------

async def test_a_new_database_is_created_at_the_latest_version(store, db_path):
    assert raw(db_path, "SELECT version FROM schema_version") == [(LATEST,)]
    assert raw(db_path, "PRAGMA journal_mode") == [("wal",)]
    # Connection settings live on the Store's own connection.
    assert [tuple(r) for r in await store._db.execute_fetchall("PRAGMA synchronous")] == [(2,)]  # FULL
    assert [tuple(r) for r in await store._db.execute_fetchall("PRAGMA foreign_keys")] == [(1,)]


# The v1 schema as it shipped, written out so that changing migrations.py can't change it.
V1_SCHEMA = [
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "INSERT INTO schema_version VALUES (1)",
    "CREATE TABLE guild_settings (guild_id INTEGER PRIMARY KEY, settings TEXT NOT NULL, updated_at REAL NOT NULL)",
    "CREATE TABLE guild_presets (guild_id INTEGER NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,"
    " overrides TEXT NOT NULL, author_id INTEGER NOT NULL, updated_at REAL NOT NULL, PRIMARY KEY (guild_id, name))",
    "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, guild_id INTEGER NOT NULL, at REAL NOT NULL,"
    " actor_id INTEGER NOT NULL, action TEXT NOT NULL, key TEXT, old TEXT, new TEXT)",
]


async def test_a_v1_database_is_upgraded_and_keeps_its_data(db_path):
    db_path.parent.mkdir()
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        for statement in V1_SCHEMA:
            conn.execute(statement)
        conn.execute("INSERT INTO guild_settings VALUES (?, ?, 0)",
                     (GUILD, json.dumps({"max_side": 300, "retired_setting": True})))
        conn.execute("INSERT INTO guild_presets VALUES (?, 'calm', 'Soft', ?, ?, 0)",
                     (GUILD, json.dumps({"steps": 5}), MOD))
        conn.execute("INSERT INTO audit (guild_id, at, actor_id, action, key, old, new)"
                     " VALUES (?, 0, ?, 'set', 'max_side', 'null', '300')", (GUILD, MOD))
    async with await Store.open(db_path) as store:
        assert await store.get_guild(GUILD) == GuildSettings(max_side=300)
        assert [(p.name, p.overrides) for p in await store.list_presets(GUILD)] == [("calm", {"steps": 5})]
        assert [(e.action, e.key, e.new) for e in await store.history(GUILD)] == [("set", "max_side", 300)]
        now = datetime.now(timezone.utc)
        assert await store.record_job_start(GUILD, 5, now)  # tables of later versions exist
        assert (await store.usage(GUILD, 5, now))[0] == 1
    assert raw(db_path, "SELECT version FROM schema_version") == [(LATEST,)]


async def test_a_failed_migration_leaves_the_previous_version(db_path, monkeypatch):
    await (await Store.open(db_path)).close()

    async def broken(db):
        await db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, broken])
    monkeypatch.setattr(migrations, "LATEST", LATEST + 1)
    with pytest.raises(RuntimeError, match="migration bug"):
        await Store.open(db_path)
    assert raw(db_path, "SELECT version FROM schema_version") == [(LATEST,)]
    assert raw(db_path, "SELECT name FROM sqlite_master WHERE name = 'half_done'") == []


async def test_a_newer_database_is_refused_untouched(db_path):
    await (await Store.open(db_path)).close()
    raw(db_path, "UPDATE schema_version SET version = ?", LATEST + 1)
    before = digest(db_path)
    with pytest.raises(StoreError) as err:
        await Store.open(db_path)
    assert f"schema version {LATEST + 1}, newer than this Dreambot knows ({LATEST})" in str(err.value)
    assert "\n" not in str(err.value)
    assert digest(db_path) == before


async def test_another_programs_database_is_refused_untouched(db_path):
    db_path.parent.mkdir()
    raw(db_path, "CREATE TABLE notes (text)")
    before = digest(db_path)
    with pytest.raises(StoreError, match="not Dreambot's"):
        await Store.open(db_path)
    assert digest(db_path) == before and raw(db_path, "SELECT name FROM sqlite_master") == [("notes",)]


def _random_bytes(path):
    path.write_bytes(os.urandom(8192))


def _text_file(path):
    path.write_text("guild_id,max_side\n1,256\n")


def _truncated(path):
    """A real Store database with data, cut in half (a disk that filled up, a bad copy)."""
    async def fill():
        async with await Store.open(path) as store:
            for guild in range(200):
                await store.set_guild_value(guild, "privacy_reminder", "x" * 400, MOD)
    asyncio.run(fill())
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


@pytest.mark.parametrize("spoil", [_random_bytes, _text_file, _truncated])
def test_a_corrupt_file_is_refused_in_one_line_and_left_alone(db_path, spoil):
    db_path.parent.mkdir()
    spoil(db_path)
    before = digest(db_path)
    for _ in range(2):  # refused again: the first attempt repaired or replaced nothing
        with pytest.raises(StoreError) as err:
            asyncio.run(Store.open(db_path))
        message = str(err.value)
        assert str(db_path) in message and "\n" not in message
        assert "not a SQLite database" in message or "corrupt" in message
    assert digest(db_path) == before


async def test_a_folder_is_refused(tmp_path):
    with pytest.raises(StoreError, match="is a folder"):
        await Store.open(tmp_path)


CRASHING_WRITER = """
import asyncio, sys
from bot.store import Store

async def main():
    store = await Store.open(sys.argv[1])
    await store.set_guild_value(7, "max_side", 256, 1)
    await store.add_job(guild_id=7, channel_id=1, user_id=2, attachment_url="https://cdn/a.png",
                        filename="a.png", size=3, settings={}, job_id="acknowledged-job")
    await store.claim_delivery("acknowledged-job")
    print("acknowledged", flush=True)
    await asyncio.sleep(3600)  # killed here, never closing the store

asyncio.run(main())
"""


async def test_acknowledged_writes_survive_sigkill(db_path):
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", CRASHING_WRITER, str(db_path),
                                                cwd=REPO, stdout=asyncio.subprocess.PIPE)
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=120)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert line == b"acknowledged\n"
    assert proc.returncode == -signal.SIGKILL
    assert (db_path.parent / (db_path.name + "-wal")).exists()  # the writes sat in the WAL, uncheckpointed
    async with await Store.open(db_path) as store:
        assert (await store.get_guild(7)).max_side == 256
        assert [e.key for e in await store.history(7)] == ["max_side"]
        job = _read_job(store.path, "acknowledged-job")
        assert job is not None and job.delivered


# -- server settings, audit, reset, delete ---------------------------------------------------------

async def test_settings_round_trip_across_a_reopen(store, db_path):
    assert await store.get_guild(GUILD) == GuildSettings()
    await store.set_guild_value(GUILD, "max_side", 256, MOD)
    await store.set_guild_value(GUILD, "allowed_channels", (11, 12), MOD)
    await store.set_guild_value(GUILD, "max_strength", 0.02, MOD)
    new = await store.set_guild_value(GUILD, "enabled", False, MOD)
    expected = GuildSettings(enabled=False, max_side=256, allowed_channels=(11, 12), max_strength=0.02)
    assert new == expected
    await store.close()
    async with await Store.open(db_path) as again:
        assert await again.get_guild(GUILD) == expected
        assert await again.get_guild(OTHER) == GuildSettings()


@pytest.mark.parametrize("key, value", [("colour", "blue"), ("max_side", "256"), ("allowed_channels", [1])])
async def test_a_bad_key_or_type_writes_nothing(store, key, value):
    with pytest.raises(Exception) as err:
        await store.set_guild_value(GUILD, key, value, MOD)
    assert type(err.value).__name__ == "BadParam"
    assert await store.get_guild(GUILD) == GuildSettings()
    assert await store.history(GUILD) == []


async def test_a_change_and_its_audit_entry_land_together_or_not_at_all(store, monkeypatch):
    async def failing_audit(*args):
        raise sqlite3.OperationalError("disk I/O error")

    await store.set_guild_value(GUILD, "max_side", 512, MOD)
    monkeypatch.setattr(store, "_audit", failing_audit)  # fails after the settings row was written
    with pytest.raises(sqlite3.OperationalError):
        await store.set_guild_value(GUILD, "max_side", 256, MOD)
    monkeypatch.undo()
    assert (await store.get_guild(GUILD)).max_side == 512
    assert [e.new for e in await store.history(GUILD)] == [512]
    await store.set_guild_value(GUILD, "max_side", 300, MOD)  # the store is still usable
    assert (await store.get_guild(GUILD)).max_side == 300


async def test_history_records_who_changed_what_newest_first(store):
    before = datetime.now(timezone.utc)
    await store.set_guild_value(GUILD, "max_side", 512, MOD)
    await store.set_guild_value(GUILD, "max_side", 256, MOD + 1)
    await store.set_guild_value(GUILD, "exempt_roles", (5,), MOD)
    entries = await store.history(GUILD)
    assert [(e.actor_id, e.action, e.key, e.old, e.new) for e in entries] == [
        (MOD, "set", "exempt_roles", [], [5]),
        (MOD + 1, "set", "max_side", 512, 256),
        (MOD, "set", "max_side", None, 512),
    ]
    assert all(before - timedelta(minutes=5) <= e.when <= datetime.now(timezone.utc) for e in entries)
    assert [e.new for e in await store.history(GUILD, limit=1)] == [[5]]
    assert await store.history(OTHER) == []


async def test_reset_one_key_or_every_setting(store):
    await store.set_guild_value(GUILD, "max_side", 256, MOD)
    await store.set_guild_value(GUILD, "daily_quota", 3, MOD)
    assert await store.reset_guild(GUILD, "max_side", MOD) == GuildSettings(daily_quota=3)
    assert await store.get_guild(GUILD) == GuildSettings(daily_quota=3)
    assert await store.reset_guild(GUILD, None, MOD) == GuildSettings()
    assert await store.get_guild(GUILD) == GuildSettings()
    latest = await store.history(GUILD, limit=2)
    assert [(e.action, e.key, e.old, e.new) for e in latest] == [
        ("reset", None, {"daily_quota": 3}, None), ("reset", "max_side", 256, None)]


async def _fill(store, guild):
    now = datetime.now(timezone.utc)
    await store.set_guild_value(guild, "max_side", 256, MOD)
    await store.create_preset(guild, "calm", {"steps": 5}, "Soft", MOD)
    await store.record_job_start(guild, 5, now)
    job = await store.add_job(guild_id=guild, channel_id=1, user_id=5, attachment_url="https://cdn/a.png",
                              filename="a.png", size=3, settings={})
    await store.mark_finished(job.job_id, "done")


async def test_delete_guild_leaves_nothing_of_it_and_spares_others(store, db_path):
    await _fill(store, GUILD)
    await _fill(store, OTHER)
    await store.delete_guild(GUILD)
    assert await store.get_guild(GUILD) == GuildSettings()
    assert await store.get_guild(OTHER) == GuildSettings(max_side=256)
    tables = [name for (name,) in raw(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")
              if any(col[1] == "guild_id" for col in raw(db_path, f"PRAGMA table_info({name})"))]
    assert sorted(tables) == sorted(GUILD_TABLES)  # a new table with guild data must be listed
    for table in tables:
        assert raw(db_path, f"SELECT count(*) FROM {table} WHERE guild_id = ?", GUILD) == [(0,)], table
        assert raw(db_path, f"SELECT count(*) FROM {table} WHERE guild_id = ?", OTHER)[0][0] > 0, table


async def test_delete_guild_keeps_dreams_still_running_so_they_are_answered(store, db_path):
    """`/dreamconfig reset all` mid-dream: the dream's row stays until its one answer is posted."""
    running = await store.add_job(guild_id=GUILD, channel_id=1, user_id=5, attachment_url="https://cdn/a.png",
                                  filename="a.png", size=3, settings={})
    await store.mark_running(running.job_id)
    await store.delete_guild(GUILD)
    assert [job.job_id for job in await store.unfinished_jobs()] == [running.job_id]
    assert await store.claim_delivery(running.job_id)
    assert await store.mark_finished(running.job_id, "done")


# -- server presets ------------------------------------------------------------------------------------

async def test_presets_create_edit_list_delete(store):
    made = await store.create_preset(GUILD, "calm", {"steps": 5, "layers": "mixed3"}, "Soft", MOD)
    assert (made.name, made.description, made.overrides, made.author_id) == (
        "calm", "Soft", {"steps": 5, "layers": "mixed3"}, MOD)
    await store.create_preset(GUILD, "bold", {"step_size": 0.03}, "Strong", MOD)
    await store.create_preset(OTHER, "theirs", {}, "Not ours", MOD)
    assert [p.name for p in await store.list_presets(GUILD)] == ["bold", "calm"]

    edited = await store.create_preset(GUILD, "calm", {"steps": 8}, "Softer", MOD + 1)
    assert [(p.name, p.overrides, p.author_id) for p in await store.list_presets(GUILD)] == [
        ("bold", {"step_size": 0.03}, MOD), ("calm", {"steps": 8}, MOD + 1)]
    assert edited.description == "Softer"

    assert await store.delete_preset(GUILD, "calm", MOD) is True
    assert await store.delete_preset(GUILD, "calm", MOD) is False
    assert [p.name for p in await store.list_presets(GUILD)] == ["bold"]
    assert [p.name for p in await store.list_presets(OTHER)] == ["theirs"]
    log = [(e.action, e.key, e.old, e.new) for e in await store.history(GUILD)]
    assert log[:2] == [("preset_delete", "calm", {"description": "Softer", "steps": 8}, None),
                       ("preset_edit", "calm", {"description": "Soft", "steps": 5, "layers": "mixed3"},
                        {"description": "Softer", "steps": 8})]
    assert [a for a, *_ in log] == ["preset_delete", "preset_edit", "preset_create", "preset_create"]


# -- quotas and cooldowns --------------------------------------------------------------------------

def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


async def test_daily_quota_counts_and_resets_at_midnight_utc(store):
    for minute in range(3):
        assert await store.record_job_start(GUILD, 5, at(f"2025-03-01 23:5{minute}:00"), daily_quota=3)
    assert not await store.record_job_start(GUILD, 5, at("2025-03-01 23:59:59.999"), daily_quota=3)
    assert await store.usage(GUILD, 5, at("2025-03-01 23:59:59.999")) == (3, at("2025-03-01 23:52:00"))
    # The same member elsewhere, and another member here, have their own counts.
    assert await store.usage(OTHER, 5, at("2025-03-01 23:59")) == (0, None)
    assert await store.usage(GUILD, 6, at("2025-03-01 23:59")) == (0, None)
    # 00:00 UTC: a new day, a new quota; the last start is still known for cooldowns.
    assert await store.usage(GUILD, 5, at("2025-03-02 00:00")) == (0, at("2025-03-01 23:52:00"))
    assert await store.record_job_start(GUILD, 5, at("2025-03-02 00:00"), daily_quota=3)
    assert (await store.usage(GUILD, 5, at("2025-03-02 00:01")))[0] == 1


async def test_the_quota_day_is_utc_whatever_the_callers_zone(store):
    tokyo = timezone(timedelta(hours=9))
    # 08:00 on 2 March in Tokyo is still 1 March in UTC.
    await store.record_job_start(GUILD, 5, at("2025-03-01 22:00"))
    assert (await store.usage(GUILD, 5, datetime(2025, 3, 2, 8, 0, tzinfo=tokyo)))[0] == 1
    assert (await store.usage(GUILD, 5, datetime(2025, 3, 2, 9, 0, tzinfo=tokyo)))[0] == 0


def test_quota_reset_at_is_the_next_midnight_utc():
    assert quota_reset_at(at("2025-03-01 13:45")) == at("2025-03-02 00:00")
    assert quota_reset_at(at("2025-03-02 00:00")) == at("2025-03-03 00:00")
    assert quota_reset_at(at("2024-12-31 23:59:59")) == at("2025-01-01 00:00")
    assert quota_reset_at(datetime(2025, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=9)))) == at("2025-03-02 00:00")
    with pytest.raises(ValueError, match="no time zone"):
        quota_reset_at(datetime(2025, 3, 1, 12, 0))


async def test_cooldown_between_a_members_jobs(store):
    start = at("2025-03-01 12:00:00")
    assert await store.record_job_start(GUILD, 5, start, cooldown_s=60)
    assert not await store.record_job_start(GUILD, 5, start + timedelta(seconds=59), cooldown_s=60)
    assert await store.record_job_start(GUILD, 6, start + timedelta(seconds=1), cooldown_s=60)  # others unaffected
    assert await store.record_job_start(GUILD, 5, start + timedelta(seconds=60), cooldown_s=60)
    assert await store.usage(GUILD, 5, start) == (2, start + timedelta(seconds=60))


async def test_exempt_members_pass_no_limits_and_are_still_counted(store):
    start = at("2025-03-01 12:00:00")
    assert await store.record_job_start(GUILD, 5, start, daily_quota=1, cooldown_s=600)
    assert await store.record_job_start(GUILD, 5, start)  # an exempt member: no limits given
    assert (await store.usage(GUILD, 5, start))[0] == 2


def test_cooldown_left():
    start = at("2025-03-01 12:00:00")
    assert cooldown_left(60, start, start + timedelta(seconds=15)) == 45
    assert cooldown_left(60, start, start + timedelta(minutes=5)) == 0
    assert cooldown_left(60, None, start) == 0
    assert cooldown_left(0, start, start) == 0


def _read_job(path, job_id: str) -> StoredJob:
    """The job as the file holds it, read with a second connection, as an operator's sqlite3 would."""
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return StoredJob.from_row(db.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone())


async def test_a_read_only_database_is_refused_with_one_line(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    async with await Store.open(folder / "dreambot.db"):
        pass
    with read_only(folder), pytest.raises(StoreError) as err:
        await Store.open(folder / "dreambot.db")
    assert "read-only" in str(err.value) and "\n" not in str(err.value)
