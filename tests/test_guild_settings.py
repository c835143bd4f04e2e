"""GuildSettings: parsing `/dreamconfig set` values, the JSON codec, and caps against the operator's."""
from __future__ import annotations

import json

import pytest

from bot.config import Config, LimitsConfig
from bot.moderation.guild_settings import SETTINGS, GuildSettings, effective_caps
from bot.moderation.setting_text import format_value, parse_setting
from dreaming.errors import BadParam
from dreaming.params import LIMITS, Clamp
from dreaming.presets import load_presets
from dreaming.resolve import resolve_request

CAPS = Config().caps  # the operator's defaults: max_side 1024, octaves 6, steps 40, step_size 0.05


@pytest.mark.parametrize("key, text, value", [
    ("enabled", "off", False),
    ("enabled", " ON ", True),
    ("spoiler_results", "yes", True),
    ("max_side", "256", 256),
    ("max_side", "default", None),
    ("max_octaves", "3", 3),
    ("max_steps", "40", 40),  # exactly the cap is allowed
    ("max_strength", "0.02", 0.02),
    ("outside_channel_reply", "Silent", "silent"),
    ("per_user_pending", "1", 1),
    ("daily_quota", "25", 25),
    ("daily_quota", "unlimited", None),
    ("cooldown_s", "45", 45.0),
    ("cooldown_s", "5m", 300.0),
    ("cooldown_s", "1.5h", 5400.0),
    ("cooldown_s", "off", 0.0),
    ("privacy_reminder", "Be kind, no selfies.", "Be kind, no selfies."),
    ("privacy_reminder", "off", ""),
    ("privacy_reminder", "default", None),
    ("allowed_channels", "<#111>, 222 <#111>", (111, 222)),
    ("allowed_channels", "all", ()),
    ("exempt_roles", "<@&42>", (42,)),
    ("moderator_roles", "none", ()),
    ("allowed_presets", "classic, textures", ("classic", "textures")),
    ("allowed_layers", "mixed4c inception_4c/output mixed3", ("mixed5", "mixed3")),  # aliases run as their block
])
def test_values_parse(key, text, value):
    assert parse_setting(key, text, CAPS, presets=load_presets()) == value


@pytest.mark.parametrize("key, text, name, says", [
    ("maxside", "256", "maxside", "did you mean 'max_side'?"),
    ("Spoiler-Results", "on", "Spoiler-Results", "did you mean 'spoiler_results'?"),
    ("colour", "blue", "colour", "settings: enabled, allowed_channels"),
    ("max_side", "big", "max_side", "must be a whole number"),
    ("max_side", "256.5", "max_side", "must be a whole number"),
    ("max_strength", "nan", "max_strength", "must be a finite number"),
    ("max_side", "2048", "max_side", "above the operator's cap of 1024"),
    ("max_steps", "41", "max_steps", "above the operator's cap of 40"),
    ("max_strength", "0.2", "max_strength", "above the operator's cap of 0.05"),
    ("max_side", "10", "max_side", f"must be at least {LIMITS['max_side'].low:g}"),
    ("enabled", "maybe", "enabled", "must be on or off"),
    ("outside_channel_reply", "shout", "outside_channel_reply", "must be notice or silent"),
    ("daily_quota", "0", "daily_quota", "must be between 1 and"),
    ("per_user_pending", "two", "per_user_pending", "must be a whole number"),
    ("cooldown_s", "2d", "cooldown_s", "30, 5m, 1h"),
    ("cooldown_s", "25h", "cooldown_s", "at most 24h"),
    ("allowed_channels", "#general", "allowed_channels", "must be channels"),
    ("exempt_roles", "<@&0>", "exempt_roles", "must be roles"),
    ("allowed_layers", "mixd5", "allowed_layers", "did you mean 'mixed5'?"),
    ("allowed_presets", "clasic", "allowed_presets", "did you mean 'classic'?"),
    ("privacy_reminder", "x" * 501, "privacy_reminder", "at most 500 characters"),
])
def test_bad_values_are_refused_in_one_line(key, text, name, says):
    with pytest.raises(BadParam) as err:
        parse_setting(key, text, CAPS, presets=load_presets())
    assert err.value.name == name
    assert says in str(err.value)
    assert "\n" not in str(err.value)


