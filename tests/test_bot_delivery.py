"""How results reach users: within the server's upload limit, with throttled progress, after
the interaction token died, and without ever stalling the event loop."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bench.dreambot import World, bot_config, settings_of
import bot.dream.replies
from discordlocal import LoopLag
from tests.botkit.files import cat, coffee, image_of

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240), pytest.mark.slow]

#: A few seconds of real dreaming on 2 cores, with progress all along.
SECONDS_LONG = "!dream size=320 octaves=2 steps=20 layer=mixed3"


@pytest.mark.parametrize("limit, fmt, downscaled", [(120_000, "JPEG", False), (12_000, "JPEG", True)])
async def test_result_over_the_upload_limit_is_still_delivered(fake, start_bot, pool, limit, fmt, downscaled):
    world = World.create(fake, filesize_limit=limit)
    await start_bot(pool)
    command = await world.say(world.alice, "!dream size=400 octaves=1 steps=2 layer=mixed3", coffee())

    result = await world.result_of(command)

    posted = result.files[0]
    image = image_of(posted.data)
    assert posted.size <= limit and image.format == fmt
    assert (max(image.size) < 400) == downscaled, image.size
    assert settings_of(result)["size"] == "400"


async def test_slash_result_fits_the_interactions_upload_limit(fake, start_bot, pool):
    world = World.create(fake, filesize_limit=100_000)
    await start_bot(pool)
    rec = await world.slash(world.alice, "dream", image=coffee(), size=400, octaves=1, steps=2, layer="mixed3")

    result = await world.interaction_result(rec)

    assert result.files[0].size <= 100_000 and image_of(result.files[0].data).format == "JPEG"


async def test_progress_edits_are_throttled(world, start_bot, pool):
    interval = 2.0
    await start_bot(pool, bot_config(dream={"progress_interval": interval}))
    command = await world.say(world.alice, SECONDS_LONG, cat())
    status = await world.status_of(command)

    await world.result_of(command)

    # However fast the machine, the first step shows at once; the throttle itself is tested
    # on a driven clock in test_progress.py.
    progress = [t for t, content in status.edit_log if "octave" in content]
    assert progress, f"the dream shows progress: {status.edit_log}"
    gaps = [b - a for a, b in zip(progress, progress[1:])]
    assert all(gap >= 0.8 * interval for gap in gaps), f"edits closer than progress_interval={interval}: {gaps}"


async def test_result_after_the_interaction_token_expired_goes_to_the_channel(world, start_bot, pool, monkeypatch):
    # Every token counts as expired: the result can't edit the deferred response any more.
    monkeypatch.setattr(bot.dream.replies, "TOKEN_LIFETIME", timedelta(0))
    await start_bot(pool)
    rec = await world.slash(world.alice, "dream", image=cat(), size=96, octaves=1, steps=2)

    result = await world.fake.wait_for_message(world.channel_id, predicate=lambda m: bool(m.files), timeout=90)

    assert result.interaction_id is None, "a plain channel message, not the dead interaction"
    assert result.content.startswith(f"<@{world.alice}>") and "your dream is ready" in result.content
    assert "seed=" in result.content and result.files[0].content_type == "image/png"
    assert not (await world.response_to(rec, lambda m: True)).files


async def test_event_loop_stays_responsive_while_workers_dream(world, start_bot, pool):
    await start_bot(pool)
    async with LoopLag(interval=0.02) as lag:
        first = await world.say(world.alice, SECONDS_LONG, cat())
        second = await world.say(world.bob, SECONDS_LONG, coffee())
        await world.result_of(first)
        await world.result_of(second)

    assert lag.samples, "the probe ran while the workers dreamt"
    assert lag.max < 0.5, f"event loop stalled for {lag.max:.3f} s"
