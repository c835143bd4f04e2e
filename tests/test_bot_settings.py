"""`/dreamconfig` and `!dreamconfig` end to end: who may change what, validation, the audit log,
channels, server data removal. The real bot and a real SQLite file; nothing here dreams.
"""
from __future__ import annotations

import pytest

from bench.dreambot import bot_config, is_status
from bot.moderation.guild_settings import GuildSettings
from bot.store import Store
from tests.botkit.files import cat
from tests.botkit.moderators import Staff, guild_rows

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

EPHEMERAL = 64
DENIED = "Only members with the Manage Server permission"
#: a slash option that names #general (Discord sends a channel option as the channel's id)
GENERAL = "#general"
#: every subcommand that changes something, as typed after `!dreamconfig`, and as slash (name, options)
CHANGES = [
    ("set max_side 256", "dreamconfig set", {"key": "max_side", "value": "256"}),
    ("reset max_side", "dreamconfig reset", {"key": "max_side"}),
    ("reset", "dreamconfig reset", {}),
    ("reset all", "dreamconfig reset", {"key": "all"}),
    ("channels add general", "dreamconfig channels add", {"channel": GENERAL}),
    ("channels remove general", "dreamconfig channels remove", {"channel": GENERAL}),
    ("pick allowed_channels", "dreamconfig pick", {"setting": "allowed_channels"}),
    ("preset create calm steps=5", "dreamconfig preset create", {"name": "calm", "settings": "steps=5"}),
    ("preset delete calm", "dreamconfig preset delete", {"name": "calm"}),
    ("history", "dreamconfig history", {}),
]


@pytest.fixture
def staff(world) -> Staff:
    return Staff.create(world)


async def slash_answer(world, user: int, command: str, /, **options) -> dict:
    rec = await world.fake.invoke_slash(world.guild_id, world.channel_id, user, command, options=options,
                                        attachments={"image": options.pop("image")} if "image" in options else None)
    return await world.fake.wait_for_interaction_response(rec.id)


async def say_and_read(world, user: int, text: str) -> str:
    """The reply's text as Discord renders it (echoed names are markdown-escaped: max\\_side)."""
    command = await world.say(user, text)
    return (await world.reply_to(command)).content.replace("\\_", "_")


async def test_non_moderators_are_denied_every_change_both_ways(world, staff, start_bot, idle_pool):
    bot = await start_bot(idle_pool)
    await bot.store.create_preset(world.guild_id, "calm", {"steps": 5}, "Calm", staff.admin)
    before = await bot.store.history(world.guild_id)

    for text, name, options in CHANGES:
        prefix = await say_and_read(world, world.alice, f"!dreamconfig {text}")
        assert prefix.startswith("⛔") and DENIED in prefix, (text, prefix)
        # mod has Manage Messages, not Manage Server: still no
        options = {k: world.channel_id if v == GENERAL else v for k, v in options.items()}
        answer = await slash_answer(world, world.mod, name, **options)
        assert DENIED in answer["data"]["content"] and answer["data"]["flags"] & EPHEMERAL, (name, answer)

    assert await bot.store.get_guild(world.guild_id) == GuildSettings()
    assert [p.name for p in await bot.store.list_presets(world.guild_id)] == ["calm"]
    assert await bot.store.history(world.guild_id) == before


async def test_everyone_may_read_show(world, start_bot, idle_pool):
    await start_bot(idle_pool)
    text = await say_and_read(world, world.alice, "!dreamconfig show")
    answer = await slash_answer(world, world.bob, "dreamconfig show")

    assert "`max_side`: default" in text and "size ≤ 1024" in text
    assert answer["data"]["flags"] & EPHEMERAL and "Dreams run within" in answer["data"]["content"]


async def test_manage_server_member_changes_settings_and_history_shows_who(world, staff, start_bot, idle_pool):
    await start_bot(idle_pool)
    assert await say_and_read(world, staff.admin, "!dreamconfig set max_side 256") == "Set max_side to 256."
    answer = await slash_answer(world, staff.admin, "dreamconfig set", key="cooldown_s", value="5m")
    assert answer["data"]["content"] == "Set cooldown_s to 300 s." and answer["data"]["flags"] & EPHEMERAL

    shown = await say_and_read(world, world.alice, "!dreamconfig show")
    history = await say_and_read(world, staff.admin, "!dreamconfig history")

    assert "**`max_side`: 256**" in shown and "size ≤ 256" in shown
    lines = history.splitlines()[1:]
    assert f"<@{staff.admin}> · set cooldown_s: none → 300 s" in lines[0]
    assert f"<@{staff.admin}> · set max_side: default → 256" in lines[1]


