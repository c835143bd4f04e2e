"""Discord behaviour at the edges (issue "Hardening" §3-4, issue "Members"), end to end: the
real bot against discordlocal, which behaves as Discord documents.

- A result whose upload response is lost (the message was made, the bot was told 5xx) is
  posted once: answers carry a nonce from the job id, with `enforce_nonce`.
- Delete and Cancel go by Manage Messages in that channel (overwrites), and `/dream image:`
  by Attach Files there.
- Threads and forum posts count as their parent channel for the server's allowed channels.
- Direct messages: refused in one line unless the operator allows them, then the
  operator's cooldown applies.
"""
from __future__ import annotations

import pytest

from bench.dreambot import World, bot_config, is_status
from bot.dream import messages
from bot.dream.replies import answer_nonce
from discordlocal.models import GUILD_FORUM
from tests.botkit.files import cat, coffee
from tests.botkit.moderators import job_statuses

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

TINY = "!dream size=96 octaves=1 steps=2 layer=mixed2"
MANAGE_MESSAGES, ATTACH_FILES, EPHEMERAL = 1 << 13, 1 << 15, 1 << 6
SEND_MESSAGES_IN_THREADS = 1 << 38


def bot_messages(world: World, channel_id: int, check=lambda m: True) -> list:
    return [m for m in world.fake.messages_in(channel_id) if m.author_id == world.fake.bot_user.id and check(m)]


# -- exactly once, through lost responses ------------------------------------------------------

@pytest.mark.parametrize("status", [500, 503], ids=["retried-by-discord.py", "not-retried"])
async def test_a_result_whose_response_was_lost_is_posted_once(world, start_bot, pool, frozen_workers, status):
    """Discord made the result, but its answer was lost (5xx). discord.py retries 500 itself,
    not 503, after which the bot sends it again; both times the job's nonce makes Discord
    return the message it made: one result, no error, the job done."""
    bot = await start_bot(pool)
    frozen_workers.freeze()  # the dream waits until the fault is armed
    command = await world.say(world.alice, TINY, cat())
    status_message = await world.status_of(command)
    lost = world.fake.lose_next_response(f"POST /api/v10/channels/{world.channel_id}/messages", status)
    frozen_workers.release()

    result = await world.result_of(command)
    await world.fake.wait_until(lambda: not bot.runner.busy(), timeout=60, what="the delivery to end")

    assert len(lost.hits) == 1, "the result's upload was the one whose response got lost"
    posts = [r for r in world.fake.requests if r.startswith(f"POST /api/v10/channels/{world.channel_id}/messages")]
    assert len(posts) == 3, posts  # the status, the result, the repeat
    assert [m.id for m in bot_messages(world, world.channel_id, lambda m: m.files)] == [result.id]
    assert result.nonce == answer_nonce(only_job(bot))
    assert not bot_messages(world, world.channel_id, lambda m: "⚠️" in m.content)
    assert world.fake.state.messages[status_message.id].deleted, "the delivery went on as a success"
    assert set(job_statuses(bot.store.path).values()) == {"done"}


def only_job(bot) -> str:
    """The one job's id, read from the store file."""
    (job_id,) = job_statuses(bot.store.path)
    return job_id


# -- permissions in the channel (overwrites) ----------------------------------------------------

@pytest.fixture
def rooms(world: World):
    """#quiet denies the Moderators role Manage Messages; #gallery allows it to the Helpers
    role, which has no permissions of its own; helper is a member with that role."""
    fake = world.fake
    quiet, gallery = fake.add_channel(world.guild_id, "quiet"), fake.add_channel(world.guild_id, "gallery")
    moderators = next(r for r in fake.state.guilds[world.guild_id].roles.values() if r.name == "Moderators")
    helpers = fake.add_role(world.guild_id, "Helpers")
    helper = fake.add_user("helper", guilds=[world.guild_id])
    fake.add_member(world.guild_id, helper.id, [helpers.id])
    fake.state.set_overwrite(quiet.id, moderators.id, deny=MANAGE_MESSAGES)
    fake.state.set_overwrite(gallery.id, helpers.id, allow=MANAGE_MESSAGES)
    return quiet.id, gallery.id, helper.id


