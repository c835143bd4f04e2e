"""Cooldowns, daily quotas, exempt roles and `/dream-quota`, end to end against a real SQLite file.

The pool is never started: an accepted request shows as its "Queued" acknowledgement, a
refused one as a one-line reply, so nothing here has to dream.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import pytest

from bench.dreambot import bot_config
from bot.app import make_pool
from bot.store import quota_reset_at
from tests.botkit.files import cat, coffee
from tests.botkit.moderators import Staff

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

EPHEMERAL = 64


@pytest.fixture
def staff(world) -> Staff:
    return Staff.create(world)


async def dream(world, user: int, photo=cat) -> str:
    command = await world.say(user, "!dream size=96 octaves=1 steps=2", photo())
    return (await world.reply_to(command)).content


async def configure(world, staff: Staff, *settings: str) -> None:
    for setting in settings:
        command = await world.say(staff.admin, f"!dreamconfig set {setting}")
        assert (await world.reply_to(command)).content.startswith("Set "), setting


async def quota_of(world, user: int) -> str:
    rec = await world.slash(user, "dream-quota")
    answer = await world.fake.wait_for_interaction_response(rec.id)
    assert answer["data"]["flags"] & EPHEMERAL
    return answer["data"]["content"]


async def test_cooldown_is_enforced_and_exempt_roles_skip_it(world, staff, start_bot, idle_pool):
    await start_bot(idle_pool)
    await configure(world, staff, "cooldown_s 1h", f"exempt_roles <@&{staff.vip_role}>")

    first = await dream(world, world.alice)
    second = await dream(world, world.alice, coffee)
    other_user = await dream(world, world.bob)
    vip = [await dream(world, staff.vip), await dream(world, staff.vip, coffee)]

    assert is_status_text(first), first
    assert second.startswith("⚠️ Slow down"), second
    in_seconds = int(re.search(r"try again <t:(\d+):R>\.$", second)[1]) - time.time()  # Discord shows "in 1 hour"
    assert 3500 < in_seconds <= 3601, second
    assert is_status_text(other_user), "the cooldown is per member"
    assert all(is_status_text(text) for text in vip), vip
    assert "Cooldown: " in await quota_of(world, world.alice)
    assert "exempt" in await quota_of(world, staff.vip)
    assert idle_pool.stats().queued == 4


async def test_daily_quota_is_enforced_and_shown(world, staff, start_bot, idle_pool):
    await start_bot(idle_pool)
    await configure(world, staff, "daily_quota 2")
    assert "You used 0 of 2 dreams today; 2 left" in await quota_of(world, world.alice)

    accepted = [await dream(world, world.alice), await dream(world, world.alice, coffee)]
    refused = await dream(world, world.alice)
    command = await world.say(world.alice, "!dream quota")
    by_prefix = (await world.reply_to(command)).content

    assert all(is_status_text(text) for text in accepted), accepted
    midnight = f"<t:{int(quota_reset_at(datetime.now(timezone.utc)).timestamp())}:R>"  # next 00:00 UTC
    assert refused == f"⚠️ You used this server's daily quota of 2 dreams; it resets {midnight}."
    assert f"You used 2 of 2 dreams today; 0 left. The quota resets {midnight}" in by_prefix
    assert idle_pool.stats().queued == 2


async def test_bad_requests_do_not_use_up_the_quota(world, staff, start_bot, idle_pool):
    await start_bot(idle_pool)
    await configure(world, staff, "daily_quota 1")
    bad = await world.say(world.alice, "!dream steps=lots", cat())
    assert "steps" in (await world.reply_to(bad)).content

    assert "1 left" in await quota_of(world, world.alice)
    assert is_status_text(await dream(world, world.alice))


async def test_a_busy_answer_does_not_use_up_the_quota(world, staff, start_bot):
    config = bot_config(pool={"max_queue": 1})
    await start_bot(make_pool(config), config)  # never started: the first dream fills the queue
    await configure(world, staff, "daily_quota 1")
    assert is_status_text(await dream(world, world.bob))

    busy = await dream(world, world.alice)
    assert "queue is full" in busy
    assert "1 left" in await quota_of(world, world.alice)


async def test_per_user_pending_limit_from_the_server(world, staff, start_bot, idle_pool):
    await start_bot(idle_pool, bot_config(pool={"per_user": 3}))
    await configure(world, staff, "per_user_pending 1")

    first = await dream(world, world.alice)
    second = await dream(world, world.alice, coffee)

    assert is_status_text(first)
    assert "You already have 1 dream waiting or running" in second


def is_status_text(text: str) -> bool:
    """The "Queued"/"Dreaming" acknowledgement, as `bench.dreambot.is_status` reads a message."""
    return text.startswith("🌀")
