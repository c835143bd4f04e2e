"""Durable jobs: lifecycle, at-most-once delivery, startup recovery, and the stored settings codec."""
from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import datetime, timedelta, timezone

import aiosqlite
import pytest

from bot.store import Store, StoredJob, migrations, params_from_dict, params_to_dict, recovery_action
from bot.store.jobs import MAX_RESUMES
from dreaming.errors import BadParam
from dreaming.jobs import JobStatus
from dreaming.layers import parse_layer_spec
from dreaming.params import DreamParams

GUILD = 1001


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "dreambot.db"


@pytest.fixture
async def store(db_path):
    store = await Store.open(db_path)
    yield store
    await store.close()


async def stored_job(store: Store, job_id: str) -> StoredJob | None:
    """The job as the file holds it, read with a second connection, as an operator's sqlite3 would."""
    with sqlite3.connect(store.path) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    return None if row is None else StoredJob.from_row(row)


async def add(store, job_id: str, **fields):
    values = dict(guild_id=GUILD, channel_id=10, user_id=20, attachment_url="https://cdn/a.png",
                  filename="a.png", size=1234, settings={"steps": 5})
    return await store.add_job(job_id=job_id, **{**values, **fields})


async def test_a_job_keeps_every_field_across_a_reopen(store, db_path):
    asked = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
    job = await store.add_job(guild_id=GUILD, channel_id=10, user_id=20, message_id=30,
                              interaction_created_at=asked,
                              attachment_url="https://cdn/cat.png?sig=abc", filename="cat.png", size=4321,
                              settings=params_to_dict(DreamParams(seed=7)))
    assert len(job.job_id) == 32 and job.status == "queued" and job.attempts == 0 and not job.delivered
    assert "sig=abc" not in repr(job)  # signed links never reach the logs
    await store.close()
    async with await Store.open(db_path) as again:
        stored = await stored_job(again, job.job_id)
    assert stored == job
    assert (stored.message_id, stored.interaction_created_at) == (30, asked)
    assert params_from_dict(stored.settings) == DreamParams(seed=7)
    assert stored.guild_id == GUILD and stored.created_at == stored.updated_at


async def test_a_job_in_direct_messages_has_no_guild(store):
    assert (await add(store, "dm", guild_id=None)).guild_id is None


async def test_lifecycle_queued_running_done(store):
    await add(store, "j")
    assert await store.mark_running("j")
    running = await stored_job(store, "j")
    assert (running.status, running.attempts) == ("running", 1)
    assert await store.mark_finished("j", "done", result_message_id=99)
    done = await stored_job(store, "j")
    assert (done.status, done.result_message_id) == ("done", 99)
    assert done.updated_at >= running.updated_at
    # A final job stays final.
    assert not await store.mark_running("j")
    assert not await store.mark_finished("j", "failed")
    assert (await stored_job(store, "j")).status == "done"
    assert await store.unfinished_jobs() == []


async def test_unknown_jobs_and_statuses(store):
    assert await stored_job(store, "nope") is None
    assert not await store.mark_running("nope")
    assert not await store.claim_delivery("nope")
    await add(store, "j")
    with pytest.raises(ValueError, match="not a final status"):
        await store.mark_finished("j", "running")


@pytest.mark.parametrize("status", ["failed", "cancelled", "interrupted"])
async def test_other_endings(store, status):
    await add(store, "j")
    assert await store.mark_finished("j", status)  # straight from queued: cancelled, or a bad image
    assert (await stored_job(store, "j")).status == status


async def test_delivery_is_claimed_once_by_concurrent_claimers(store):
    await add(store, "j")
    results = await asyncio.gather(*(store.claim_delivery("j") for _ in range(10)))
    assert sorted(results) == [False] * 9 + [True]


async def test_delivery_is_claimed_once_across_two_connections(store, db_path):
    await add(store, "j")
    async with await Store.open(db_path) as other:  # e.g. an old bot process still shutting down
        results = await asyncio.gather(store.claim_delivery("j"), other.claim_delivery("j"),
                                       store.claim_delivery("j"), other.claim_delivery("j"))
    assert sorted(results) == [False, False, False, True]


async def test_delivery_is_not_claimed_again_after_a_reopen(store, db_path):
    await add(store, "j")
    assert await store.claim_delivery("j")
    await store.close()
    async with await Store.open(db_path) as again:
        assert not await again.claim_delivery("j")
        assert (await stored_job(again, "j")).delivered


