"""resolve_request: defaults → preset → operator caps → request, with every clamp reported."""
from __future__ import annotations

import pytest

from dreaming.errors import BadParam, UnknownLayer, UnknownPreset
from dreaming.params import LIMITS, Clamp, Range
from dreaming.presets import load_presets
from dreaming.resolve import narrow, resolve_request


@pytest.fixture(scope="module")
def presets():
    return load_presets()


def test_request_within_caps_runs_as_asked(presets):
    params, clamps = resolve_request({"steps": "7", "strength": "0.02", "seed": 5}, presets,
                                     {"steps": 30})
    assert (params.steps, params.step_size, params.seed) == (7, 0.02, 5)
    assert clamps == []


def test_values_over_a_cap_are_clamped_and_reported(presets):
    params, clamps = resolve_request({"steps": "500", "strength": 0.9, "max_side": 9000}, presets,
                                     {"steps": 30, "max_side": 512})
    assert (params.steps, params.step_size, params.max_side) == (30, LIMITS["step_size"].high, 512)
    assert Clamp("steps", 500, 30) in clamps
    assert Clamp("strength", 0.9, LIMITS["step_size"].high) in clamps
    assert Clamp("max_side", 9000, 512) in clamps


def test_values_under_the_floor_are_raised(presets):
    params, clamps = resolve_request({"octaves": 0, "steps": -3}, presets)
    assert (params.octaves, params.steps) == (1, 1)
    assert {c.name for c in clamps} == {"octaves", "steps"}


def test_a_preset_above_the_cap_is_clamped_too(presets):
    nightmare_steps = dict(presets["nightmare"].overrides)["steps"]
    params, clamps = resolve_request({"preset": "nightmare"}, presets, {"steps": 5})
    assert params.steps == 5 and params.preset == "nightmare"
    assert Clamp("steps", nightmare_steps, 5) in clamps


def test_a_cap_never_widens_the_engine_limits():
    assert narrow(LIMITS, {"steps": 10_000})["steps"] == LIMITS["steps"]
    assert narrow(LIMITS, {"steps": 0})["steps"] == Range(LIMITS["steps"].low, LIMITS["steps"].low)


@pytest.mark.parametrize("options, error", [
    ({"steps": "many"}, BadParam),
    ({"strength": "nan"}, BadParam),
    ({"seed": True}, BadParam),
    ({"layers": "mixed44"}, UnknownLayer),
    ({"preset": "nitemare"}, UnknownPreset),
    ({"colour": "blue"}, BadParam),
])
def test_malformed_requests_are_refused_not_clamped(presets, options, error):
    with pytest.raises(error) as err:
        resolve_request(options, presets, {"steps": 30})
    assert "\n" not in str(err.value)


def test_the_operators_default_preset_applies_when_none_is_named(presets):
    params, _ = resolve_request({}, presets, default_preset="textures")
    assert params.preset == "textures"
    params, _ = resolve_request({"preset": "subtle"}, presets, default_preset="textures")
    assert params.preset == "subtle"
    assert resolve_request({}, presets)[0].preset == "classic"


@pytest.mark.parametrize("options, steps", [
    ({"layers": "mixed4a"}, 40),  # mixed3 alone: the steps it needs to dream as strongly as the classics
    ({"layers": "mixed4b"}, 24),  # mixed4 alone
    ({"layers": "mixed3", "steps": "12"}, 12),  # steps asked for win
    ({"layers": "mixed5"}, 12),  # deeper layers need no more
    ({"layers": "mixed3,mixed5"}, 12),  # a blend keeps the preset's
    ({"layers": "mixed3/97"}, 12),  # a single channel is not the layer's energy
    ({"preset": "nightmare", "layers": "mixed3"}, 40),  # over a preset's own steps too
    ({}, 12),
])
def test_a_shallow_layer_named_alone_gets_more_steps_unless_steps_are_given(options, steps):
    params, _ = resolve_request(options, load_presets())
    assert params.steps == steps


def test_a_shallow_layers_steps_are_still_capped_and_the_reply_says_so():
    params, clamps = resolve_request({"layers": "mixed4a"}, load_presets(), {"steps": 20})
    assert params.steps == 20 and any(c.name == "steps" and c.asked == 40 and c.used == 20 for c in clamps)
