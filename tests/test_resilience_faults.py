"""Faults while dreaming: a worker SIGKILLed mid-job, the gateway dropped and resumed, REST 429
and 5xx answers on the message-create route while the result is delivered. Each time the job
completes or fails with a message, and nothing is posted twice."""
from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from tests.botkit.files import cat, coffee

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240), pytest.mark.slow]

TINY = "!dream size=96 octaves=1 steps=2 layer=mixed2"
#: A dream with progress all along; tests freeze its worker (SIGSTOP) to act while it runs.
RUNNING = "!dream size=320 octaves=2 steps=20 layer=mixed3"


def final_answers(world, command) -> list:
    """The bot's results and warnings that answer `command` (status edits included)."""
    return [m for m in world.fake.messages_in(world.channel_id)
            if m.reference_id == command.id and (m.files or m.content.startswith("⚠️"))]


async def settled(bot) -> None:
    assert await bot.runner.wait_idle(60), "the bot still had replies in flight"


async def dreaming(world, command):
    """The status of `command` once a worker reports progress on it."""
    return await world.edited(await world.status_of(command), lambda m: "octave" in m.content)


async def test_worker_sigkilled_mid_job_fails_that_job_once_and_the_queue_goes_on(world, start_bot, pool, frozen_workers):
    bot = await start_bot(pool)
    [worker] = [p for p in multiprocessing.active_children() if p.name.startswith("dream-worker")]
    killed = await world.say(world.alice, RUNNING, cat())
    await dreaming(world, killed)
    frozen_workers.freeze()  # still mid-dream when the kill comes, however fast the machine
    waiting = await world.say(world.bob, TINY, coffee())
    assert "#1 in line" in (await world.status_of(waiting)).content

    os.kill(worker.pid, signal.SIGKILL)

    assert (await world.result_of(waiting)).files, "the queued job runs on the restarted worker"
    await settled(bot)
    [failure] = final_answers(world, killed)
    assert "killed by SIGKILL" in failure.content and not failure.files and "\n" not in failure.content
    assert len(final_answers(world, waiting)) == 1


async def test_gateway_dropped_and_resumed_while_a_job_runs(world, start_bot, pool, frozen_workers):
    bot = await start_bot(pool)
    command = await world.say(world.alice, RUNNING, cat())
    await dreaming(world, command)
    frozen_workers.freeze()  # the job runs across the drop, however fast the machine

    await world.fake.drop_gateway()
    await world.fake.wait_for_gateway(resumes=1, timeout=30)
    frozen_workers.release()

    assert (await world.result_of(command)).files
    after = await world.say(world.bob, TINY, coffee())  # the resumed session still hears commands
    assert (await world.result_of(after)).files
    await settled(bot)
    assert len(final_answers(world, command)) == 1 and len(final_answers(world, after)) == 1
    assert world.fake.gateway.identifies == 1, "resumed, not a new session"


@pytest.mark.parametrize("status, times", [(429, 2), (500, 1)])
async def test_delivery_retried_after_429_and_500_is_posted_once(world, start_bot, pool, frozen_workers, status, times):
    bot = await start_bot(pool)
    command = await world.say(world.alice, RUNNING, cat())
    await dreaming(world, command)  # the acknowledgement went out; the next create is the result
    frozen_workers.freeze()  # no result before the fault is in place, however fast the machine
    fault = world.fake.fail_next(f"POST /api/v10/channels/{world.channel_id}/messages", status,
                                 retry_after=0.5, times=times)
    frozen_workers.release()

    result = await world.result_of(command)

    await settled(bot)
    assert len(fault.hits) == times, "the result's upload met the injected failures"
    assert result.files and final_answers(world, command) == [result]


async def test_delivery_refused_with_503_fails_with_a_message_and_posts_nothing(world, start_bot, pool, frozen_workers):
    """discord.py does not retry a 503; the bot sends once more with the same nonce (a lost
    response is not a lost result). Refused both times: the user is told, once, and no result
    appears later."""
    bot = await start_bot(pool)
    command = await world.say(world.alice, RUNNING, cat())
    await dreaming(world, command)
    frozen_workers.freeze()
    fault = world.fake.fail_next(f"POST /api/v10/channels/{world.channel_id}/messages", 503, times=2)
    frozen_workers.release()

    await world.fake.wait_until(lambda: final_answers(world, command), timeout=90, what="an answer")
    await settled(bot)

    [answer] = final_answers(world, command)
    assert len(fault.hits) == 2 and not answer.files
    assert answer.content.startswith("⚠️") and "\n" not in answer.content, answer.content
