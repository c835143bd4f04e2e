"""Server settings that change dreams, end to end with the real pool and model: a server's
max side, its own presets through `/dream` and `!dream`, spoilers and its privacy text.
"""
from __future__ import annotations

import pytest

from bench.dreambot import is_status, settings_of
from tests.botkit.files import cat, coffee, image_of
from tests.botkit.moderators import Staff

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(300), pytest.mark.slow]


@pytest.fixture
def staff(world) -> Staff:
    return Staff.create(world)


async def as_admin(world, staff: Staff, text: str) -> str:
    command = await world.say(staff.admin, text)
    return (await world.reply_to(command)).content


async def test_server_max_side_limits_the_next_dream_and_says_so(world, staff, start_bot, pool):
    await start_bot(pool)
    assert await as_admin(world, staff, "!dreamconfig set max_side 256") == "Set max_side to 256."

    command = await world.say(world.alice, "!dream size=1024 octaves=1 steps=2 layer=mixed2", cat())
    result = await world.result_of(command)

    assert max(image_of(result.files[0].data).size) <= 256
    assert settings_of(result)["size"] == "256"
    assert "Limited by this bot's settings: size 1024→256." in result.content


async def test_server_preset_through_slash_and_prefix_then_deleted(world, staff, start_bot, pool):
    await start_bot(pool)
    created = await as_admin(world, staff, '!dreamconfig preset create tiny layer=mixed2 steps=2 octaves=1 '
                                           'size=128 jitter=8 description="Tiny and quick"')
    assert created.startswith("Created server preset `tiny`")
    choices = await world.fake.autocomplete(world.guild_id, world.channel_id, world.bob, "dream",
                                            options={"preset": "ti"}, focused="preset")
    assert {"name": "tiny — Tiny and quick", "value": "tiny"} in choices

    rec = await world.slash(world.bob, "dream", image=coffee(), preset="tiny")
    by_slash = await world.interaction_result(rec)
    command = await world.say(world.alice, "!dream tiny", cat())
    by_prefix = await world.result_of(command)

    for result in (by_slash, by_prefix):
        line = settings_of(result)
        assert (line["preset"], line["layers"], line["steps"], line["size"], line["jitter"]) == \
            ("tiny", "mixed2", "2", "128", "8")
        assert max(image_of(result.files[0].data).size) == 128

    assert await as_admin(world, staff, "!dreamconfig preset delete tiny") == "Deleted server preset `tiny`."
    gone = await world.say(world.alice, "!dream tiny", cat())
    assert "Unknown option 'tiny'" in (await world.reply_to(gone)).content


async def test_spoilers_and_the_servers_privacy_text(world, staff, start_bot, pool):
    await start_bot(pool)
    await as_admin(world, staff, "!dreamconfig set spoiler_results on")
    await as_admin(world, staff, "!dreamconfig set privacy_reminder Only pets and plants here, please.")

    command = await world.say(world.alice, "!dream size=96 octaves=1 steps=2 layer=mixed2", cat())
    result = await world.result_of(command)

    assert result.files[0].filename.startswith("SPOILER_")
    assert result.content.endswith("-# Only pets and plants here, please.")


async def test_default_presets_per_server_and_per_channel(world, start_bot, idle_pool):
    """A member who names no preset gets the channel's default, else the server's."""
    staff = Staff.create(world)
    art = world.fake.add_channel(world.guild_id, "art").id
    await start_bot(idle_pool)
    for command in ("set default_preset nightmare", f"channels default <#{art}> textures"):
        reply = await world.reply_to(await world.say(staff.admin, f"!dreamconfig {command}"))
        assert not reply.content.startswith("⚠️"), reply.content

    here = await world.say(world.alice, "!dream", cat())
    there = await world.fake.send_message(art, world.bob, "!dream", attachments=[cat()])
    assert "#" in (await world.status_of(here)).content
    await world.fake.wait_for_message(art, predicate=lambda m: m.reference_id == there.id and is_status(m))
    jobs = {job.channel_id: job.settings["preset"] for job in await start_bot.stores[-1].unfinished_jobs()}
    assert jobs == {world.channel_id: "nightmare", art: "textures"}


@pytest.mark.parametrize("name", ["help", "cancel", "quota", "presets", "layers", "zoom", "noise"])
async def test_a_server_preset_cannot_take_a_command_name(world, start_bot, idle_pool, name):
    staff = Staff.create(world)
    await start_bot(idle_pool)
    reply = await world.reply_to(await world.say(staff.admin, f"!dreamconfig preset create {name} steps=3"))
    assert reply.content.startswith("⚠️") and "command of its own" in reply.content.replace("\\", "")
