"""Direct messages, where no server sets anything: the operator's switch, cooldown and quota
apply (`Config.dm_settings`), counted in a real SQLite file."""
from __future__ import annotations

import pytest

from bench.dreambot import bot_config
from bot.dream import admission, messages
from bot.errors import CoolingDown, DailyQuotaUsed
from bot.store import Store

DM = admission.Origin(guild_id=None, channel_id=555)


@pytest.fixture
async def store(tmp_path):
    async with await Store.open(tmp_path / "dreambot.db") as store:
        yield store


async def test_dms_are_refused_unless_the_operator_allows_them(store):
    closed = await admission.settings_for(store, None, bot_config().dm_settings)
    assert admission.refusal(closed, DM).text == messages.NO_DMS
    opened = await admission.settings_for(store, None, bot_config(dream={"allow_dms": True}).dm_settings)
    assert admission.refusal(opened, DM) is None


async def test_dms_keep_the_operators_cooldown(store):
    settings = bot_config(dream={"allow_dms": True, "dm_cooldown_s": 600, "dm_daily_quota": None}).dm_settings
    await admission.check_limits(store, settings, DM, user_id=7)
    await admission.count_start(store, settings, DM, user_id=7)
    with pytest.raises(CoolingDown):
        await admission.check_limits(store, settings, DM, user_id=7)
    await admission.check_limits(store, settings, DM, user_id=8)  # per member
    assert "Cooldown" in await admission.quota_text(store, settings, DM, 7)


async def test_dms_keep_the_operators_daily_quota(store):
    settings = bot_config(dream={"allow_dms": True, "dm_cooldown_s": 0, "dm_daily_quota": 2}).dm_settings
    for _ in range(2):
        await admission.count_start(store, settings, DM, user_id=7)
    with pytest.raises(DailyQuotaUsed):
        await admission.count_start(store, settings, DM, user_id=7)
    assert "You used 2 of 2 dreams today; 0 left" in await admission.quota_text(store, settings, DM, 7)