async def test_a_configured_moderator_role_may_change_settings(world, staff, start_bot, idle_pool):
    await start_bot(idle_pool)
    assert DENIED in await say_and_read(world, staff.helper, "!dreamconfig set daily_quota 5")

    await say_and_read(world, staff.admin, f"!dreamconfig set moderator_roles <@&{staff.helper_role}>")
    by_prefix = await say_and_read(world, staff.helper, "!dreamconfig set daily_quota 5")
    by_slash = await slash_answer(world, staff.helper, "dreamconfig reset", key="daily_quota")
    history = await slash_answer(world, staff.helper, "dreamconfig history")

    assert by_prefix == "Set daily_quota to 5."
    assert by_slash["data"]["content"] == "Reset daily_quota to unlimited."
    assert f"<@{staff.helper}> · reset daily_quota: 5 → unlimited" in history["data"]["content"]
    assert f"<@{staff.helper}> · set daily_quota: unlimited → 5" in history["data"]["content"]


async def test_operator_cap_beats_a_moderator_asking_for_more(world, staff, start_bot, idle_pool):
    await start_bot(idle_pool, bot_config(limits={"max_side": 512, "steps": 20}))
    refused = await say_and_read(world, staff.admin, "!dreamconfig set max_side 2048")
    refused_slash = await slash_answer(world, staff.admin, "dreamconfig set", key="max_steps", value="50")
    accepted = await say_and_read(world, staff.admin, "!dreamconfig set max_side 512")

    assert "max_side" in refused and "above the operator's cap of 512" in refused
    assert "above the operator's cap of 20" in refused_slash["data"]["content"]
    assert accepted == "Set max_side to 512."


async def test_values_are_validated_with_clear_errors(world, staff, start_bot, idle_pool):
    await start_bot(idle_pool)
    unknown = await say_and_read(world, staff.admin, "!dreamconfig set max_sid 256")
    wrong_type = await say_and_read(world, staff.admin, "!dreamconfig set daily_quota lots")
    bad_channel = await say_and_read(world, staff.admin, "!dreamconfig channels add #nowhere")

    assert "unknown setting; did you mean 'max_side'?" in unknown
    assert "daily_quota" in wrong_type and "must be a whole number" in wrong_type
    shown = bad_channel.replace("\\#", "#")  # as Discord renders the escaped echo
    assert shown.startswith("⚠️ No channel #nowhere on this server") and "\n" not in shown


async def test_allowed_channels_notice_then_silence(world, staff, start_bot, idle_pool):
    art = world.fake.add_channel(world.guild_id, "art")
    await start_bot(idle_pool)
    added = await say_and_read(world, staff.admin, f"!dreamconfig channels add <#{art.id}>")
    assert added == f"Dreams allowed in: <#{art.id}>."

    notice = await say_and_read(world, world.alice, "!dream size=96")
    slash = await slash_answer(world, world.bob, "dream", image=cat())
    assert notice == f"Dreams are only made in <#{art.id}> on this server."
    assert slash["type"] == 4 and slash["data"]["flags"] & EPHEMERAL and f"<#{art.id}>" in slash["data"]["content"]

    await say_and_read(world, staff.admin, "!dreamconfig set outside_channel_reply silent")
    ignored = await world.say(world.alice, "!dream size=96", cat())
    later = await world.say(world.alice, "!dream help")
    await world.reply_to(later)  # the bot has answered a later message, so it has seen the first
    assert not [m for m in world.fake.messages_in(world.channel_id) if m.reference_id == ignored.id]

    in_art = await world.fake.send_message(art.id, world.alice, "!dream size=96", attachments=[cat()])
    status = await world.fake.wait_for_message(art.id, predicate=lambda m: m.reference_id == in_art.id)
    assert is_status(status), status.content
    assert idle_pool.stats().queued == 1

    removed = await say_and_read(world, staff.admin, f"!dreamconfig channels remove <#{art.id}>")
    assert removed == "Dreams allowed in: all."


