"""DreamParams: validation, clamping and the settings line."""
from __future__ import annotations

import math

import pytest

from dreaming.errors import BadParam, UnknownLayer
from dreaming.layers import MAX_LAYER_TERMS
from dreaming.params import INT_FIELDS, LIMITS, Clamp, DreamParams, LayerTerm, Range, clamp, validate

FLOAT_FIELDS = sorted(set(LIMITS) - INT_FIELDS)


def _below(name: str) -> float:
    low = LIMITS[name].low
    return int(low) - 1 if name in INT_FIELDS else low / 2 - 0.001


def _above(name: str) -> float:
    high = LIMITS[name].high
    return int(high) + 1 if name in INT_FIELDS else high * 2


def _bounds(name: str) -> tuple[float, float]:
    rng = LIMITS[name]
    cast = int if name in INT_FIELDS else float
    return cast(rng.low), cast(rng.high)


def test_defaults_are_valid():
    params = DreamParams()
    assert validate(params) is params


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_both_ends_of_every_range_pass(name):
    for value in _bounds(name):
        params = DreamParams().replace(**{name: value})
        assert validate(params) is params


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_out_of_range_names_the_field(name):
    for value in (_below(name), _above(name)):
        with pytest.raises(BadParam) as info:
            validate(DreamParams().replace(**{name: value}))
        assert info.value.name == name and info.value.value == value
        assert str(LIMITS[name]) in info.value.reason
        assert "\n" not in str(info.value)


@pytest.mark.parametrize("name, value, fragment", [
    *((name, 2.5, "whole number") for name in sorted(INT_FIELDS)),
    *((name, "3", "whole number") for name in sorted(INT_FIELDS)),
    *((name, True, "whole number") for name in sorted(INT_FIELDS)),
    *((name, "1.5", "a number") for name in FLOAT_FIELDS),
    *((name, False, "a number") for name in FLOAT_FIELDS),
    *((name, math.nan, "finite") for name in FLOAT_FIELDS),
    *((name, math.inf, "finite") for name in FLOAT_FIELDS),
    ("octaves", None, "whole number"),
])
def test_wrong_types_name_the_field(name, value, fragment):
    with pytest.raises(BadParam) as info:
        validate(DreamParams().replace(**{name: value}))
    assert info.value.name == name
    assert fragment in info.value.reason


def test_seed_may_be_left_open():
    assert validate(DreamParams(seed=None)).seed is None


def test_ints_pass_for_float_fields():
    assert validate(DreamParams(octave_scale=2, smoothing=0)).octave_scale == 2


@pytest.mark.parametrize("layers, fragment", [
    ((), "at least one layer"),
    (tuple(LayerTerm(f"mixed{i}") for i in range(MAX_LAYER_TERMS + 1)), f"at most {MAX_LAYER_TERMS}"),
    ((LayerTerm("mixed4", 0.0), LayerTerm("mixed5", 0.0)), "above 0"),
    ((LayerTerm("mixed4", -1.0),), "negative"),
    ((LayerTerm("mixed4", math.nan),), "finite"),
    ((LayerTerm("mixed4", channel=768),), "0 to 767"),
    ((LayerTerm("mixed4", channel=-1),), "0 to 767"),
    ((LayerTerm("mixed4", channel=1.5),), "whole number"),  # type: ignore[arg-type]
    ((LayerTerm("mixed4"), LayerTerm("mixed4", 2.0)), "once"),
])
def test_bad_layer_terms(layers, fragment):
    with pytest.raises(BadParam) as info:
        validate(DreamParams(layers=layers))
    assert info.value.name == "layers" and fragment in info.value.reason


def test_unknown_layer_in_params():
    with pytest.raises(UnknownLayer) as info:
        validate(DreamParams(layers=(LayerTerm("mixed4c"),)))  # an alias must be resolved first
    assert info.value.layer == "mixed4c"


def test_clamp_in_range_changes_nothing():
    params = DreamParams(seed=5)
    assert clamp(params) == (params, [])


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_clamp_brings_values_into_range_and_says_so(name):
    low, high = _bounds(name)
    for asked, used in ((_below(name), low), (_above(name), high)):
        params, changed = clamp(DreamParams().replace(**{name: asked}))
        assert getattr(params, name) == used
        assert changed == [Clamp(name, asked, used)]
        assert validate(params) is params


def test_clamp_with_narrower_limits():
    params = DreamParams(steps=50, max_side=4000, jitter=10)
    limited, changed = clamp(params, {"steps": Range(1, 30), "max_side": Range(75, 2048.0)})
    assert (limited.steps, limited.max_side, limited.jitter) == (30, 2048, 10)
    assert isinstance(limited.max_side, int)
    assert sorted(changed, key=lambda c: c.name) == [Clamp("max_side", 4000, 2048), Clamp("steps", 50, 30)]


@pytest.mark.parametrize("name, value", [("steps", "5"), ("octave_scale", math.nan), ("jitter", True)])
def test_clamp_refuses_wrong_types(name, value):
    with pytest.raises(BadParam) as info:
        clamp(DreamParams().replace(**{name: value}))
    assert info.value.name == name


def test_range_text_shows_whole_bounds_exactly():
    assert str(LIMITS["seed"]) == f"0..{2**32 - 1}"
    assert str(Range(0.5, 2, " px")) == "0.5..2 px"


def test_describe_holds_the_values_that_make_the_dream():
    params = DreamParams(layers=(LayerTerm("mixed3", 1.0), LayerTerm("mixed5", 1.5, 97, "mixed4c")),
                         octaves=3, octave_scale=1.3, steps=17, step_size=0.015, jitter=20,
                         smoothing=0.5, seed=1234, preset="creatures")
    line = params.describe()
    assert "\n" not in line
    fields = dict(token.split("=", 1) for token in line.split(" "))
    count, scale = fields["octaves"].split("x")
    assert (int(count), float(scale)) == (params.octaves, params.octave_scale)
    assert int(fields["steps"]) == params.steps
    assert float(fields["strength"]) == params.step_size
    assert int(fields["jitter"]) == params.jitter
    assert float(fields["smoothing"]) == params.smoothing
    assert int(fields["seed"]) == params.seed
    assert fields["preset"] == params.preset
    assert fields["layers"].split(",") == ["mixed3", "mixed4c→mixed5/97:1.5"]


def test_describe_leaves_out_what_is_off():
    line = DreamParams(smoothing=0.0).describe()
    assert "smoothing" not in line and "preset" not in line and "seed=None" in line
