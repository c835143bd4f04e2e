"""What the bot tells people about itself: help, presets, layers, and the slash commands it syncs.

None of this dreams, so the pool never starts.
"""
from __future__ import annotations

import pytest

from bench.dreambot import bot_config
from discordlocal.gateway import MESSAGE_CONTENT
from dreaming.layers import ALIASES, LAYERS
from dreaming.presets import load_presets
from tests.botkit.moderators import Staff

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(60)]

PRESETS = load_presets()
EPHEMERAL = 1 << 6


def lists_presets(text: str) -> bool:
    return text.startswith("**Presets**") and all(f"`{p.name}` — {p.description}" in text for p in PRESETS.values())


def lists_layers(text: str) -> bool:
    """Every layer, and every alias beside the layer it runs."""
    return (text.startswith("**Layers**") and all(f"`{name}`" in text for name in LAYERS)
            and all(f"`{ALIASES[alias]}` (" in text and f"`{alias}`" in text for alias in ALIASES))


def is_help(text: str) -> bool:
    return "**Dream an image**" in text and "`preset`" in text and "`!dream cancel`" in text


@pytest.mark.parametrize("words, check", [("presets", lists_presets), ("layers", lists_layers),
                                          ("help", is_help), ("HELP", is_help)])
async def test_prefix_info_commands(world, start_bot, idle_pool, words, check):
    await start_bot(idle_pool)
    command = await world.say(world.alice, f"!dream {words}")

    reply = await world.reply_to(command)

    assert check(reply.content), reply.content
    assert len(reply.content) <= 2000


@pytest.mark.parametrize("name, check", [("dream-presets", lists_presets), ("dream-layers", lists_layers),
                                         ("dream-help", is_help)])
async def test_slash_info_commands_answer_privately(world, start_bot, idle_pool, name, check):
    await start_bot(idle_pool)
    rec = await world.slash(world.alice, name)

    answer = await world.fake.wait_for_interaction_response(rec.id)

    assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
    assert check(answer["data"]["content"]), answer["data"]["content"]


async def test_slash_commands_are_synced_with_described_options(world, start_bot, idle_pool):
    await start_bot(idle_pool)

    synced = {c["name"]: c for c in world.fake.commands()}

    assert {"dream", "dream-presets", "dream-layers", "dream-help", "dream-cancel"} <= set(synced)
    options = {o["name"]: o for o in synced["dream"]["options"]}
    assert {"image", "preset", "layer", "strength", "seed", "steps", "octaves", "size"} <= set(options)
    assert options["image"]["type"] == 11 and not options["image"].get("required")
    assert options["preset"].get("autocomplete") and options["layer"].get("autocomplete")


@pytest.mark.parametrize("option, typed, expected", [("preset", "night", ["nightmare"]),
                                                     ("layer", "mixed4", ["mixed4", "mixed4a"])])
async def test_autocomplete_suggests_presets_and_layers(world, start_bot, idle_pool, option, typed, expected):
    await start_bot(idle_pool)

    choices = await world.fake.autocomplete(world.guild_id, world.channel_id, world.alice, "dream",
                                            options={option: typed}, focused=option)

    values = [c["value"] for c in choices]
    assert all(e in values for e in expected) and all(typed in v for v in values), values
    assert len(choices) <= 25 and all(len(c["name"]) <= 100 for c in choices)



async def test_layer_autocomplete_lists_what_each_paints_and_only_what_the_server_allows(world, start_bot,
                                                                                         idle_pool):
    staff = Staff.create(world)
    await start_bot(idle_pool)
    set_layers = await world.say(staff.admin, "!dreamconfig set allowed_layers mixed5 mixed8")
    assert (await world.reply_to(set_layers)).content.startswith("Set ")

    choices = await world.fake.autocomplete(world.guild_id, world.channel_id, world.alice, "dream",
                                            options={"layer": "mixed"}, focused="layer")

    values = {c["value"] for c in choices}
    assert values == {"mixed5", "mixed8", "mixed4c", "mixed5a"}, values  # the blocks and their aliases
    assert any(c["value"] == "mixed5" and "dog faces" in c["name"] for c in choices), choices


async def test_with_two_models_the_layer_lists_follow_the_model(world, start_bot, idle_pool):
    await start_bot(idle_pool, bot_config(pool={"models": ["inception_v3", "vgg16"]}))

    choices = await world.fake.autocomplete(world.guild_id, world.channel_id, world.alice, "dream",
                                            options={"model": "vgg16", "layer": "conv5"}, focused="layer")
    assert {c["value"] for c in choices} == {"conv5_1", "conv5_2", "conv5_3"}, choices  # the blog's names
    default = await world.fake.autocomplete(world.guild_id, world.channel_id, world.alice, "dream",
                                            options={"layer": "mixed5"}, focused="layer")
    assert {c["value"] for c in default} == {"mixed5", "mixed5a", "mixed5b"}, default  # the first offered

    listing = await world.reply_to(await world.say(world.alice, "!dream layers"))
    assert "`model=vgg16`" in listing.content and "`block5_conv1` (`conv5_1`)" in listing.content
    assert "`mixed5` (`mixed4c`)" in listing.content and len(listing.content) <= 2000


@pytest.mark.parametrize("allow_dms, contexts", [(False, [0]), (True, [0, 1, 2])])
async def test_dream_commands_are_offered_in_dms_only_when_the_operator_allows(world, start_bot, idle_pool,
                                                                               allow_dms, contexts):
    await start_bot(idle_pool, bot_config(dream={"allow_dms": allow_dms}))
    synced = {c["name"]: c for c in world.fake.commands()}
    for name in ("dream", "dream-cancel", "dream-queue", "dream-quota"):
        assert sorted(synced[name]["contexts"]) == contexts, (name, synced[name].get("contexts"))


async def test_slash_only_mode_needs_no_message_content_intent(world, start_bot, idle_pool):
    """`discord.prefix: null`: the bot asks for no privileged intent, answers slash commands,
    and still takes text commands that mention it (Discord keeps their content)."""
    bot = await start_bot(idle_pool, bot_config(discord={"prefix": None}))
    [session] = world.fake.gateway.sessions.values()
    assert not session.intents & MESSAGE_CONTENT

    rec = await world.slash(world.alice, "dream-help")
    answer = await world.fake.wait_for_interaction_response(rec.id)
    assert "**Dream an image**" in answer["data"]["content"]
    assert "`@Dreambot dream cancel`" in answer["data"]["content"], "the help speaks the mention, not `!`"
    typed = await world.say(world.alice, "!dream help")  # without the intent the bot can't read it
    mentioned = await world.say(world.alice, f"<@{bot.user.id}> dream help")
    assert "**Dream an image**" in (await world.reply_to(mentioned)).content
    assert not [m for m in world.fake.messages_in(world.channel_id) if m.reference_id == typed.id]