async def test_bot_turned_off(world, staff, start_bot, idle_pool):
    await start_bot(idle_pool)
    await say_and_read(world, staff.admin, "!dreamconfig set enabled off")
    assert await say_and_read(world, world.alice, "!dream") == "Dreambot is turned off on this server."


async def test_server_presets_are_checked_and_listed_in_autocomplete(world, staff, start_bot, idle_pool):
    await start_bot(idle_pool)
    created = await slash_answer(world, staff.admin, "dreamconfig preset create", name="Calm",
                                 settings='layer=mixed3 steps=4 octaves=2x1.3 description="Soft swirls"')
    builtin = await say_and_read(world, staff.admin, "!dreamconfig preset create classic steps=3")
    bad_key = await say_and_read(world, staff.admin, "!dreamconfig preset create odd colour=red")
    bad_value = await say_and_read(world, staff.admin, "!dreamconfig preset create odd steps=9999")

    assert created["data"]["content"].startswith("Created server preset `calm`")
    assert "a built-in preset has that name" in builtin
    assert "Unknown option 'colour'" in bad_key
    assert "steps" in bad_value and "allowed 1..200" in bad_value
    choices = await world.fake.autocomplete(world.guild_id, world.channel_id, world.alice, "dream",
                                            options={"preset": "ca"}, focused="preset")
    assert choices[0] == {"name": "calm — Soft swirls", "value": "calm"}
    listed = await say_and_read(world, world.alice, "!dreamconfig preset list")
    assert "`calm` — Soft swirls · layers=mixed3 steps=4 octaves=2 octave_scale=1.3" in listed

    deleted = await say_and_read(world, staff.admin, "!dreamconfig preset delete calm")
    assert deleted == "Deleted server preset `calm`."
    choices = await world.fake.autocomplete(world.guild_id, world.channel_id, world.alice, "dream",
                                            options={"preset": "ca"}, focused="preset")
    assert "calm" not in [c["value"] for c in choices]


async def test_at_most_25_server_presets(world, staff, start_bot, idle_pool):
    bot = await start_bot(idle_pool)
    for i in range(25):
        await bot.store.create_preset(world.guild_id, f"p{i}", {"steps": 5}, "Five steps", staff.admin)
    refused = await say_and_read(world, staff.admin, "!dreamconfig preset create p25 steps=5")
    replaced = await say_and_read(world, staff.admin, "!dreamconfig preset create p3 steps=6")

    assert "already has 25 presets" in refused
    assert replaced.startswith("Replaced server preset `p3`")


async def test_reset_all_deletes_the_servers_data(world, staff, start_bot, idle_pool, tmp_path):
    bot = await start_bot(idle_pool)
    await say_and_read(world, staff.admin, "!dreamconfig set max_side 300")
    await say_and_read(world, staff.admin, "!dreamconfig preset create calm steps=5")
    other = 4242  # another server's data stays
    await bot.store.set_guild_value(other, "daily_quota", 3, staff.admin)
    db = bot.store.path
    assert guild_rows(db, world.guild_id)["guild_presets"] == 1

    answer = await slash_answer(world, staff.admin, "dreamconfig reset", key="all")

    assert answer["data"]["content"].startswith("Deleted all of Dreambot's data for this server")
    assert set(guild_rows(db, world.guild_id).values()) == {0}
    assert guild_rows(db, other)["guild_settings"] == 1


async def test_removing_the_bot_from_a_server_deletes_its_data(world, staff, start_bot, idle_pool):
    bot = await start_bot(idle_pool)
    await say_and_read(world, staff.admin, "!dreamconfig set daily_quota 3")
    await say_and_read(world, staff.admin, "!dreamconfig preset create calm steps=5")
    assert guild_rows(bot.store.path, world.guild_id)["audit"] == 2

    await world.fake.remove_bot_from_guild(world.guild_id)

    await world.fake.wait_until(lambda: set(guild_rows(bot.store.path, world.guild_id).values()) == {0},
                                timeout=10, what="the server's rows deleted")


async def test_store_is_real_sqlite_and_survives_a_restart(world, staff, start_bot, idle_pool, tmp_path):
    db = tmp_path / "kept.db"
    await start_bot(idle_pool, db=db)
    await say_and_read(world, staff.admin, "!dreamconfig set max_side 300")
    async with await Store.open(db) as reopened:  # a second connection, as after a restart
        assert (await reopened.get_guild(world.guild_id)).max_side == 300
