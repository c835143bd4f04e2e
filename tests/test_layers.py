"""Layer specs: parsing, aliases, round trips, and every way a spec can be wrong."""
from __future__ import annotations

import pytest

from dreaming.errors import BadParam, UnknownLayer
from dreaming.layers import (ALIASES, LAYERS, MAX_SPEC_CHARS, describe_layers, format_layer_spec,
                             parse_layer_spec, resolve_layer)
from dreaming.layers import MAX_LAYER_TERMS, LayerTerm


def test_single_layer():
    assert parse_layer_spec("mixed5") == (LayerTerm("mixed5", 1.0, None, None),)


def test_blend_keeps_order_and_weights():
    terms = parse_layer_spec("mixed3:1,mixed5:1.5")
    assert [(t.layer, t.weight) for t in terms] == [("mixed3", 1.0), ("mixed5", 1.5)]
    assert all(isinstance(t.weight, float) for t in terms)


@pytest.mark.parametrize("spec, channel, weight", [("mixed4/97", 97, 1.0), ("mixed4/97:2", 97, 2.0),
                                                   ("mixed4/0", 0, 1.0), ("mixed4/767:0.5", 767, 0.5)])
def test_channel(spec, channel, weight):
    assert parse_layer_spec(spec) == (LayerTerm("mixed4", weight, channel),)


def test_whole_layer_and_one_of_its_channels_may_blend():
    terms = parse_layer_spec("mixed4,mixed4/3:2")
    assert [(t.layer, t.channel) for t in terms] == [("mixed4", None), ("mixed4", 3)]


@pytest.mark.parametrize("spec, layer, requested", [
    ("mixed4c", "mixed5", "mixed4c"),
    ("inception_4c", "mixed5", "inception_4c"),
    ("inception_4c/output", "mixed5", "inception_4c/output"),
    ("mixed3a", "mixed0", "mixed3a"),
    ("mixed5b", "mixed9", "mixed5b"),
    ("INCEPTION_4E / Output", "mixed7", "inception_4e/output"),
])
def test_aliases_run_their_inceptionv3_block(spec, layer, requested):
    (term,) = parse_layer_spec(spec)
    assert (term.layer, term.requested) == (layer, requested)


def test_alias_with_channel_and_weight():
    assert parse_layer_spec("inception_4c/output/97:2") == (LayerTerm("mixed5", 2.0, 97, "inception_4c/output"),)
    assert parse_layer_spec("mixed4d/5:0.5") == (LayerTerm("mixed6", 0.5, 5, "mixed4d"),)


def test_every_alias_resolves_to_a_real_layer():
    for alias, layer in ALIASES.items():
        assert layer in LAYERS
        assert resolve_layer(alias) == (layer, alias)
        assert resolve_layer(f"inception_{alias[5:]}/output")[0] == layer


def test_aliases_keep_depth_order():
    """Deeper GoogLeNet blocks map to deeper (or equal) InceptionV3 blocks."""
    order = list(LAYERS)
    depths = [order.index(ALIASES[a]) for a in sorted(ALIASES)]
    assert depths == sorted(depths) and len(set(depths)) == len(depths)


def test_case_and_whitespace_are_ignored():
    assert parse_layer_spec("  MIXED3 : 1 ,  Mixed5/ 7 :1.5 ") == parse_layer_spec("mixed3:1,mixed5/7:1.5")


@pytest.mark.parametrize("spec", ["mixed5", "mixed3:1,mixed5:1.5", "mixed4/97:2", "mixed0:0.1,mixed10/2047:100",
                                  "mixed1:0.30000000000000004", "mixed2:0,mixed3:1e-05"])
def test_round_trip(spec):
    terms = parse_layer_spec(spec)
    assert parse_layer_spec(format_layer_spec(terms)) == terms


def test_format_writes_aliases_as_the_block_that_ran():
    terms = parse_layer_spec("mixed4c/3:2")
    text = format_layer_spec(terms)
    assert text == "mixed5/3:2"
    assert [(t.layer, t.channel, t.weight) for t in parse_layer_spec(text)] == [("mixed5", 3, 2.0)]