def test_the_cap_checked_is_the_one_passed_in():
    low = Config(limits=LimitsConfig(max_side=512)).caps
    assert parse_setting("max_side", "600", CAPS) == 600
    with pytest.raises(BadParam, match="cap of 512"):
        parse_setting("max_side", "600", low)


def test_presets_are_only_checked_when_known():
    assert parse_setting("allowed_presets", "server-only", CAPS) == ("server-only",)


def test_defaults_add_no_limits():
    settings = GuildSettings()
    assert settings.to_dict() == {}
    assert effective_caps(CAPS, settings) == CAPS
    assert settings.channel_allowed(123) and not settings.exempt([1, 2])
    assert set(SETTINGS) == set(settings.__dataclass_fields__)  # every field is settable


def test_effective_caps_take_the_lower_of_operator_and_server():
    guild = GuildSettings(max_side=256, max_steps=80, max_strength=0.01, max_frames=12)  # 80 > operator's 40
    caps = effective_caps(CAPS, guild)
    assert caps == {"max_side": 256, "octaves": 6, "steps": 40, "step_size": 0.01, "frames": 12}
    assert CAPS["max_side"] == 1024  # the operator's dict is not changed


def test_a_server_limit_clamps_a_request_and_says_so():
    guild = GuildSettings(max_side=256)
    params, clamps = resolve_request({"max_side": 4000}, load_presets(), effective_caps(CAPS, guild))
    assert params.max_side == 256
    assert Clamp("max_side", 4000, 256) in clamps


def test_json_round_trip_keeps_every_type():
    settings = GuildSettings(enabled=False, allowed_channels=(111, 222), max_strength=0.02,
                             cooldown_s=30.0, daily_quota=5, privacy_reminder="", allowed_layers=("mixed5",),
                             exempt_roles=(9,))
    stored = json.loads(json.dumps(settings.to_dict()))
    assert GuildSettings.from_dict(stored) == settings


def test_stored_keys_from_other_versions_are_skipped_not_fatal(caplog):
    stored = {"max_side": 300, "obsolete_knob": 1, "max_steps": "lots", "exempt_roles": [1, "x"]}
    settings = GuildSettings.from_dict(stored)
    assert settings == GuildSettings(max_side=300)
    assert "obsolete_knob" in caplog.text and "max_steps" in caplog.text


@pytest.mark.parametrize("changes", [{"max_side": "big"}, {"allowed_channels": [1]}, {"enabled": 1},
                                     {"cooldown_s": -1.0}, {"outside_channel_reply": "loud"}])
def test_wrong_types_cannot_be_built(changes):
    with pytest.raises(BadParam):
        GuildSettings(**changes)


def test_channels_and_exempt_roles():
    settings = GuildSettings(allowed_channels=(5,), exempt_roles=(7,))
    assert settings.channel_allowed(5) and not settings.channel_allowed(6)
    assert settings.exempt([3, 7]) and not settings.exempt([3])


@pytest.mark.parametrize("key, value, shown", [
    ("max_side", None, "default"),
    ("daily_quota", None, "unlimited"),
    ("enabled", False, "off"),
    ("allowed_channels", (), "all"),
    ("allowed_channels", [1, 2], "<#1>, <#2>"),
    ("exempt_roles", (), "none"),
    ("exempt_roles", (3,), "<@&3>"),
    ("cooldown_s", 0.0, "none"),
    ("cooldown_s", 90.0, "90 s"),
    ("privacy_reminder", "", "off"),
    ("max_strength", 0.02, "0.02"),
])
def test_format_value(key, value, shown):
    assert format_value(key, value) == shown


def test_channel_presets_survive_the_json_round_trip():
    settings = GuildSettings(default_preset="textures", channel_presets=((11, "nightmare"), (12, "subtle")))
    again = GuildSettings.from_dict(json.loads(json.dumps(settings.to_dict())))
    assert again == settings
    assert again.preset_for(11) == "nightmare" and again.preset_for(99, parent_id=12) == "subtle"
    assert again.preset_for(99) == "textures" and GuildSettings().preset_for(11) is None