async def test_cancel_goes_by_manage_messages_in_that_channel(world, rooms, start_bot, idle_pool):
    quiet, gallery, helper = rooms
    await start_bot(idle_pool)  # never started: the dreams wait, Cancel stays live

    async def status_in(channel_id: int):
        command = await world.fake.send_message(channel_id, world.alice, TINY, attachments=[cat()])
        return await world.fake.wait_for_message(channel_id, predicate=lambda m: m.reference_id == command.id)

    in_quiet, in_gallery = await status_in(quiet), await status_in(gallery)
    assert idle_pool.stats().queued == 2
    refused = [await world.press(in_quiet, "cancel", world.mod), await world.press(in_gallery, "cancel", world.bob)]
    for rec in refused:
        answer = await world.fake.wait_for_interaction_response(rec.id)
        assert (answer["data"]["content"], answer["data"]["flags"] & EPHEMERAL) == (messages.NOT_YOURS, EPHEMERAL)
    assert idle_pool.stats().queued == 2

    done = await world.press(in_gallery, "cancel", helper)  # Manage Messages only in #gallery
    answer = await world.fake.wait_for_interaction_response(done.id)
    assert answer["data"]["content"] == messages.CANCELLED
    await world.fake.wait_until(lambda: idle_pool.stats().queued == 1, what="one dream cancelled")


async def test_delete_goes_by_manage_messages_in_that_channel(world, rooms, start_bot, pool):
    quiet, gallery, helper = rooms
    await start_bot(pool)

    async def result_in(channel_id: int):
        command = await world.fake.send_message(channel_id, world.alice, TINY, attachments=[cat()])
        return await world.fake.wait_for_message(
            channel_id, predicate=lambda m: m.reference_id == command.id and bool(m.files), timeout=120)

    in_quiet, in_gallery = await result_in(quiet), await result_in(gallery)
    assert world.fake.permissions_in(quiet, world.mod) & MANAGE_MESSAGES == 0
    assert world.fake.permissions_in(gallery, helper) & MANAGE_MESSAGES
    stored = world.fake.state.messages

    for message, who in ((in_quiet, world.mod), (in_quiet, helper)):
        answer = await world.fake.wait_for_interaction_response((await world.press(message, "delete", who)).id)
        assert answer["data"]["content"] == messages.NOT_YOURS
    assert not stored[in_quiet.id].deleted

    await world.press(in_gallery, "delete", helper)
    await world.fake.wait_until(lambda: stored[in_gallery.id].deleted, what="the helper's delete in #gallery")


async def test_slash_dream_refuses_an_image_where_an_overwrite_denies_attach_files(world, start_bot, idle_pool):
    """The guild lets everyone attach; #no-uploads' @everyone overwrite does not."""
    no_uploads = world.fake.add_channel(world.guild_id, "no-uploads")
    await start_bot(idle_pool)
    await world.fake.set_permissions(no_uploads.id, world.guild_id, deny=ATTACH_FILES)

    rec = await world.fake.invoke_slash(world.guild_id, no_uploads.id, world.alice, "dream",
                                        options={"size": 96}, attachments={"image": cat()})
    answer = await world.fake.wait_for_interaction_response(rec.id)
    assert answer["data"]["content"] == f"⛔ {messages.YOU_CANNOT_ATTACH}" and answer["data"]["flags"] & EPHEMERAL
    assert not world.downloads()

    accepted = await world.slash(world.alice, "dream", image=cat(), size=96)  # #general has no overwrite
    await world.response_to(accepted, is_status)
    assert world.downloads()


# -- threads and forum posts --------------------------------------------------------------------

