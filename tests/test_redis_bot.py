"""The bot end to end with `pool.backend: redis`: the real discord.py client against discordlocal,
a real Redis, two real remote workers (`python -m dreaming.worker`), the real model.

The same member-facing behaviour as with the local pool (tests/test_bot_*.py): a dream is
acknowledged, progresses, is delivered once; `!dream cancel` stops a dream on a remote worker;
and when Redis is down a member gets one clear line, and dreams resume once it is back.
The last test restarts the whole bot process (SIGKILL) with dreams queued and running in
Redis: every one is answered exactly once by the next process.
"""
from __future__ import annotations

import asyncio
import os
import signal

import pytest
import pytest_asyncio

from bench.dreambot import World, bot_config, cancel_dreams
from bot.app import make_pool
from bot.dream import messages
from discordlocal import FakeDiscord
from tests.botkit.files import cat, coffee
from tests.botkit.moderators import job_statuses
from tests.test_bot_restart import TOKEN, bot_files, start_process

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(300)]

LONG = "!dream size=512 octaves=3 steps=40 layer=mixed2"
TINY = "!dream size=96 octaves=1 steps=2 layer=mixed2"


def redis_config(url: str):
    return bot_config(pool={"backend": "redis", "redis_url": url, "per_user": 3})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def redis_dream_pool(redis_server, remote_workers):
    """The module's pool on Redis, made as the bot makes it (`make_pool`)."""
    pool = make_pool(redis_config(redis_server.url))
    await pool.start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while pool.stats().alive < 2:
        assert loop.time() < deadline, pool.stats()
        await asyncio.sleep(0.05)
    yield pool
    await pool.close(grace=0)


@pytest_asyncio.fixture(loop_scope="module")
async def rpool(redis_dream_pool, start_bot, remote_workers):
    """The module's Redis pool, settled after the test (dreams cancelled, both workers free)."""
    yield redis_dream_pool
    remote_workers.release()
    for bot in start_bot.bots:
        cancel_dreams(bot)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120
    while not (redis_dream_pool.available and redis_dream_pool.stats().settled
               and redis_dream_pool.stats().alive == 2):
        assert loop.time() < deadline, f"pool did not settle: {redis_dream_pool.stats()}"
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_a_dream_through_redis_is_acknowledged_and_delivered_once(world, start_bot, rpool, redis_server):
    await start_bot(rpool, redis_config(redis_server.url))
    command = await world.say(world.alice, TINY, cat())
    status = await world.status_of(command)
    result = await world.result_of(command)
    assert result.files and "steps=2" in result.content
    assert "🌀" in status.content
    assert len(bot_files(world, lambda m: m.reference_id == command.id)) == 1
    assert rpool.stats().backend == "redis" and rpool.stats().outcomes.get("done", 0) >= 1


@pytest.mark.slow
async def test_cancel_stops_a_dream_on_a_remote_worker(world, start_bot, rpool, redis_server, remote_workers):
    await start_bot(rpool, redis_config(redis_server.url))
    command = await world.say(world.alice, LONG, coffee())
    status = await world.edited(await world.status_of(command), lambda m: "octave" in m.content)
    cancels = rpool.stats().outcomes.get("cancelled", 0)

    reply = await world.reply_to(await world.say(world.alice, "!dream cancel"))

    assert reply.content == messages.CANCELLED
    await world.edited(status, lambda m: "cancelled" in m.content)
    after = await world.say(world.alice, TINY, cat())
    assert (await world.result_of(after)).files
    assert rpool.stats().outcomes.get("cancelled", 0) == cancels + 1


@pytest.mark.slow
async def test_redis_down_is_one_clear_line_and_dreams_resume_when_it_is_back(
        world, start_bot, rpool, redis_server):
    await start_bot(rpool, redis_config(redis_server.url))
    redis_server.stop()
    try:
        await world.fake.wait_until(lambda: not rpool.available, timeout=30, what="the pool to see Redis gone")
        refused = await world.say(world.alice, TINY, cat())
        reply = await world.reply_to(refused)
        assert "temporarily unavailable" in reply.content and "\n" not in reply.content
    finally:
        redis_server.start()
    await world.fake.wait_until(lambda: rpool.available, timeout=30, what="the pool to see Redis back")
    again = await world.say(world.alice, TINY, cat())
    assert (await world.result_of(again)).files


@pytest.mark.slow
async def test_bot_killed_with_dreams_in_redis_then_restarted_answers_each_once(
        tmp_path, redis_server, remote_workers):
    db, log = tmp_path / "dreambot.db", tmp_path / "bot.log"
    config = tmp_path / "config.yaml"
    config.write_text("pool:\n  backend: redis\n  per_user: 3\n  job_timeout: 300\n"
                      f"dream:\n  progress_interval: 1\nstore:\n  path: {db}\n")
    os.environ["DREAMBOT_REDIS_URL"] = redis_server.url  # as an operator passes the password
    try:
        async with FakeDiscord(token=TOKEN) as fake:
            world = World.create(fake)
            proc = await start_process(config, fake.api_base, log)
            try:
                await fake.wait_for_gateway(identifies=1, timeout=60)
                running = await world.say(world.alice, LONG.replace("steps=40", "steps=6"), cat())
                await world.edited(await world.status_of(running), lambda m: "octave" in m.content, timeout=120)
                quick = await world.say(world.bob, TINY, coffee())
                await world.status_of(quick)
                later = await world.say(world.mod, TINY, cat())
                await world.status_of(later)

                proc.send_signal(signal.SIGKILL)  # no shutdown stage runs; the workers dream on
                await proc.wait()
                proc = await start_process(config, fake.api_base, log)
                await fake.wait_for_gateway(identifies=2, timeout=60)
                await fake.wait_until(lambda: set(job_statuses(db).values()) == {"done"}, timeout=240,
                                      what=f"every job done: {job_statuses(db)}")
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), 60) == 0
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            answers = {name: len(bot_files(world, lambda m, c=c: m.reference_id == c.id))
                       for name, c in [("running", running), ("quick", quick), ("later", later)]}
            failures = [m.content for m in fake.messages_in(world.channel_id)
                        if m.author_id == fake.bot_user.id and "⚠️" in m.content]
    finally:
        del os.environ["DREAMBOT_REDIS_URL"]
    assert answers == {"running": 1, "quick": 1, "later": 1}, log.read_text()[-3000:]
    assert not failures, failures
