"""`/dreamconfig`'s native pickers end to end: channels as typed options, and the lists of
channels and roles chosen from select menus (component types 8 and 6), checked again on every
pick. The real bot, a real SQLite file and discordlocal; nothing here dreams.
"""
from __future__ import annotations

import pytest

from discordlocal.models import GUILD_FORUM
from tests.botkit.moderators import MANAGE_GUILD, Staff

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

EPHEMERAL = 64
CHANNEL_OPTION, CHANNEL_SELECT, ROLE_SELECT = 7, 8, 6
#: text, announcement, forum and media channels: what a dream channel may be
DREAM_CHANNEL_TYPES = [0, 5, 15, 16]


@pytest.fixture
def staff(world) -> Staff:
    return Staff.create(world)


async def pick_menu(world, user: int, setting: str):
    """Run `/dreamconfig pick setting:...`; the ephemeral answer and its select menu."""
    rec = await world.fake.invoke_slash(world.guild_id, world.channel_id, user, "dreamconfig pick",
                                        options={"setting": setting})
    await world.fake.wait_for_interaction_response(rec.id)
    message = world.fake.state.messages[rec.original_message_id]
    return message, menu_of(message)


def menu_of(message) -> dict:
    return next(c for row in message.components for c in row["components"])


def defaults(menu: dict) -> list[tuple[int, str]]:
    """What the menu shows as chosen (snowflakes may travel as numbers or strings)."""
    return [(int(v["id"]), v["type"]) for v in menu.get("default_values", [])]


async def picked(world, message, user: int, values: list[int]):
    """Pick `values` in the message's menu; the interaction's record once the bot answered."""
    rec = await world.fake.choose(message.id, menu_of(message)["custom_id"], user, values)
    await world.fake.wait_for_interaction_response(rec.id)
    return rec


async def test_channels_are_typed_options_of_text_channels_and_forums(world, staff, start_bot, idle_pool):
    art = world.fake.add_channel(world.guild_id, "art")
    bot = await start_bot(idle_pool)
    config = next(c for c in world.fake.commands() if c["name"] == "dreamconfig")
    channels = next(o for o in config["options"] if o["name"] == "channels")
    for sub in ("add", "remove", "default"):
        option = next(o for o in channels["options"] if o["name"] == sub)["options"][0]
        assert (option["name"], option["type"]) == ("channel", CHANNEL_OPTION)
        assert sorted(option["channel_types"]) == DREAM_CHANNEL_TYPES

    rec = await world.fake.invoke_slash(world.guild_id, world.channel_id, staff.admin, "dreamconfig channels add",
                                        options={"channel": art.id})
    answer = await world.fake.wait_for_interaction_response(rec.id)
    assert answer["data"]["content"] == f"Dreams allowed in: <#{art.id}>." and answer["data"]["flags"] & EPHEMERAL
    assert (await bot.store.get_guild(world.guild_id)).allowed_channels == (art.id,)


async def test_a_moderator_picks_the_allowed_channels_from_a_channel_select(world, staff, start_bot, idle_pool):
    art = world.fake.add_channel(world.guild_id, "art")
    gallery = world.fake.add_channel(world.guild_id, "gallery", type=GUILD_FORUM)
    bot = await start_bot(idle_pool)
    await bot.store.set_guild_value(world.guild_id, "allowed_channels", (art.id,), staff.admin)

    message, menu = await pick_menu(world, staff.admin, "allowed_channels")
    assert message.ephemeral and f"Now: <#{art.id}>." in message.content
    assert (menu["type"], menu["min_values"], menu["max_values"]) == (CHANNEL_SELECT, 0, 25)
    assert sorted(menu["channel_types"]) == DREAM_CHANNEL_TYPES
    assert defaults(menu) == [(art.id, "channel")]

    await picked(world, message, staff.admin, [world.channel_id, gallery.id])
    assert (await bot.store.get_guild(world.guild_id)).allowed_channels == (world.channel_id, gallery.id)
    shown = world.fake.state.messages[message.id]
    assert f"Now: <#{world.channel_id}>, <#{gallery.id}>." in shown.content
    assert defaults(menu_of(shown)) == [(world.channel_id, "channel"), (gallery.id, "channel")]
    assert (await bot.store.history(world.guild_id))[0].key == "allowed_channels"

    await picked(world, shown, staff.admin, [])  # nothing picked: every channel again
    assert (await bot.store.get_guild(world.guild_id)).allowed_channels == ()
    assert "Now: all." in world.fake.state.messages[message.id].content