async def test_startup_recovery_after_a_restart(store, db_path):
    await add(store, "never-ran")
    await add(store, "ran-once")
    await store.mark_running("ran-once")
    await add(store, "ran-twice")
    await store.mark_running("ran-twice")
    await store.mark_resumed("ran-twice")  # the first restart handed it back ...
    await store.mark_running("ran-twice")  # ... and a worker took it again
    await add(store, "paused")  # a graceful shutdown kept it, mid-dream
    await store.mark_running("paused")
    await store.mark_paused("paused")
    await add(store, "answered")  # answer claimed, then the bot died before recording the end
    await store.mark_running("answered")
    await store.claim_delivery("answered")
    await add(store, "finished")
    await store.mark_finished("finished", "done")
    await store.close()  # the restart
    async with await Store.open(db_path) as again:
        jobs = await again.unfinished_jobs()
    assert [(job.job_id, recovery_action(job)) for job in jobs] == [
        ("never-ran", "resume"), ("ran-once", "rerun"), ("ran-twice", "interrupted"),
        ("paused", "resume"), ("answered", "undelivered")]
    assert {job.job_id: job.attempts for job in jobs}["paused"] == 0, "a deploy costs no attempt"


async def test_recovery_refuses_finished_jobs(store):
    await add(store, "j")
    await store.mark_finished("j", "done")
    with pytest.raises(ValueError, match="not unfinished"):
        recovery_action(await stored_job(store, "j"))


async def test_a_rerun_job_is_interrupted_after_its_second_crash(store):
    await add(store, "j")
    await store.mark_running("j")  # first run; the bot dies
    job = await stored_job(store, "j")
    assert recovery_action(job) == "rerun"
    await store.mark_resumed("j")
    await store.mark_running("j")  # the rerun; the bot dies again
    assert recovery_action(await stored_job(store, "j")) == "interrupted"


async def test_marking_running_twice_counts_one_attempt(store):
    """The pool's dispatch and the first progress both record the start: it is one start."""
    await add(store, "j")
    assert await store.mark_running("j")
    assert not await store.mark_running("j")
    assert (await stored_job(store, "j")).attempts == 1


async def test_two_deploys_during_one_long_dream_do_not_end_it(store):
    await add(store, "j")
    for _ in range(3):  # a worker takes it, then a graceful shutdown keeps it; three deploys
        await store.mark_running("j")
        await store.mark_paused("j")
        assert recovery_action(await stored_job(store, "j")) == "resume"
        await store.mark_resumed("j")
    assert (await stored_job(store, "j")).attempts == 0


async def test_a_queued_job_that_keeps_killing_the_bot_is_given_up(store):
    """Died with it queued, every time (say its download kills the process): not forever."""
    await add(store, "j")
    for _ in range(MAX_RESUMES):
        assert recovery_action(await stored_job(store, "j")) == "resume"
        await store.mark_resumed("j")
    assert recovery_action(await stored_job(store, "j")) == "interrupted"


async def test_prune_removes_only_old_finished_jobs(store):
    await add(store, "old-done")
    await store.mark_finished("old-done", "done")
    await add(store, "queued")
    cutoff = datetime.now(timezone.utc) + timedelta(seconds=1)
    assert await store.prune_jobs(before=datetime.now(timezone.utc) - timedelta(hours=1)) == 0
    assert await store.prune_jobs(before=cutoff) == 1
    assert await stored_job(store, "old-done") is None
    assert await stored_job(store, "queued") is not None


def test_settings_codec_round_trip():
    params = DreamParams(layers=parse_layer_spec("mixed4c:1.5,mixed3/12"), octaves=3, steps=9,
                         step_size=0.02, seed=123, preset="classic")
    assert params_from_dict(json.loads(json.dumps(params_to_dict(params)))) == params


def test_settings_codec_skips_keys_of_other_versions_and_checks_values():
    data = params_to_dict(DreamParams(seed=1))
    assert params_from_dict({**data, "retired": 3}) == DreamParams(seed=1)
    with pytest.raises(BadParam):
        params_from_dict({**data, "steps": 10_000})


def test_the_schema_allows_every_job_status():
    """A status the database refuses would lose a job's outcome: a new one needs a migration."""
    assert set(migrations.V3_STATUSES) == {status.value for status in JobStatus}


@pytest.mark.parametrize("status", [s.value for s in JobStatus if s.final])
async def test_every_final_status_is_recorded(store, status):
    await add(store, "j")
    assert await store.mark_finished("j", status)
    assert (await stored_job(store, "j")).status == status


async def test_jobs_survive_the_upgrade_from_schema_2(db_path):
    """A database written by the previous release keeps its queued job, minus the dead column."""
    async with aiosqlite.connect(db_path, isolation_level=None) as db:
        await db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        await db.execute("INSERT INTO schema_version VALUES (2)")
        for migrate in migrations.MIGRATIONS[:2]:
            await migrate(db)
        await db.execute(
            "INSERT INTO jobs (job_id, guild_id, channel_id, user_id, interaction_token, attachment_url,"
            " filename, size, settings, status, created_at, updated_at)"
            " VALUES ('old', 1, 2, 3, 'tok', 'https://cdn/a.png', 'a.png', 10, '{}', 'running', 1.0, 2.0)")
    async with await Store.open(db_path) as store:
        job = await stored_job(store, "old")
        assert (job.status, job.user_id, job.filename) == ("running", 3, "a.png")
        assert await store.mark_finished("old", JobStatus.timed_out.value)
    with sqlite3.connect(db_path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    assert "interaction_token" not in columns
