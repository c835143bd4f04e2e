"""The queue as users meet it: full queue, per-user limit, fair turns, cancelling, and
the bound on uploads checked at once.

One warm worker serves the module, so a long dream (512 px, 3 octaves, 40 steps: far longer
than any test waits) holds it while others queue; each test cancels what it started.
"""
from __future__ import annotations

import threading
import time

import pytest

from bot.dream import messages
from dreaming import images
from tests.botkit.files import cat, coffee

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

LONG = "!dream size=512 octaves=3 steps=40 layer=mixed2"
TINY = "!dream size=96 octaves=1 steps=2 layer=mixed2"


async def hold_the_worker(world, user: int, frozen):
    """`user` starts a dream; returns (command, status) once a worker has taken it, with the
    worker frozen (SIGSTOP) so the dream stays running until `frozen.release()`, however
    fast the machine."""
    command = await world.say(user, LONG, coffee())
    status = await world.status_of(command)
    assert "starting" in status.content, f"the worker should take it at once: {status.content}"
    frozen.freeze()
    return command, status


def cancelled(message) -> bool:
    return "cancelled" in message.content


@pytest.mark.slow
async def test_full_queue_answers_at_once(world, start_bot, pool, monkeypatch, frozen_workers):
    monkeypatch.setattr(pool, "max_queue", 1)
    await start_bot(pool)
    await hold_the_worker(world, world.alice, frozen_workers)
    waiting = await world.say(world.bob, TINY, cat())
    assert "#1 in line" in (await world.status_of(waiting)).content

    refused = await world.say(world.mod, TINY, cat())
    reply = await world.reply_to(refused)

    assert "The queue is full (1 dream waiting)" in reply.content and "\n" not in reply.content
    assert pool.stats().queued == 1


@pytest.mark.slow
async def test_per_user_limit(world, start_bot, pool, monkeypatch, frozen_workers):
    monkeypatch.setattr(pool, "per_user", 1)
    await start_bot(pool)
    await hold_the_worker(world, world.alice, frozen_workers)

    second = await world.say(world.alice, TINY, cat())
    reply = await world.reply_to(second)

    assert "You already have 1 dream waiting or running" in reply.content
    other = await world.say(world.bob, TINY, cat())  # the limit is per user: bob still queues
    assert "#1 in line" in (await world.status_of(other)).content


@pytest.mark.slow
async def test_two_users_take_turns(world, start_bot, pool, frozen_workers):
    """Turns shared by work, not first come first served nor one job each: alice already has
    a long dream running (over 300 times the work of a tiny one), so both of bob's tiny
    dreams go ahead of hers."""
    await start_bot(pool)
    _, long_status = await hold_the_worker(world, world.alice, frozen_workers)
    queued = {}
    for name, user, place in [("a2", world.alice, 1), ("a3", world.alice, 2), ("b1", world.bob, 1),
                              ("b2", world.bob, 2)]:
        queued[name] = await world.say(user, f"{TINY} seed={place}", cat())
        status = await world.status_of(queued[name])
        assert f"#{place} in line" in status.content, (name, status.content)

    await world.press(long_status, "cancel", world.alice)  # frees the worker for the queue
    frozen_workers.release()
    finished = {name: (await world.result_of(command)).id for name, command in queued.items()}

    assert sorted(finished, key=finished.get) == ["b1", "b2", "a2", "a3"]  # message ids grow with time


@pytest.mark.slow
async def test_cancel_queued_dream_with_the_command(world, start_bot, pool, frozen_workers):
    await start_bot(pool)
    await hold_the_worker(world, world.bob, frozen_workers)
    queued = await world.say(world.alice, TINY, cat())
    status = await world.status_of(queued)

    reply = await world.reply_to(await world.say(world.alice, "!dream cancel"))

    assert reply.content == messages.CANCELLED
    assert cancelled(await world.edited(status, cancelled))
    assert pool.stats().queued == 0