async def test_role_selects_check_the_moderator_on_every_pick(world, staff, start_bot, idle_pool):
    bot = await start_bot(idle_pool)
    command = await world.say(staff.admin, "!dreamconfig pick exempt_roles")  # a public menu, in the channel
    message = await world.reply_to(command)
    assert menu_of(message)["type"] == ROLE_SELECT and not message.ephemeral

    refused = await picked(world, message, world.alice, [staff.vip_role])
    answer = refused.callbacks[0]
    assert answer["data"]["content"].startswith("⛔ Only members with the Manage Server permission")
    assert answer["data"]["flags"] & EPHEMERAL
    assert (await bot.store.get_guild(world.guild_id)).exempt_roles == ()

    await picked(world, message, staff.admin, [staff.vip_role, staff.helper_role])
    assert (await bot.store.get_guild(world.guild_id)).exempt_roles == (staff.vip_role, staff.helper_role)
    assert f"<@&{staff.vip_role}>" in world.fake.state.messages[message.id].content

    moderators, _ = await pick_menu(world, staff.admin, "moderator_roles")
    await picked(world, moderators, staff.admin, [staff.helper_role])
    # the helper role may now change settings, through the same menus
    await picked(world, message, staff.helper, [staff.vip_role])
    assert (await bot.store.get_guild(world.guild_id)).exempt_roles == (staff.vip_role,)


async def test_only_moderators_open_a_picker_and_a_german_one_reads_german(world, staff, start_bot, idle_pool):
    admins = world.fake.add_role(world.guild_id, "Admins (de)", MANAGE_GUILD)
    klaus = world.fake.add_user("klaus", locale="de")
    world.fake.add_member(world.guild_id, klaus.id, [admins.id])
    await start_bot(idle_pool)
    rec = await world.fake.invoke_slash(world.guild_id, world.channel_id, world.alice, "dreamconfig pick",
                                        options={"setting": "allowed_channels"})
    denied = await world.fake.wait_for_interaction_response(rec.id)
    assert denied["data"]["content"].startswith("⛔ Only members") and not denied["data"].get("components")

    message, _ = await pick_menu(world, klaus.id, "allowed_channels")
    assert message.content == "Wähle die Kanäle, in denen der Bot träumt (keine: alle). Jetzt: alle."


async def test_discordlocal_refuses_picks_the_menu_would_not_offer(world, staff, start_bot, idle_pool):
    thread_parent = world.fake.add_channel(world.guild_id, "art")
    await start_bot(idle_pool)
    thread = await world.fake.add_thread(thread_parent.id, "a thread")
    message, menu = await pick_menu(world, staff.admin, "allowed_channels")

    with pytest.raises(ValueError, match="channel types"):
        await world.fake.choose(message.id, menu["custom_id"], staff.admin, [thread.id])
    with pytest.raises(ValueError, match="takes 0 to 25 values"):
        await world.fake.choose(message.id, menu["custom_id"], staff.admin, [world.channel_id] * 26)
    with pytest.raises(ValueError, match="no select menu"):
        await world.fake.choose(message.id, "dreambot:pick:nothing", staff.admin, [])


async def test_a_pick_keeps_the_entries_a_menu_cannot_show(world, staff, start_bot, idle_pool):
    bot = await start_bot(idle_pool)
    many = tuple(range(10**17, 10**17 + 30))  # more than the 25 a select menu can hold
    await bot.store.set_guild_value(world.guild_id, "exempt_roles", many, staff.admin)
    message, _ = await pick_menu(world, staff.admin, "exempt_roles")

    await picked(world, message, staff.admin, [staff.vip_role])  # the 25 shown replaced by one

    assert (await bot.store.get_guild(world.guild_id)).exempt_roles == (staff.vip_role, *many[25:])
