"""Reliability and safety under hostile or heavy use (issue "Hardening"), end to end: the
real bot, the real pool and a real SQLite file against the local Discord-compatible server."""
from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

import pytest
from aiohttp import web

import bot.app
from bot.dream import messages
from bench.dreambot import World, bot_config
from discordlocal.models import DEFAULT_EVERYONE_PERMISSIONS
from dreaming.layers import MAX_SPEC_CHARS
from dreaming.presets import MAX_NAME_CHARS
from tests.botkit.files import cat, coffee
from tests.botkit.moderators import Staff, job_statuses
from tests.resilience.cdn import lie_about

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

TINY = "!dream size=96 octaves=1 steps=2 layer=mixed2"


async def test_a_busy_pool_refuses_before_downloading_anything(world, start_bot, idle_pool, monkeypatch):
    """With the queue full, requests are answered "busy" without a byte downloaded for them."""
    monkeypatch.setattr(idle_pool, "max_queue", 1)
    await start_bot(idle_pool)
    waiting = await world.say(world.alice, TINY, cat())
    assert "#1 in line" in (await world.status_of(waiting)).content
    downloaded = len(world.downloads())

    refused = [await world.say(user, TINY, coffee()) for user in (world.bob, world.mod)]
    replies = [await world.reply_to(message) for message in refused]

    assert all("The queue is full" in reply.content for reply in replies), [r.content for r in replies]
    assert len(world.downloads()) == downloaded, "a refused request downloaded its attachment"


async def test_downloads_across_users_stay_within_the_byte_budget(world, start_bot, idle_pool):
    """Each download holds its largest possible size from the budget while it runs."""
    config = bot_config(limits={"max_attachment_mb": 1.0, "download_mb_in_flight": 2.0})
    started = await start_bot(idle_pool, config)
    budget, peak = started.runner.downloads, []
    real_share = budget.share

    def share(size):  # the real budget, watched: how much is out at the worst moment
        peak.append(budget.total - budget.free)
        return real_share(size)

    started.runner.downloads.share = share
    users = [world.alice, world.bob, world.mod] + [world.fake.add_user(f"u{i}", guilds=[world.guild_id]).id
                                                   for i in range(3)]
    commands = [await world.say(user, TINY, cat()) for user in users]
    for command in commands:
        assert "#" in (await world.status_of(command)).content  # all queued (the pool never starts)

    assert budget.free == budget.total, "every share was given back"
    assert max(peak) <= budget.total


async def test_slash_text_options_are_bounded_where_discord_checks_them(world, start_bot, idle_pool):
    await start_bot(idle_pool)
    [dream] = [c for c in world.fake.commands() if c["name"] == "dream"]
    options = {o["name"]: o for o in dream["options"]}
    assert options["preset"]["max_length"] == MAX_NAME_CHARS
    assert options["layer"]["max_length"] == MAX_SPEC_CHARS


@pytest.mark.parametrize("typed, shown", [
    ("steps=[click](https://evil.example)", r"\[click](https://evil.example)"),  # no masked link
    ("layer=__" + "x" * 600, "…"),
])
async def test_echoed_user_text_is_short_and_shown_literally(world, start_bot, idle_pool, typed, shown):
    await start_bot(idle_pool)
    reply = await world.reply_to(await world.say(world.alice, f"!dream {typed}", cat()))
    assert shown in reply.content, reply.content
    assert len(reply.content) < 300 and "\n" not in reply.content


async def test_the_operator_floor_on_octave_scale_is_applied_and_told(world, start_bot, pool):
    await start_bot(pool, bot_config(limits={"min_octave_scale": 1.3}))
    command = await world.say(world.alice, "!dream size=96 octaves=2x1.05 steps=1 layer=mixed2", cat())
    result = await world.result_of(command)
    assert "octaves=2x1.3" in result.content
    assert "octave_scale 1.05→1.3" in result.content