async def test_threads_count_as_their_parent_channel(world, start_bot, idle_pool):
    """allowed_channels = #art: a thread and a forum post under #art (the forum allowed too)
    are accepted; a thread under #general is refused with the notice."""
    fake = world.fake
    art, forum = fake.add_channel(world.guild_id, "art"), fake.add_channel(world.guild_id, "gallery", type=GUILD_FORUM)
    known = await fake.add_thread(art.id, "cats")  # in GUILD_CREATE's threads
    bot = await start_bot(idle_pool)
    await bot.store.set_guild_value(world.guild_id, "allowed_channels", (art.id, forum.id), world.mod)
    later = await fake.add_thread(art.id, "more cats", private=True)  # THREAD_CREATE
    post = await fake.add_thread(forum.id, "my cat")  # a forum post
    outside = await fake.add_thread(world.channel_id, "chat")

    for thread in (known, later, post):
        command = await fake.send_message(thread.id, world.alice, TINY, attachments=[cat()])
        status = await fake.wait_for_message(thread.id, predicate=lambda m: m.reference_id == command.id)
        assert is_status(status), (thread.name, status.content)
    command = await fake.send_message(outside.id, world.bob, TINY, attachments=[coffee()])
    refused = await fake.wait_for_message(outside.id, predicate=lambda m: m.reference_id == command.id)
    assert refused.content == messages.outside_channels((art.id, forum.id))
    assert idle_pool.stats().queued == 3


async def test_in_a_thread_the_parents_overwrites_decide_who_may_post(world, start_bot, idle_pool):
    """#announcements lets members read but not post in its threads: `/dream` there is refused
    to them, in a note only they see; in a thread of #general it is taken."""
    fake = world.fake
    announcements = fake.add_channel(world.guild_id, "announcements")
    closed, open_thread = await fake.add_thread(announcements.id, "news"), await fake.add_thread(world.channel_id, "chat")
    await start_bot(idle_pool)
    await fake.set_permissions(announcements.id, world.guild_id, deny=SEND_MESSAGES_IN_THREADS)

    refused = await fake.invoke_slash(world.guild_id, closed.id, world.alice, "dream", attachments={"image": cat()})
    answer = await fake.wait_for_interaction_response(refused.id)
    assert answer["data"]["content"] == f"⛔ {messages.YOU_CANNOT_POST}" and answer["data"]["flags"] & EPHEMERAL
    taken = await fake.invoke_slash(world.guild_id, open_thread.id, world.alice, "dream", attachments={"image": cat()})
    await world.response_to(taken, is_status)
    assert idle_pool.stats().queued == 1


# -- direct messages ------------------------------------------------------------------------------

async def test_dreams_in_dms_are_refused_in_one_line_when_the_operator_does_not_allow_them(world, start_bot, idle_pool):
    await start_bot(idle_pool)
    dm = world.fake.add_dm(world.alice)
    command = await world.fake.send_message(dm.id, world.alice, TINY, attachments=[cat()])
    answer = await world.fake.wait_for_message(dm.id, predicate=lambda m: m.reference_id == command.id)
    assert answer.content == messages.NO_DMS and answer.guild_id is None
    assert not world.downloads() and idle_pool.stats().queued == 0


async def test_dreams_in_dms_follow_the_operators_cooldown_when_allowed(world, start_bot, pool):
    await start_bot(pool, bot_config(dream={"allow_dms": True, "dm_cooldown_s": 3600}))
    dm = world.fake.add_dm(world.alice)
    first = await world.fake.send_message(dm.id, world.alice, TINY, attachments=[cat()])
    result = await world.fake.wait_for_message(dm.id, predicate=lambda m: m.reference_id == first.id and m.files,
                                               timeout=120)
    assert result.guild_id is None and result.files[0].content_type.startswith("image/")

    second = await world.fake.send_message(dm.id, world.alice, TINY, attachments=[cat()])
    refused = await world.fake.wait_for_message(dm.id, predicate=lambda m: m.reference_id == second.id)
    assert "Slow down" in refused.content and not refused.files