@pytest.mark.slow
async def test_cancel_queued_dream_with_the_button(world, start_bot, pool, frozen_workers):
    await start_bot(pool)
    await hold_the_worker(world, world.bob, frozen_workers)
    queued = await world.say(world.alice, TINY, cat())
    status = await world.status_of(queued)

    denied = await world.press(status, "cancel", world.bob)
    answer = await world.fake.wait_for_interaction_response(denied.id)
    assert answer["data"]["content"] == messages.NOT_YOURS and answer["data"]["flags"] & 64  # ephemeral
    assert pool.stats().queued == 1

    rec = await world.press(status, "cancel", world.alice)
    answer = await world.fake.wait_for_interaction_response(rec.id)

    assert answer["data"]["content"] == messages.CANCELLED
    edited = await world.edited(status, cancelled)
    assert not edited.components, "the Cancel button goes once the dream is over"
    assert pool.stats().queued == 0


@pytest.mark.slow
async def test_cancel_running_dream_frees_the_worker(world, start_bot, pool, frozen_workers):
    await start_bot(pool)
    cancels_before = pool.stats().outcomes.get("cancelled", 0)
    command = await world.say(world.alice, LONG, coffee())
    status = await world.edited(await world.status_of(command), lambda m: "octave" in m.content)
    frozen_workers.freeze()  # mid-dream, and it stays so until released

    reply = await world.reply_to(await world.say(world.alice, "!dream cancel"))

    assert reply.content == messages.CANCELLED
    await world.edited(status, cancelled)
    frozen_workers.release()  # the worker sees the cancel at its next step
    after = await world.say(world.alice, TINY, cat())
    assert (await world.result_of(after)).files
    assert pool.stats().outcomes.get("cancelled", 0) == cancels_before + 1


async def test_a_burst_of_uploads_is_decoded_at_most_two_at_a_time(world, start_bot, idle_pool, monkeypatch):
    """The bot decodes each upload to refuse bad ones early; each decode holds a full RGB copy."""
    real_decode, lock = images.decode, threading.Lock()
    running, peak = 0, 0

    def slow_decode(*args, **kwargs):  # the real decode, made slow enough for a burst to overlap
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.3)
            return real_decode(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(images, "decode", slow_decode)
    await start_bot(idle_pool)
    users = [world.alice, world.bob, world.mod] + [world.fake.add_user(f"u{i}", guilds=[world.guild_id]).id
                                                   for i in range(3)]
    commands = [await world.say(user, TINY, coffee()) for user in users]

    for command in commands:
        assert "#" in (await world.status_of(command)).content  # all queued (the pool never starts)
    assert peak == 2


async def test_a_waiting_place_is_kept_true_and_shown_on_request(world, start_bot, idle_pool):
    """Bob waits behind Alice; she cancels: his status moves up by itself, and /dream-queue
    and !dream queue say where his dream is (the pool never starts: nothing dreams)."""
    await start_bot(idle_pool)
    alice = await world.say(world.alice, TINY, cat())
    assert "#1 in line" in (await world.status_of(alice)).content
    bob = await world.say(world.bob, TINY, coffee())
    bob_status = await world.status_of(bob)
    assert "#2 in line" in bob_status.content

    rec = await world.slash(world.bob, "dream-queue")
    answer = await world.fake.wait_for_interaction_response(rec.id)
    assert "Your dream: #2 in line" in answer["data"]["content"] and answer["data"]["flags"] & 64

    await world.reply_to(await world.say(world.alice, "!dream cancel"))
    moved = await world.edited(bob_status, lambda m: "#1 in line" in m.content)
    assert "Cancel" in str(moved.components)
    by_prefix = await world.reply_to(await world.say(world.bob, "!dream queue"))
    assert "Your dream: #1 in line. 1 dream waiting" in by_prefix.content
    nothing = await world.reply_to(await world.say(world.alice, "!dream queue"))
    assert nothing.content.startswith("You have no dream waiting or running.")