async def test_reset_all_mid_dream_still_delivers_the_dream(world, start_bot, pool, frozen_workers):
    staff = Staff.create(world)
    started = await start_bot(pool)
    command = await world.say(world.alice, "!dream size=256 octaves=2 steps=10 layer=mixed2", cat())
    await world.edited(await world.status_of(command), lambda m: "octave" in m.content)
    frozen_workers.freeze()  # mid-dream while a moderator resets everything

    reset = await world.say(staff.admin, "!dreamconfig reset all")
    await world.reply_to(reset)
    frozen_workers.release()

    assert (await world.result_of(command)).files, "the dream is delivered"
    assert await started.runner.wait_idle(30)
    assert set(job_statuses(started.store.path).values()) == {"done"}


async def test_finished_jobs_are_pruned_while_the_bot_stays_up(world, start_bot, idle_pool, monkeypatch):
    monkeypatch.setattr(bot.app, "PRUNE_EVERY", timedelta(seconds=0.05))
    started = await start_bot(idle_pool)
    old = await started.store.add_job(guild_id=world.guild_id, channel_id=world.channel_id, user_id=world.alice,
                                      attachment_url="https://cdn/a.png", filename="a.png", size=3, settings={})
    await started.store.mark_finished(old.job_id, "done")
    monkeypatch.setattr(bot.app, "JOB_RETENTION", timedelta(0))  # from now on, finished = old enough

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while old.job_id in job_statuses(started.store.path):
        assert loop.time() < deadline, "the finished job was never pruned"
        await asyncio.sleep(0.05)


