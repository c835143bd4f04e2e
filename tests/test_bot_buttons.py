"""The buttons on a result: Dream again, Reroll, Delete, and that they outlive a restart.

Which image a button dreamt from is read off the fake CDN: the attachment ids the bot
downloaded, in order.
"""
from __future__ import annotations

import io

import pytest
from PIL import Image

from bench.dreambot import settings_of, stop_bot
from bot.dream import messages
from tests.botkit.files import cat, image_of

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

TINY = "!dream size=112 octaves=1 steps=2 layer=mixed3 seed=11"


def without_seed(settings: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in settings.items() if k != "seed"}


async def dream_once(world, user: int):
    """`user` dreams the cat; returns (their command, the result)."""
    command = await world.say(user, TINY, cat())
    return command, await world.result_of(command)


@pytest.mark.slow
async def test_dream_again_dreams_the_result_deeper(world, start_bot, pool):
    await start_bot(pool)
    _, first = await dream_once(world, world.alice)

    rec = await world.press(first, "again", world.bob)
    again = await world.interaction_result(rec)

    assert world.downloads()[-1] == str(first.files[0].id), "it dreams the result, not the photo"
    assert without_seed(settings_of(again)) == without_seed(settings_of(first))
    assert image_of(again.files[0].data).size == image_of(first.files[0].data).size
    assert "dreambot:delete:%d" % world.bob in str(again.components), "the new dream is the presser's"


@pytest.mark.slow
async def test_reroll_uses_the_same_settings_and_the_original_photo_with_a_new_seed(world, start_bot, pool):
    await start_bot(pool)
    command, first = await dream_once(world, world.alice)

    rec = await world.press(first, "reroll", world.alice)
    reroll = await world.interaction_result(rec)

    assert world.downloads() == [str(command.files[0].id)] * 2, "both dreams start from the photo"
    assert without_seed(settings_of(reroll)) == without_seed(settings_of(first))
    assert settings_of(reroll)["seed"] != settings_of(first)["seed"]


@pytest.mark.slow
async def test_delete_by_owner_stranger_and_moderator(world, start_bot, pool):
    await start_bot(pool)
    _, mine = await dream_once(world, world.alice)
    _, also_mine = await dream_once(world, world.alice)
    messages_of = world.fake.state.messages

    denied = await world.press(mine, "delete", world.bob)
    answer = await world.fake.wait_for_interaction_response(denied.id)
    assert answer["data"]["content"] == messages.NOT_YOURS and answer["data"]["flags"] & 64
    assert not messages_of[mine.id].deleted

    await world.press(mine, "delete", world.alice)
    await world.fake.wait_until(lambda: messages_of[mine.id].deleted, what="the owner's delete")
    await world.press(also_mine, "delete", world.mod)
    await world.fake.wait_until(lambda: messages_of[also_mine.id].deleted, what="the moderator's delete")


@pytest.mark.slow
async def test_buttons_keep_working_after_a_restart(world, start_bot, pool):
    first_bot = await start_bot(pool)
    command, result = await dream_once(world, world.alice)
    await stop_bot(first_bot)

    await start_bot(pool)  # a new process would know nothing of the old result either
    rec = await world.press(result, "reroll", world.alice)
    reroll = await world.interaction_result(rec)

    assert world.downloads() == [str(command.files[0].id)] * 2, "the photo is found from the reply chain"
    assert without_seed(settings_of(reroll)) == without_seed(settings_of(result))
    await world.press(result, "delete", world.alice)
    await world.fake.wait_until(lambda: world.fake.state.messages[result.id].deleted, what="delete after restart")


async def test_compare_shows_before_and_after_side_by_side_to_whoever_pressed(world, start_bot, pool):
    await start_bot(pool)
    command = await world.say(world.alice, "!dream size=128 octaves=1 steps=1 layer=mixed2", cat())
    result = await world.result_of(command)
    dreamed = Image.open(io.BytesIO(result.files[0].data))

    rec = await world.press(result, "compare", world.bob)  # anyone may look
    shown = await world.fake.wait_for_message(
        world.channel_id, predicate=lambda m: m.interaction_id == rec.id and bool(m.files), timeout=60)

    assert shown.ephemeral
    pair = Image.open(io.BytesIO(shown.files[0].data))
    assert pair.height == dreamed.height and pair.width > 2 * dreamed.width - 10
