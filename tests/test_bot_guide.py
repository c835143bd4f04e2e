"""Guided dreams in the bot (`bot/dream/guide.py`): `!dream` with two attachments, `!dream`
with an image in reply to another, and `/dream guide:`, end to end with the real discord.py
client, the real pool and model, and discordlocal; a bad guide gets one line; a stored job
keeps its guide for a restart.

The dreams are tiny (96 px, one octave, two steps) so each takes seconds.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest

from bench.dreambot import settings_of
from bot.dream.fetch import ImageRef
from bot.dream.guide import of_stored, stored
from bot.i18n import en
from bot.store import Store, params_to_dict
from dreaming.layers import parse_layer_spec
from dreaming.params import DreamParams
from tests.botkit.files import cat, coffee_jpeg, image_of

pytestmark = pytest.mark.timeout(240)
module_loop = pytest.mark.asyncio(loop_scope="module")

TINY = "size=96 octaves=1 steps=2 layer=mixed4 seed=4"
NOT_A_PICTURE = ("notes.png", b"this is not a picture", "image/png")


def coffee() -> tuple[str, bytes, str]:
    return ("coffee.jpg", coffee_jpeg(), "image/jpeg")


def guided_line() -> str:
    return en.MESSAGES["guided"]  # the test server speaks English


@pytest.mark.slow
@module_loop
async def test_prefix_with_two_attachments_dreams_the_first_guided_by_the_second(world, start_bot, pool):
    await start_bot(pool)
    guided_cmd = await world.say(world.alice, f"!dream {TINY}", cat(), coffee())
    guided = await world.result_of(guided_cmd)
    plain = await world.result_of(await world.say(world.alice, f"!dream {TINY}", cat()))

    assert guided_line() in guided.content and guided_line() not in plain.content
    assert set(world.downloads()[:2]) == {str(f.id) for f in guided_cmd.files}, "both files were fetched"
    ours, theirs = image_of(guided.files[0].data), image_of(plain.files[0].data)
    assert ours.size == theirs.size == (96, 64), "the cat (451x300) is the image, not the coffee (600x400)"
    assert ours.tobytes() != theirs.tobytes(), "the same seed without the guide dreams another picture"
    assert settings_of(guided)["seed"] == settings_of(plain)["seed"] == "4"

    # Reroll keeps the guide: a new seed, the same cat, still steered by the cup.
    reroll = await world.interaction_result(await world.press(guided, "reroll", world.alice))
    assert guided_line() in reroll.content and settings_of(reroll)["seed"] != "4"


@pytest.mark.slow
@module_loop
async def test_an_image_in_reply_to_an_image_is_guided_by_the_replied_one(world, start_bot, pool):
    await start_bot(pool)
    post = await world.say(world.bob, "a cup", coffee())
    command = await world.say(world.alice, f"!dream {TINY}", cat(), reference=post.id)

    result = await world.result_of(command)

    assert guided_line() in result.content
    assert str(post.files[0].id) in world.downloads()
    assert image_of(result.files[0].data).size == (96, 64)


@pytest.mark.slow
@module_loop
async def test_slash_dream_with_a_guide_option(world, start_bot, pool):
    await start_bot(pool)
    rec = await world.fake.invoke_slash(world.guild_id, world.channel_id, world.bob, "dream",
                                        options={"size": 96, "octaves": 1, "steps": 2, "seed": 4},
                                        attachments={"image": cat(), "guide": coffee()})

    result = await world.interaction_result(rec)

    assert guided_line() in result.content
    assert image_of(result.files[0].data).size == (96, 64)


@pytest.mark.slow
@module_loop
async def test_slash_animate_with_a_guide_guides_every_frame(world, start_bot, pool):
    await start_bot(pool)
    rec = await world.fake.invoke_slash(world.guild_id, world.channel_id, world.bob, "dream-animate",
                                        options={"frames": 2, "size": 96, "seed": 4, "layer": "mixed2"},
                                        attachments={"image": cat(), "guide": coffee()})

    result = await world.interaction_result(rec)

    assert guided_line() in result.content
    assert getattr(image_of(result.files[0].data), "n_frames", 1) == 2


@pytest.mark.slow
@module_loop
async def test_a_reply_to_a_file_that_is_no_image_dreams_unguided(world, start_bot, pool):
    await start_bot(pool)
    post = await world.say(world.bob, "the minutes", ("minutes.pdf", b"%PDF-1.4 not a picture", "application/pdf"))
    command = await world.say(world.alice, f"!dream {TINY}", cat(), reference=post.id)

    result = await world.result_of(command)

    assert guided_line() not in result.content and str(post.files[0].id) not in world.downloads()


@module_loop
async def test_a_bad_guide_gets_one_line_naming_the_guide(world, start_bot, idle_pool):
    await start_bot(idle_pool)
    command = await world.say(world.alice, f"!dream {TINY}", cat(), NOT_A_PICTURE)

    reply = await world.reply_to(command, lambda m: "guide" in m.content)

    assert "Can't read that image: the guide (" in reply.content
    assert "\n" not in reply.content.strip() and not reply.files
    assert idle_pool.stats().queued == 0, "refused before it queued"


@module_loop
async def test_a_channel_with_a_guide_is_refused_before_anything_is_fetched(world, start_bot, idle_pool):
    await start_bot(idle_pool)
    command = await world.say(world.alice, "!dream layer=mixed4/97 size=96", cat(), coffee())

    reply = await world.reply_to(command, lambda m: "guide" in m.content)

    assert "a guide steers whole layers: drop the /97" in reply.content
    assert "\n" not in reply.content.strip() and not reply.files
    assert world.downloads() == [] and idle_pool.stats().queued == 0


@module_loop
async def test_slash_bad_guide_is_seen_only_by_the_member(world, start_bot, idle_pool):
    await start_bot(idle_pool)
    rec = await world.fake.invoke_slash(world.guild_id, world.channel_id, world.alice, "dream",
                                        options={"size": 96}, attachments={"image": cat(), "guide": NOT_A_PICTURE})

    note = await world.response_to(rec, lambda m: "the guide (" in m.content)

    assert note.ephemeral and "\n" not in note.content.strip()


@pytest.mark.slow
@module_loop
async def test_a_guided_job_resumed_after_a_restart_is_still_guided(world, start_bot, pool, tmp_path):
    # The job as the last run stored it: its message (not a command, so the running bot
    # leaves it alone) and a queued job in the database the next bot starts on.
    await start_bot(pool)
    command = await world.say(world.alice, "two pictures, dreamt after a restart", cat(), coffee())
    image, guide = command.files
    params = DreamParams(layers=parse_layer_spec("mixed4"), max_side=96, octaves=1, steps=2, seed=4)
    store = await Store.open(tmp_path / "kept.db")
    await store.add_job(guild_id=world.guild_id, channel_id=world.channel_id, user_id=world.alice,
                        attachment_url=_url(world, image), filename=image.filename, size=len(image.data),
                        settings={**params_to_dict(params),
                                  **stored(ImageRef(_url(world, guide), guide.filename, len(guide.data)))},
                        message_id=command.id, job_id="a1b2c3d4e5f6")  # the runner's 12 hex digits
    await store.close()

    await start_bot(pool, db=tmp_path / "kept.db")  # recovery resumes the job
    result = await world.result_of(command)

    assert guided_line() in result.content
    assert str(guide.id) in world.downloads(), "the guide was fetched again from its stored address"


def _url(world, file) -> str:
    return f"{world.fake.state.root_url}/attachments/{world.channel_id}/{file.id}/{quote(file.filename)}"


def test_a_stored_job_keeps_its_guide_for_a_restart():
    guide = ImageRef("https://cdn.example/attachments/1/2/cup.jpg", "cup.jpg", 1234, "image/jpeg")
    settings = {"steps": 2, **stored(guide)}

    kept = of_stored(settings)

    assert (kept.url, kept.filename, kept.size) == (guide.url, guide.filename, guide.size)
    assert of_stored({"steps": 2, **stored(None)}) is None
    assert of_stored({"guide": "garbage"}) is None, "a malformed stored guide is no guide, not a crash"