async def test_cancel_while_the_image_downloads_stops_the_dream(world, start_bot, idle_pool, monkeypatch):
    """`!dream cancel` before the job reaches the pool: it is cancelled, and never queued."""
    requested, release = asyncio.Event(), asyncio.Event()
    png = cat()[1]

    async def held(request: web.Request) -> web.Response:  # a CDN that answers when told
        requested.set()
        await release.wait()
        return web.Response(body=png, content_type="image/png")

    app = web.Application()
    app.add_routes([web.get("/held.png", held)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = "http://127.0.0.1:%d/held.png" % runner.addresses[0][1]
        lie_about(monkeypatch, "held.png", url=url, size=len(png))
        await start_bot(idle_pool)
        command = await world.say(world.alice, TINY, ("held.png", png, "image/png"))
        await asyncio.wait_for(requested.wait(), 30)  # the bot is downloading it now

        reply = await world.reply_to(await world.say(world.alice, "!dream cancel"))
        release.set()
        answer = await world.reply_to(command)
    finally:
        await runner.cleanup()

    assert reply.content == messages.CANCELLED
    assert "cancelled" in answer.content and not answer.files
    assert idle_pool.stats().queued == 0, "the cancelled job never reached the pool"


async def test_a_database_that_refuses_writes_leaves_the_bot_answering(world, start_bot, idle_pool, tmp_path):
    """Writes failing mid-run (here another process holds the write lock past the bot's busy
    timeout; a full disk fails the same way): one clear line per request, and the bot goes on."""
    db = tmp_path / "dreambot.db"
    await start_bot(idle_pool, db=db)
    other = sqlite3.connect(db, timeout=0, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        command = await world.say(world.alice, TINY, cat())
        help_reply = await world.reply_to(await world.say(world.bob, "!dream help"))
        refused = await world.reply_to(command, lambda m: "⚠️" in m.content, timeout=60)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert messages.STORE_UNAVAILABLE in refused.content and "\n" not in refused.content
    assert "Dream an image" in help_reply.content, "the bot answers others meanwhile"
    queued = await world.say(world.bob, TINY, coffee())  # writable again: dreams are taken again
    assert "#" in (await world.status_of(queued)).content


# -- the invoker's own permissions ------------------------------------------------------------

SEND_MESSAGES, ATTACH_FILES, EPHEMERAL = 1 << 11, 1 << 15, 1 << 6


async def test_slash_dream_refuses_an_image_from_someone_who_cannot_attach_files(fake, start_bot, idle_pool):
    world = World.create(fake, everyone_permissions=DEFAULT_EVERYONE_PERMISSIONS & ~ATTACH_FILES,
                         bot_permissions=ATTACH_FILES)  # the bot may attach; its members may not
    await start_bot(idle_pool)
    rec = await world.slash(world.alice, "dream", image=cat(), size=96, steps=1)
    answer = await fake.wait_for_interaction_response(rec.id)
    assert answer["data"]["content"] == f"⛔ {messages.YOU_CANNOT_ATTACH}"
    assert answer["data"]["flags"] & EPHEMERAL
    assert not world.downloads(), "nothing was fetched for a refused request"


async def test_buttons_refuse_someone_who_cannot_post_in_the_channel(fake, start_bot, pool):
    world = World.create(fake, everyone_permissions=DEFAULT_EVERYONE_PERMISSIONS & ~SEND_MESSAGES,
                         bot_permissions=SEND_MESSAGES | ATTACH_FILES)
    posters = fake.add_role(world.guild_id, "Posters", SEND_MESSAGES | ATTACH_FILES)
    fake.add_member(world.guild_id, world.alice, [posters.id])
    await start_bot(pool)
    result = await world.result_of(await world.say(world.alice, TINY, cat()))

    for action in ("again", "reroll"):
        rec = await world.press(result, action, world.bob)  # bob may read, not post
        answer = await fake.wait_for_interaction_response(rec.id)
        assert answer["data"]["content"] == f"⛔ {messages.YOU_CANNOT_POST}", action
        assert answer["data"]["flags"] & EPHEMERAL


# -- answers within Discord's 2,000 characters ------------------------------------------------

async def test_long_settings_answers_fit_in_one_message(world, start_bot, idle_pool):
    """A 500-character reminder, 20 allowed channels and 25 long presets: every answer is
    sent (Discord refuses over 2,000 characters), cut with a note of what was left out."""
    staff = Staff.create(world)
    channels = [world.fake.add_channel(world.guild_id, f"dream-room-{i:02d}").id for i in range(20)]
    await start_bot(idle_pool)

    async def moderate(text: str) -> str:
        reply = await world.reply_to(await world.say(staff.admin, f"!dreamconfig {text}"))
        assert not reply.content.startswith("⚠️ Something went wrong"), text
        assert len(reply.content) <= 2000, (text, len(reply.content))
        return reply.content

    await moderate("set privacy_reminder " + "Please mind privacy. " * 24)
    await moderate("set allowed_channels " + " ".join(f"<#{c}>" for c in channels))
    for i in range(25):
        await moderate(f'preset create p{i:02d} layer=mixed3 steps=3 description="{"A long description " * 4}"')
    assert "more" in await moderate("preset list") + await moderate("show")
    await moderate("channels list")
    await moderate("history")


async def test_the_operators_precision_is_what_every_job_runs_in(world, start_bot, idle_pool):
    started = await start_bot(idle_pool, bot_config(pool={"precision": "float32"}))
    command = await world.say(world.alice, TINY, cat())
    assert "#" in (await world.status_of(command)).content
    [job] = await started.store.unfinished_jobs()
    assert job.settings["precision"] == "float32"


async def test_buttons_in_a_channel_dreams_left_are_refused_privately(world, start_bot, pool):
    """A result in #general, then moderators limit dreams to #art (silently elsewhere): Dream
    again and Reroll there answer only the presser, nothing public, before any deferral."""
    staff = Staff.create(world)
    art = world.fake.add_channel(world.guild_id, "art").id
    await start_bot(pool)
    result = await world.result_of(await world.say(world.alice, TINY, cat()))
    for command in (f"channels add <#{art}>", "set outside_channel_reply silent"):
        assert not (await world.reply_to(await world.say(staff.admin, f"!dreamconfig {command}"))
                    ).content.startswith("⚠️")

    for action in ("again", "reroll"):
        rec = await world.press(result, action, world.alice)
        answer = await world.fake.wait_for_interaction_response(rec.id)
        assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL, answer  # no public "thinking…"
        assert f"<#{art}>" in answer["data"]["content"]
