"""Every failure gets one clear line, never silence or a traceback, and the bot carries on.

Bad uploads and bad options are refused in the bot process before anything queues (these
tests run with a pool that never starts); a killed worker and a timeout happen in the real pool.
"""
from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from bench.dreambot import World, bot_config
from bot.dream import messages
from discordlocal.models import DEFAULT_EVERYONE_PERMISSIONS
from tests.botkit.files import cat, empty_file, png_bomb, text_named_png, truncated_jpeg

ATTACH_FILES = 1 << 15

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

TINY = "size=96 octaves=1 steps=2 layer=mixed2"
#: (what is sent, a file or None, what the one-line reply must say)
BAD_REQUESTS = {
    "corrupt": ("!dream", truncated_jpeg(), "JPEG data is truncated or corrupt"),
    "zero-bytes": ("!dream", empty_file(), "the file is empty"),
    "text-named-png": ("!dream", text_named_png(), "the file is not an image"),
    "decompression-bomb": ("!dream", png_bomb(), "30000x30000 is over the limit of 40 megapixels"),
    "unknown-key": ("!dream strenght=0.02", cat(), "Unknown option 'strenght'. Did you mean 'strength'?"),
    "unknown-layer": ("!dream layer=mixed4x", cat(), "Unknown layer 'mixed4x'. Did you mean"),
    "unknown-preset": ("!dream preset=nightmar", cat(), "Unknown preset 'nightmar'. Did you mean 'nightmare'?"),
    "bad-number": ("!dream steps=many", cat(), "Bad value for steps"),
}


def one_line(text: str) -> bool:
    return "\n" not in text.strip() and "Traceback" not in text


@pytest.mark.parametrize("case", BAD_REQUESTS)
async def test_bad_request_gets_one_clear_line(case, world, start_bot, idle_pool):
    text, file, expected = BAD_REQUESTS[case]
    await start_bot(idle_pool)
    command = await world.say(world.alice, text, file)

    reply = await world.reply_to(command)

    assert expected in reply.content and one_line(reply.content), reply.content
    assert reply.content.startswith("⚠️") and not reply.files
    assert idle_pool.stats().queued == 0, "nothing bad may reach the queue"


async def test_attachment_over_the_byte_limit_is_refused_before_download(world, start_bot, idle_pool):
    await start_bot(idle_pool, bot_config(limits={"max_attachment_mb": 1 / 64}))
    command = await world.say(world.alice, "!dream", cat())

    reply = await world.reply_to(command)

    assert "over the 16 KiB limit" in reply.content and one_line(reply.content), reply.content
    assert world.downloads() == [], "the size Discord reports is enough to refuse it"


async def test_attachment_that_cannot_be_downloaded(world, start_bot, idle_pool):
    await start_bot(idle_pool)
    world.fake.fail_next("/attachments/", 404)
    command = await world.say(world.alice, "!dream", cat())

    reply = await world.reply_to(command)

    assert "could not download the attachment (HTTP 404)" in reply.content and one_line(reply.content)


async def test_slash_dream_with_a_text_file(world, start_bot, idle_pool):
    await start_bot(idle_pool)
    rec = await world.slash(world.alice, "dream", image=text_named_png())

    reply = await world.response_to(rec, lambda m: bool(m.content))

    assert "the file is not an image" in reply.content and one_line(reply.content)


@pytest.mark.slow
async def test_after_every_bad_request_the_bot_still_dreams(world, start_bot, pool):
    await start_bot(pool)
    for text, file, expected in BAD_REQUESTS.values():
        reply = await world.reply_to(await world.say(world.alice, text, file))
        assert expected in reply.content

    command = await world.say(world.alice, f"!dream {TINY}", cat())

    assert (await world.result_of(command)).files
    assert pool.stats().outcomes.get("refused", 0) == 0, "the bad requests never reached a worker"


@pytest.mark.slow
async def test_worker_killed_mid_dream_tells_the_user_and_the_next_dream_works(world, start_bot, pool,
                                                                              frozen_workers):
    await start_bot(pool)
    [worker] = [p for p in multiprocessing.active_children() if p.name.startswith("dream-worker")]
    command = await world.say(world.alice, "!dream size=320 octaves=3 steps=40 layer=mixed2", cat())
    status = await world.status_of(command)
    await world.edited(status, lambda m: "octave" in m.content)  # the worker is dreaming it
    frozen_workers.freeze()  # and is still, when the kill comes, however fast the machine

    os.kill(worker.pid, signal.SIGKILL)

    failed = await world.edited(status, lambda m: "failed" in m.content)
    assert "killed by SIGKILL" in failed.content and one_line(failed.content)
    assert not failed.components, "no Cancel button on a dream that is over"
    retry = await world.say(world.alice, f"!dream {TINY}", cat())
    assert (await world.result_of(retry)).files
    assert pool.stats().restarts >= 1


@pytest.mark.slow
async def test_dream_over_the_job_timeout_is_stopped_with_a_clear_reply(world, start_bot, pool, monkeypatch,
                                                                        frozen_workers):
    monkeypatch.setattr(pool, "job_timeout", 1.0)
    await start_bot(pool)
    command = await world.say(world.alice, "!dream size=320 octaves=3 steps=40 layer=mixed2", cat())
    status = await world.edited(await world.status_of(command), lambda m: "octave" in m.content)
    frozen_workers.freeze()  # the dream outlasts the timeout, however fast the machine

    stopped = await world.edited(status, lambda m: "took longer" in m.content)
    frozen_workers.release()  # the worker sees the pool's cancel at its next step

    assert "took longer than 1 s" in stopped.content and one_line(stopped.content)


@pytest.mark.slow
async def test_missing_attach_permission_is_explained(fake, start_bot, pool):
    world = World.create(fake, everyone_permissions=DEFAULT_EVERYONE_PERMISSIONS & ~ATTACH_FILES)
    await start_bot(pool)
    command = await world.say(world.alice, f"!dream {TINY}", cat())
    status = await world.status_of(command)

    told = await world.edited(status, lambda m: "⚠️" in m.content)

    assert messages.MISSING_PERMISSIONS in told.content and not told.files


@pytest.mark.slow
async def test_result_still_arrives_when_the_command_was_deleted(world, start_bot, pool):
    await start_bot(pool)
    command = await world.say(world.alice, "!dream size=256 octaves=2 steps=10 layer=mixed2", cat())
    await world.edited(await world.status_of(command), lambda m: "octave" in m.content)

    await world.fake.messaging.delete(command)  # the user deletes their message mid-dream

    result = await world.fake.wait_for_message(world.channel_id, predicate=lambda m: bool(m.files), timeout=90)
    assert result.reference is None and result.files[0].content_type == "image/png"
