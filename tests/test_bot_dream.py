"""`!dream` and `/dream` end to end: the real bot, the real pool and model, the fake Discord.

A real photo goes in as users post it; what comes back is checked as users see it: a PNG
reply that differs from the photo, the settings line naming the layer that ran, the
privacy reminder, and no EXIF or GPS in the posted file.
"""
from __future__ import annotations

import numpy as np
import pytest
from PIL import ExifTags, Image

from bench.dreambot import bot_config, settings_of
from bot.config import DEFAULT_PRIVACY_REMINDER
from dreaming.layers import resolve_layer
from tests.botkit.files import CAMERA, cat, cat_jpeg_with_gps, coffee, image_of

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

TINY = "size=128 octaves=1 steps=2"


def differs(result: Image.Image, photo: bytes) -> float:
    """Mean absolute difference (0-255) between a result and the photo scaled to its size."""
    source = image_of(photo).convert("RGB").resize(result.size, Image.Resampling.LANCZOS)
    return float(np.abs(np.asarray(result.convert("RGB"), float) - np.asarray(source, float)).mean())


@pytest.mark.slow
async def test_prefix_dream_of_a_jpeg_replies_with_a_clean_png(world, start_bot, pool):
    photo = cat_jpeg_with_gps()
    assert image_of(photo).getexif().get_ifd(ExifTags.IFD.GPSInfo), "the upload must carry GPS to prove anything"
    await start_bot(pool)

    command = await world.say(world.alice, "!dream layer=mixed4c size=160 octaves=2 steps=3",
                              ("holiday.jpg", photo, "image/jpeg"))
    status = await world.status_of(command)
    result = await world.result_of(command)

    posted = result.files[0]
    assert posted.filename.endswith(".png") and posted.content_type == "image/png"
    image = image_of(posted.data)
    assert image.format == "PNG" and max(image.size) == 160
    assert differs(image, photo) > 2.0, "the dream should visibly change the photo"
    ran, _ = resolve_layer("mixed4c")
    assert settings_of(result)["layers"] == f"mixed4c→{ran}"
    assert settings_of(result)["size"] == "160"
    assert DEFAULT_PRIVACY_REMINDER in result.content
    # No metadata survives: no EXIF block, no GPS, not even the camera's name.
    assert not image.getexif() and "exif" not in image.info
    assert b"Exif" not in posted.data and CAMERA.encode() not in posted.data
    # The result replaces the status message, which is cleaned up.
    await world.fake.wait_until(lambda: world.fake.state.messages[status.id].deleted, what="status deleted")


@pytest.mark.slow
async def test_slash_dream_defers_then_delivers_the_image(world, start_bot, pool):
    await start_bot(pool)
    rec = await world.slash(world.bob, "dream", image=coffee(), preset="patterns", size=128, octaves=1, steps=2)

    assert (await world.fake.wait_for_interaction_response(rec.id))["type"] == 5  # deferred, "thinking…"
    result = await world.interaction_result(rec)

    assert [c["type"] for c in rec.callbacks] == [5], "one acknowledgement, the defer, and nothing else"
    assert settings_of(result)["preset"] == "patterns"
    assert image_of(result.files[0].data).format == "PNG"
    assert DEFAULT_PRIVACY_REMINDER in result.content


@pytest.mark.slow
async def test_dream_in_reply_to_a_message_with_an_image(world, start_bot, pool):
    await start_bot(pool)
    photo_post = await world.say(world.bob, "look at my cat", cat())
    command = await world.say(world.alice, f"!dream {TINY}", reference=photo_post.id)

    result = await world.result_of(command)

    assert world.downloads() == [str(photo_post.files[0].id)]
    assert max(image_of(result.files[0].data).size) == 128


@pytest.mark.slow
async def test_dream_without_image_uses_the_users_recent_one(world, start_bot, pool):
    await start_bot(pool)
    mine = await world.say(world.alice, "my coffee this morning", coffee())
    await world.say(world.bob, "and my cat", cat())  # someone else's, posted later: not taken
    command = await world.say(world.alice, f"!dream {TINY}")

    await world.result_of(command)

    assert world.downloads() == [str(mine.files[0].id)]


async def test_dream_with_no_image_at_all_gets_the_usage(world, start_bot, idle_pool):
    await start_bot(idle_pool)
    command = await world.say(world.alice, "!dream layer=mixed4")

    reply = await world.reply_to(command)

    assert "Attach an image" in reply.content and "!dream layer=mixed4c" in reply.content
    assert not reply.files and idle_pool.stats().queued == 0


@pytest.mark.slow
async def test_steps_over_the_cap_are_clamped_and_the_reply_says_so(world, start_bot, pool):
    bot = await start_bot(pool)
    cap = bot.config.limits.steps
    command = await world.say(world.alice, "!dream steps=500 size=96 octaves=1 layer=mixed2", cat())

    result = await world.result_of(command)

    assert settings_of(result)["steps"] == str(cap)
    assert f"steps 500→{cap}" in result.content


async def test_slash_dream_without_image_or_history_gets_the_usage(world, start_bot, idle_pool):
    """In slash syntax, and only to the member who asked."""
    await start_bot(idle_pool)
    rec = await world.slash(world.alice, "dream", preset="classic")

    reply = await world.response_to(rec, lambda m: bool(m.content))

    assert "`/dream image:`" in reply.content and "!dream" not in reply.content and not reply.files
    assert reply.ephemeral


@pytest.mark.parametrize("options, says", [
    ({"layer": "mixed99"}, "Unknown layer"),  # refused before deferring
    ({"size": 96, "steps": 1}, "Can't read that image"),  # refused after deferring (the download)
])
async def test_slash_refusals_are_seen_only_by_the_member(world, start_bot, idle_pool, options, says):
    await start_bot(idle_pool)
    image = ("notes.png", b"this is not a picture", "image/png") if "size" in options else cat()
    rec = await world.slash(world.alice, "dream", image=image, **options)

    note = await world.response_to(rec, lambda m: says in m.content)

    assert note.ephemeral, note
    public = [m for m in world.fake.messages_in(world.channel_id) if m.interaction_id == rec.id and not m.ephemeral
              and not m.deleted and m.content]
    assert not public, f"a refusal was public: {public}"


@pytest.mark.slow
async def test_operator_default_preset_and_a_bare_preset_word(world, start_bot, pool):
    await start_bot(pool, bot_config(dream={"default_preset": "textures"}))
    plain = await world.say(world.alice, f"!dream {TINY}", cat())
    named = await world.say(world.bob, f"!dream patterns {TINY}", coffee())

    assert settings_of(await world.result_of(plain))["preset"] == "textures"
    assert settings_of(await world.result_of(named))["preset"] == "patterns"


@pytest.mark.slow
async def test_slash_dream_takes_jitter_and_smoothing(world, start_bot, pool):
    await start_bot(pool)
    rec = await world.slash(world.alice, "dream", image=cat(), size=96, octaves=1, steps=1, layer="mixed2",
                            jitter=5, smoothing=0.5)
    result = await world.interaction_result(rec)
    line = settings_of(result)
    assert (line["jitter"], line["smoothing"]) == ("5", "0.5")
