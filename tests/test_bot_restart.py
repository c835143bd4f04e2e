"""Durable jobs and the database file, as operators meet them: `python -m bot` in a subprocess.

- SIGKILL with one dream running and two queued (one `!dream`, one `/dream`), then a new
  process on the same database: every job is answered exactly once.
- A file that isn't a usable Dreambot database is refused with one line (exit 2) and left
  byte for byte as it was; an old-version database is upgraded and keeps its settings.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bench.dreambot import World
from bot.store import LATEST, Store
from discordlocal import FakeDiscord
from tests.botkit.files import REPO, cat, coffee
from tests.botkit.moderators import job_statuses
from tests.test_store import V1_SCHEMA

pytestmark = pytest.mark.timeout(420)
in_module_loop = pytest.mark.asyncio(loop_scope="module")

TOKEN = "restart-test-token"
TINY = {"size": 96, "octaves": 1, "steps": 2, "layer": "mixed2"}


def write_config(tmp_path: Path, db: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"pool:\n  workers: 1\n  per_user: 3\n  job_timeout: 300\n"
                      f"dream:\n  progress_interval: 1\nstore:\n  path: {db}\n")
    return config


async def start_process(config: Path, api_base: str, log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": api_base}
    with log.open("ab") as out:  # a file, not a pipe: a full pipe would stall the bot
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(config), cwd=REPO, env=env,
            stdout=out, stderr=subprocess.STDOUT)


def bot_files(world: World, predicate) -> list:
    return [m for m in world.fake.messages_in(world.channel_id)
            if m.author_id == world.fake.bot_user.id and m.files and not m.deleted and predicate(m)]


@pytest.mark.slow
@in_module_loop
async def test_sigkill_with_jobs_queued_and_running_then_every_job_is_answered_once(tmp_path):
    db, log = tmp_path / "dreambot.db", tmp_path / "bot.log"
    config = write_config(tmp_path, db)
    async with FakeDiscord(token=TOKEN) as fake:
        world = World.create(fake)
        carol = fake.add_user("carol", guilds=[world.guild_id]).id
        proc = await start_process(config, fake.api_base, log)
        try:
            await fake.wait_for_gateway(identifies=1, timeout=180)
            running = await world.say(world.alice, "!dream size=256 octaves=2 steps=15 layer=mixed3", cat())
            await world.edited(await world.status_of(running), lambda m: "octave" in m.content, timeout=120)
            queued = await world.say(world.bob, "!dream size=96 octaves=1 steps=2 layer=mixed2", coffee())
            assert "#1 in line" in (await world.status_of(queued)).content
            rec = await world.slash(carol, "dream", image=cat(), **TINY)
            await world.response_to(rec, lambda m: "#2 in line" in m.content, timeout=30)

            proc.kill()  # SIGKILL: no shutdown stage runs
            await proc.wait()
            assert sorted(job_statuses(db).values()) == ["queued", "queued", "running"]
            assert not bot_files(world, lambda m: True), "nothing was delivered before the kill"

            proc = await start_process(config, fake.api_base, log)
            await fake.wait_for_gateway(identifies=2, timeout=180)
            await fake.wait_until(lambda: set(job_statuses(db).values()) == {"done"}, timeout=240,
                                  what=f"every job done: {job_statuses(db)}")
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 60) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

        answers = {
            "running": bot_files(world, lambda m: m.reference_id == running.id),
            "queued": bot_files(world, lambda m: m.reference_id == queued.id),
            "slash": bot_files(world, lambda m: f"<@{carol}>" in m.content),
        }
        failures = [m.content for m in fake.messages_in(world.channel_id)
                    if m.author_id == fake.bot_user.id and "⚠️" in m.content]
    assert {name: len(found) for name, found in answers.items()} == {"running": 1, "queued": 1, "slash": 1}, \
        log.read_text()[-3000:]
    assert "before the bot restarted" in answers["slash"][0].content
    assert not failures, failures


def corrupt_page(db: Path) -> None:
    """A real Dreambot database whose second page was overwritten, as a bad disk leaves it."""
    async def make() -> None:
        async with await Store.open(db) as store:
            await store.set_guild_value(1, "max_side", 300, 2)
    asyncio.run(make())
    data = bytearray(db.read_bytes())
    data[4096:8192] = b"\xff" * 4096
    db.write_bytes(bytes(data))
    for extra in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        extra.unlink(missing_ok=True)


def newer_version(db: Path) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (?)", (LATEST + 7,))


@pytest.mark.parametrize("make, message", [
    (lambda db: db.write_bytes(b"meeting notes, not a database\n" * 50), "is not a SQLite database; refusing"),
    (corrupt_page, "is corrupt"),
    (newer_version, f"has schema version {LATEST + 7}, newer than this Dreambot knows"),
], ids=["not-sqlite", "corrupt", "newer"])
def test_untrusted_database_exits_2_with_one_line_and_is_left_alone(tmp_path, make, message):
    db = tmp_path / "dreambot.db"
    make(db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10"}

    done = subprocess.run([sys.executable, "-m", "bot", "--config", str(write_config(tmp_path, db)),
                           "--log-level", "warning"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("bot: error: "), done.stderr
    assert message in done.stderr and str(db) in done.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before, "never wiped, never rewritten"


@in_module_loop
async def test_an_old_version_database_is_upgraded_and_its_settings_apply(world, start_bot, idle_pool, tmp_path):
    db = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        for statement in V1_SCHEMA:
            conn.execute(statement)
        conn.execute("INSERT INTO guild_settings VALUES (?, ?, 0)", (world.guild_id, json.dumps({"max_side": 300})))
    await start_bot(idle_pool, db=db)

    shown = await world.reply_to(await world.say(world.alice, "!dreamconfig show"))
    status = await world.reply_to(await world.say(world.alice, "!dream size=96", cat()))

    assert "**`max_side`: 300**" in shown.content
    assert status.content.startswith("🌀"), status.content  # the v2 jobs table took the job
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == LATEST
        assert conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 1
