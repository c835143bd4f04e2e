"""Every language: the catalogs are complete, Discord gets the commands' German names and
descriptions when the bot syncs, interactions answer in the member's language, and prefix
commands in the server's. The real bot against discordlocal; only the last test dreams.
"""
from __future__ import annotations

import pytest

from bench.dreambot import World
from bot.i18n import CATALOGS, de, en, placeholders
from tests.botkit.files import cat
from tests.botkit.moderators import Staff

pytestmark = pytest.mark.timeout(120)
#: the end-to-end tests share the module's event loop (and its pool of workers)
on_module_loop = pytest.mark.asyncio(loop_scope="module")

EPHEMERAL = 64
SUBCOMMAND, GROUP = 1, 2


def test_every_catalog_has_every_message_with_the_same_placeholders():
    for language, catalog in CATALOGS.items():
        assert set(catalog) == set(en.MESSAGES), (language, set(catalog) ^ set(en.MESSAGES))
        for key, template in catalog.items():
            english = en.MESSAGES[key]
            assert type(template) is type(english), (language, key)
            if isinstance(template, dict):
                assert set(template) == {"one", "other"}, (language, key)
            assert placeholders(template) == placeholders(english), (language, key)


def test_the_catalog_check_catches_a_missing_placeholder():
    assert placeholders("Set {key} to {value}.") != placeholders("{key} ist jetzt.")
    assert placeholders({"one": "{count} Traum", "other": "{count} Träume"}) == {"count"}


@on_module_loop
async def test_synced_commands_carry_every_german_name_and_description(world, start_bot, idle_pool):
    await start_bot(idle_pool)
    seen: dict[str, tuple[str, str]] = {}

    def walk(item: dict, key: str) -> None:
        names, descriptions = item.get("name_localizations") or {}, item.get("description_localizations") or {}
        assert set(names) == {"de"}, (key, names)  # English is the default; no other language is claimed
        seen[key] = (names["de"], descriptions.get("de", ""))
        for option in item.get("options", []):
            nested = option["type"] in (SUBCOMMAND, GROUP)
            walk(option, f"{key} {option['name']}" if nested else f"{key}.{option['name']}")

    commands = world.fake.commands()
    for command in commands:
        walk(command, command["name"])

    assert seen == de.COMMANDS  # every command, subcommand and option; nothing stale in the catalog
    dream = next(c for c in commands if c["name"] == "dream")
    assert dream["description_localizations"] == {"de": "Ein Bild mit DeepDream träumen"}
    menu = next(c for c in commands if c["type"] == 3)
    assert menu["name_localizations"] == {"de": "Dieses Bild träumen"} and not menu.get("description_localizations")


async def slash_answer(world, user: int, command: str, /, **options) -> dict:
    rec = await world.fake.invoke_slash(world.guild_id, world.channel_id, user, command, options=options)
    return (await world.fake.wait_for_interaction_response(rec.id))["data"]


@on_module_loop
async def test_a_german_member_is_answered_in_german_an_english_one_in_english(world, staff, start_bot, idle_pool):
    jonas = world.fake.add_user("jonas", guilds=[world.guild_id], locale="de").id
    await start_bot(idle_pool)

    usage = await slash_answer(world, jonas, "dream")  # no image: told how, privately
    english = await slash_answer(world, world.alice, "dream")
    queue = await slash_answer(world, jonas, "dream-queue")
    denied = await slash_answer(world, jonas, "dreamconfig set", key="max_side", value="256")
    show = await slash_answer(world, jonas, "dreamconfig show")

    assert usage["content"] == de.MESSAGES["slash_usage"] and usage["flags"] & EPHEMERAL
    assert english["content"] == en.MESSAGES["slash_usage"]
    assert queue["content"] == ("Du hast keinen wartenden oder laufenden Traum. "
                                "0 Träume warten auf einen Worker.")
    assert denied["content"].startswith("⛔ Nur Mitglieder mit der Berechtigung „Server verwalten“")
    assert show["content"].startswith("**Dreambot-Einstellungen auf diesem Server**")
    assert "`enabled`: an — ob der Bot auf diesem Server träumt" in show["content"]


@on_module_loop
async def test_prefix_commands_answer_in_the_servers_preferred_locale(fake, start_bot, idle_pool):
    world = World.create(fake, preferred_locale="de")
    staff = Staff.create(world)
    await start_bot(idle_pool)

    async def answer(user: int, text: str) -> str:
        return (await world.reply_to(await world.say(user, text))).content.replace("\\_", "_")

    assert await answer(world.alice, "!dream") == de.MESSAGES["usage"].format(prefix="!")
    assert await answer(world.alice, "!dream cancel") == "Du hast keinen wartenden oder laufenden Traum."
    assert (await answer(world.alice, "!dreamconfig set max_side 256")).startswith("⛔ Nur Mitglieder")
    assert await answer(staff.admin, "!dreamconfig set max_side 256") == "max_side ist jetzt 256."
    assert await answer(staff.admin, "!dreamconfig set cooldown_s off") == "cooldown_s ist jetzt keine."


@pytest.fixture
def staff(world) -> Staff:
    return Staff.create(world)


@pytest.mark.slow
@on_module_loop
async def test_a_german_dream_waits_progresses_and_arrives_in_german(world, start_bot, pool):
    jonas = world.fake.add_user("jonas", guilds=[world.guild_id], locale="de").id
    await start_bot(pool)

    rec = await world.fake.invoke_slash(world.guild_id, world.channel_id, jonas, "dream",
                                        options={"size": 96, "octaves": 1, "steps": 2},
                                        attachments={"image": cat()})
    result = await world.interaction_result(rec)

    seen = [content for _, content in result.edit_log]  # the one response, edited: queued, progress, result
    statuses = [content for content in seen if content.startswith("🌀")]
    assert statuses and all(s.startswith(("🌀 In der Warteschlange", "🌀 Träume…")) for s in statuses), seen
    assert "/traum-abbrechen" in statuses[0]
    labels = [c["label"] for row in result.components for c in row["components"]]
    assert labels == ["Weiterträumen", "Neu würfeln", "Anpassen", "Vergleichen", "Löschen"]
