"""Dreaming without typing (issue "Members"): "Dream this image" in a message's Apps menu,
and the Tweak button's form, end to end through discordlocal's context-menu interactions
(APPLICATION_COMMAND with data.type 3), modals (callback type 9) and modal submits (type 5).
"""
from __future__ import annotations

import pytest

from bench.dreambot import World, settings_of
from bot.dream import messages
from bot.dream.cog import DREAM_THIS
from tests.botkit.files import cat, coffee

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

TINY = "!dream size=96 octaves=1 steps=2 layer=mixed2 seed=7"
EPHEMERAL = 1 << 6
#: a small server preset, so that dreams with it are quick on any machine
TINY_PRESET = {"max_side": 96, "octaves": 1, "steps": 2, "layers": "mixed2"}


async def use_tiny_default(world: World, bot) -> None:
    await bot.store.create_preset(world.guild_id, "tiny", TINY_PRESET, "Small and quick", world.mod)
    await bot.store.set_guild_value(world.guild_id, "default_preset", "tiny", world.mod)


# -- "Dream this image" ---------------------------------------------------------------------

async def test_dream_this_image_dreams_any_message_with_the_servers_default_preset(world, start_bot, pool):
    bot = await start_bot(pool)
    await use_tiny_default(world, bot)
    assert [c["name"] for c in world.fake.commands() if c["type"] == 3] == [DREAM_THIS]
    photo = await world.say(world.bob, "look at my cat", cat())  # bob's photo, not a command

    rec = await world.fake.invoke_message_command(world.channel_id, world.alice, DREAM_THIS, photo.id)
    result = await world.interaction_result(rec)

    assert settings_of(result)["preset"] == "tiny" and settings_of(result)["size"] == "96"
    assert world.downloads() == [str(photo.files[0].id)]
    assert "dreambot:delete:%d" % world.alice in str(result.components), "the dream is the invoker's"


async def test_dream_this_image_refusals_are_only_for_the_invoker(world, start_bot, idle_pool):
    art = world.fake.add_channel(world.guild_id, "art")
    bot = await start_bot(idle_pool)
    text_only = await world.say(world.bob, "no picture here")
    photo = await world.say(world.bob, "a cat", cat())

    no_image = await world.fake.invoke_message_command(world.channel_id, world.alice, DREAM_THIS, text_only.id)
    await bot.store.set_guild_value(world.guild_id, "allowed_channels", (art.id,), world.mod)
    elsewhere = await world.fake.invoke_message_command(world.channel_id, world.alice, DREAM_THIS, photo.id)

    answers = [await world.fake.wait_for_interaction_response(rec.id) for rec in (no_image, elsewhere)]
    assert [a["data"]["content"] for a in answers] == [f"⚠️ {messages.NO_IMAGE_IN_MESSAGE}",
                                                      messages.outside_channels((art.id,))]
    assert all(a["type"] == 4 and a["data"]["flags"] & EPHEMERAL for a in answers)
    assert not world.downloads() and idle_pool.stats().queued == 0


# -- Tweak ------------------------------------------------------------------------------------

async def test_tweak_opens_a_form_filled_from_the_dream_and_dreams_the_photo_again(world, start_bot, pool):
    await start_bot(pool)
    command = await world.say(world.alice, TINY, cat())
    first = await world.result_of(command)
    before = settings_of(first)

    opened = await world.press(first, "tweak", world.bob)
    await world.fake.wait_for_interaction_response(opened.id)
    form = world.fake.modal_of(opened)
    assert form is not None, opened.callbacks
    filled = {c["custom_id"]: c.get("value") for row in form["components"] for c in row["components"]}
    assert filled == {"strength": before["strength"], "preset": before["preset"], "layers": "mixed2", "steps": "2"}

    submitted = await world.fake.submit_modal(opened, world.bob, {"steps": "3", "strength": "0.02"})
    tweaked = await world.interaction_result(submitted)

    after = settings_of(tweaked)
    assert (after["steps"], after["strength"]) == ("3", "0.02")
    assert {k: after[k] for k in ("layers", "seed", "size")} == {k: before[k] for k in ("layers", "seed", "size")}
    assert world.downloads() == [str(command.files[0].id)] * 2, "the tweak dreams the original photo"
    assert "dreambot:delete:%d" % world.bob in str(tweaked.components), "the new dream is the presser's"


async def test_a_bad_tweak_is_answered_in_one_line_only_to_the_member(world, start_bot, pool):
    await start_bot(pool)
    first = await world.result_of(await world.say(world.alice, TINY, coffee()))

    for values in ({"steps": "lots"}, {"layers": "mixed99"}, {"preset": "no-such-style"}):
        opened = await world.press(first, "tweak", world.alice)
        await world.fake.wait_for_interaction_response(opened.id)
        rec = await world.fake.submit_modal(opened, world.alice, values)
        answer = await world.fake.wait_for_interaction_response(rec.id)
        assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL, (values, answer)
        assert answer["data"]["content"].count("\n") == 0, (values, answer)
    assert len(world.downloads()) == 1, "nothing was fetched for a refused tweak"