def test_layer_table_and_listing():
    assert list(LAYERS) == [f"mixed{i}" for i in range(11)]
    assert [LAYERS[f"mixed{i}"].channels for i in range(11)] == [256, 288, 288] + [768] * 5 + [1280, 2048, 2048]
    rows = describe_layers()
    names = [name for name, _ in rows]
    assert names == [*LAYERS, *ALIASES]
    assert all(text and "\n" not in text for _, text in rows)
    assert "mixed5" in dict(rows)["mixed4c"]


@pytest.mark.parametrize("typed, suggestion", [
    ("mixd4", "mixed4"), ("mixed11", "mixed10"), ("mixed4f", "mixed4e"), ("mixed3c", "mixed3b"),
    ("inception_4f", "inception_4e"), ("inception_4f/output", "inception_4e"), ("mixed 4", "mixed4"),
    ("mixed4/output", "mixed4"), ("MIXED42", "mixed10"), ("mixde5", "mixed5"),
])
def test_unknown_layer_suggests_nearest(typed, suggestion):
    with pytest.raises(UnknownLayer) as info:
        parse_layer_spec(f"mixed1,{typed}:2")
    err = info.value
    assert err.suggestion == suggestion
    assert err.layer.lower() == typed.lower().replace(" / ", "/")
    assert err.valid == list(LAYERS)
    assert "\n" not in str(err) and f"'{suggestion}'" in str(err)


def test_unknown_layer_without_a_close_name():
    with pytest.raises(UnknownLayer) as info:
        parse_layer_spec("banana")
    assert info.value.suggestion is None
    assert "mixed10" in str(info.value)


@pytest.mark.parametrize("spec, hint", [
    ("", "at least one layer"),
    ("   ", "at least one layer"),
    ("mixed4,", "empty term"),
    ("mixed4,,mixed5", "empty term"),
    ("mixed4/abc", "whole number"),
    ("mixed4/1.5", "whole number"),
    ("mixed4/-1", "whole number"),
    ("mixed4/", "whole number"),
    ("mixed4/768", "0 to 767"),
    ("mixed0/256", "0 to 255"),
    ("mixed4/1/2", "one channel per term"),
    ("mixed4:x", "number after ':'"),
    ("mixed4:", "number after ':'"),
    ("mixed4:1:2", "number after ':'"),
    ("mixed4:-1", "negative"),
    ("mixed4:nan", "finite"),
    ("mixed4:inf", "finite"),
    ("mixed4:-inf", "finite"),
    ("mixed4:1000", "at most 100"),
    ("mixed4:0", "above 0"),
    ("mixed4:0,mixed5:0", "above 0"),
    ("mixed4,mixed4", "give each layer once"),
    ("mixed4/3,MIXED4/3:2", "give each layer once"),
    ("mixed4c,mixed5", "give each layer once"),
    (",".join(f"mixed{i}" for i in range(MAX_LAYER_TERMS + 1)), f"at most {MAX_LAYER_TERMS} terms"),
    ("mixed4," * 60 + "mixed5", f"longer than {MAX_SPEC_CHARS}"),
])
def test_bad_specs_raise_badparam_with_a_fix(spec, hint):
    with pytest.raises(BadParam) as info:
        parse_layer_spec(spec)
    err = info.value
    assert err.name == "layers"
    assert hint in err.reason
    message = str(err)
    assert "\n" not in message and message.startswith("Bad value for layers")


def test_non_text_spec():
    with pytest.raises(BadParam) as info:
        parse_layer_spec(5)  # type: ignore[arg-type]
    assert info.value.name == "layers"


def test_max_terms_is_allowed():
    spec = ",".join(f"mixed{i}" for i in range(MAX_LAYER_TERMS))
    assert len(parse_layer_spec(spec)) == MAX_LAYER_TERMS
