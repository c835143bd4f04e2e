"""Presets: the built-in file, operator files, and turning user options into DreamParams."""
from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap

import pytest

from dreaming.errors import BadParam, UnknownLayer, UnknownPreset
from dreaming.layers import parse_layer_spec
from dreaming.params import LIMITS, DreamParams, validate
from dreaming.params import OPTIONS, option_name
from dreaming.presets import (DEFAULT_PRESET, SETTINGS, Preset, apply_preset, get_preset,
                              load_presets, params_from_options)


@pytest.fixture(scope="module")
def builtin() -> dict[str, Preset]:
    return load_presets()


@pytest.fixture
def write_yaml(tmp_path):
    """Factory: write YAML text to a fresh file under tmp_path and return its path."""
    counter = itertools.count()

    def write(text: str, raw: bytes | None = None):
        path = tmp_path / f"presets{next(counter)}.yaml"
        if raw is None:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        else:
            path.write_bytes(raw)
        return path
    return write


def _blocks(params: DreamParams) -> set[int]:
    return {int(term.layer.removeprefix("mixed")) for term in params.layers}


def test_builtin_presets_load(builtin):
    assert len(builtin) >= 6
    assert {"classic", "textures", "patterns", "creatures", "nightmare", "subtle"} <= set(builtin)
    assert DEFAULT_PRESET in builtin
    for name, preset in builtin.items():
        assert preset.name == name
        assert preset.description and "\n" not in preset.description
        assert preset.overrides and all(key in SETTINGS for key, _ in preset.overrides)


def test_every_builtin_preset_validates_and_is_distinct(builtin):
    made = {name: apply_preset(preset) for name, preset in builtin.items()}
    for name, params in made.items():
        assert validate(params) is params
        assert params.preset == name
    looks = {params.replace(preset=None) for params in made.values()}
    assert len(looks) == len(made)


def test_builtin_presets_keep_their_character(builtin):
    made = {name: apply_preset(preset) for name, preset in builtin.items()}
    classic, subtle, nightmare = made["classic"], made["subtle"], made["nightmare"]
    assert _blocks(classic) <= {3, 4, 5}  # the mid blocks that paint eyes and faces
    assert _blocks(made["textures"]) <= {0, 1}
    assert _blocks(made["patterns"]) <= {2, 3}
    assert _blocks(made["creatures"]) <= {4, 5, 6, 7} and len(_blocks(made["creatures"])) > 1
    assert min(_blocks(nightmare)) >= min(_blocks(classic))
    assert nightmare.steps > classic.steps and nightmare.step_size > classic.step_size
    assert subtle.steps < classic.steps and subtle.step_size < classic.step_size and subtle.smoothing > 0


def test_apply_preset_keeps_what_the_preset_leaves_alone(builtin):
    base = DreamParams(tile=256, max_side=600, seed=7)
    params = apply_preset(builtin["nightmare"], base)
    overrides = dict(builtin["nightmare"].overrides)
    assert (params.tile, params.max_side, params.seed) == (256, 600, 7)
    assert params.steps == overrides["steps"] and params.layers == overrides["layers"]
    assert params.preset == "nightmare"


def test_get_preset(builtin):
    assert get_preset(" Classic ", builtin) is builtin["classic"]
    with pytest.raises(UnknownPreset) as info:
        get_preset("nightmar", builtin)
    assert info.value.suggestion == "nightmare"
    assert info.value.valid == list(builtin)
    with pytest.raises(UnknownPreset) as info:
        get_preset("zzzz", builtin)
    assert info.value.suggestion is None


def test_operator_file_replaces_and_adds(write_yaml, builtin):
    first = write_yaml("""
        classic: {description: "Operator's classic", steps: 3}
        calm-sea:
          description: Gentle waves
          layers: "mixed4c:1, mixed2/7:0.5"
          smoothing: 2
          seed: null
    """)
    second = write_yaml("calm-sea: {description: Second file wins, steps: 7}\n")
    presets = load_presets(first, second)
    assert set(presets) == set(builtin) | {"calm-sea"}
    assert presets["classic"].overrides == (("steps", 3),)  # replaced whole, not merged
    assert apply_preset(presets["classic"]).layers == DreamParams().layers
    assert presets["calm-sea"] == Preset("calm-sea", "Second file wins", (("steps", 7),))
    assert presets["textures"] == builtin["textures"]
    calm = load_presets(first)["calm-sea"]
    assert dict(calm.overrides) == {"layers": parse_layer_spec("mixed4c,mixed2/7:0.5"), "smoothing": 2.0,
                                    "seed": None}
    assert isinstance(dict(calm.overrides)["smoothing"], float)


def test_empty_operator_file_changes_nothing(write_yaml, builtin):
    assert load_presets(write_yaml("# nothing yet\n")) == builtin


@pytest.mark.parametrize("text, fragments", [
    ("a: [1,\n b: 2\n", ["not valid YAML", "line 3"]),
    ("- classic\n", ["must map preset names"]),
    ("Loud Dream: {description: x}\n", ["preset name", "'Loud Dream'", "lowercase"]),
    ("42: {description: x}\n", ["preset name", "42"]),
    ("calm: 5\n", ["preset 'calm'", "mapping of settings"]),
    ("calm: {steps: 5}\n", ["description of preset 'calm'", "one-line description"]),
    ("calm: {description: '', steps: 5}\n", ["description of preset 'calm'"]),
    (f"calm: {{description: {'x' * 101}}}\n", ["description of preset 'calm'", "at most 100"]),
    ("calm: {description: x, stepz: 5}\n", ["stepz of preset 'calm'", "did you mean 'steps'"]),
    ("calm: {description: x, preset: classic}\n", ["preset of preset 'calm'", "unknown key"]),
    ("calm: {description: x, steps: 4.5}\n", ["steps of preset 'calm'", "whole number"]),
    ("calm: {description: x, steps: '5'}\n", ["steps of preset 'calm'", "whole number"]),
    ("calm: {description: x, steps: true}\n", ["steps of preset 'calm'", "whole number"]),
    ("calm: {description: x, octave_scale: fast}\n", ["octave_scale of preset 'calm'", "a number"]),
    ("calm: {description: x, octave_scale: .nan}\n", ["octave_scale of preset 'calm'", "finite"]),
    ("calm: {description: x, steps: 500}\n", ["steps of preset 'calm'", f"allowed {LIMITS['steps']}"]),
    ("calm: {description: x, octaves: null}\n", ["octaves of preset 'calm'", "whole number"]),
    ("calm: {description: x, layers: mixd4}\n", ["layers of preset 'calm'", "Did you mean 'mixed4'"]),
    ("calm: {description: x, layers: 'mixed4/999'}\n", ["layers of preset 'calm'", "0 to 767"]),
    ("calm: {description: x, layers: [mixed4]}\n", ["layers of preset 'calm'", "layer spec"]),
])
def test_bad_operator_file_is_rejected_in_one_line(write_yaml, text, fragments):
    path = write_yaml(text)
    with pytest.raises(BadParam) as info:
        load_presets(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_unreadable_operator_files(write_yaml, tmp_path):
    for path, fragment in [(tmp_path / "missing.yaml", "not found"),
                           (write_yaml("", raw=b"\xff\xfe\x00bad"), "not UTF-8"),
                           (tmp_path, "can't be read")]:
        with pytest.raises(BadParam) as info:
            load_presets(path)
        assert fragment in str(info.value) and str(path) in str(info.value)


# params_from_options: what the CLI and the bot share


def test_no_options_is_the_default_preset(builtin):
    assert params_from_options({}, builtin) == apply_preset(builtin[DEFAULT_PRESET])
    assert params_from_options({"preset": None, "steps": None}, builtin).preset == DEFAULT_PRESET


def test_options_override_the_preset(builtin):
    params = params_from_options({"preset": "Nightmare", "layers": "mixed4c/3:2", "steps": 25,
                                  "octave_scale": 1.5, "jitter": 0, "tile": 256, "max_side": 512,
                                  "smoothing": 1, "seed": 9, "step_size": 0.05, "octaves": 2}, builtin)
    base = apply_preset(builtin["nightmare"])
    assert params == base.replace(layers=parse_layer_spec("mixed4c/3:2"), steps=25, octave_scale=1.5, jitter=0,
                                  tile=256, max_side=512, smoothing=1.0, seed=9, step_size=0.05, octaves=2)


def test_options_as_text(builtin):
    params = params_from_options({"steps": "20", "step_size": "0.02", "seed": "123"}, builtin)
    assert (params.steps, params.step_size, params.seed) == (20, 0.02, 123)
    assert isinstance(params.steps, int) and isinstance(params.step_size, float)


def test_settings_line_reads_back(builtin):
    """A dream's settings line, typed back as options, gives the same dream."""
    for name in builtin:
        params = params_from_options({"preset": name, "seed": 42}, builtin)
        options = dict(token.split("=", 1) for token in params.describe().split())
        assert params_from_options(options, builtin) == params


def test_octaves_with_scale_and_strength(builtin):
    params = params_from_options({"octaves": "3x1.3", "strength": "0.02"}, builtin)
    assert (params.octaves, params.octave_scale, params.step_size) == (3, 1.3, 0.02)


def test_operator_presets_are_used(write_yaml):
    presets = load_presets(write_yaml("tiny: {description: Tiny, steps: 2, max_side: 128}\n"))
    params = params_from_options({"preset": "tiny", "jitter": 4}, presets)
    assert (params.preset, params.steps, params.max_side, params.jitter) == ("tiny", 2, 128, 4)


def test_default_presets_are_the_builtin_ones(builtin):
    assert params_from_options({"preset": "subtle"}) == params_from_options({"preset": "subtle"}, builtin)


@pytest.mark.parametrize("options, name, fragment", [
    ({"step": 5}, "step", "did you mean 'steps'"),
    ({"stepz": 3}, "stepz", "did you mean 'steps'"),
    ({"colour": "red"}, "colour", "valid: preset"),
    ({"steps": "many"}, "steps", "whole number"),
    ({"steps": 2.5}, "steps", "whole number"),
    ({"steps": True}, "steps", "whole number"),
    ({"steps": 0}, "steps", f"allowed {LIMITS['steps']}"),
    ({"octave_scale": "inf"}, "octave_scale", "finite"),
    ({"strength": 5}, "strength", "allowed"),
    ({"octaves": "4x"}, "octaves", "4x1.4"),
    ({"octaves": "20x1.4"}, "octaves", "octaves allowed"),
    ({"octaves": "3x1.3", "octave_scale": 1.2}, "octave_scale", "given twice"),
    ({"strength": 0.01, "step_size": 0.02}, "step_size", "given twice"),
    ({"seed": -1}, "seed", "allowed 0..4294967295"),
    ({"layers": "mixed4:nan"}, "layers", "finite"),
    ({"layers": 4}, "layers", "layer spec"),
    ({"preset": 3}, "preset", "preset's name"),
])
def test_bad_options(builtin, options, name, fragment):
    with pytest.raises(BadParam) as info:
        params_from_options(options, builtin)
    assert info.value.name == name
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_bad_layer_and_preset_options_keep_their_types(builtin):
    with pytest.raises(UnknownLayer) as layer_info:
        params_from_options({"layers": "mixed4,mixd5"}, builtin)
    assert layer_info.value.suggestion == "mixed5"
    with pytest.raises(UnknownPreset) as preset_info:
        params_from_options({"preset": "clasic"}, builtin)
    assert preset_info.value.suggestion == "classic"


def test_options_cover_every_setting():
    assert set(SETTINGS) == {f for f in DreamParams.__dataclass_fields__ if f != "preset"}
    assert set(OPTIONS.values()) == {*SETTINGS, "preset"}  # every field has a word people type
    assert {OPTIONS[option_name(field)] for field in SETTINGS} == set(SETTINGS)


def test_importing_stays_tensorflow_free():
    """The bot process imports these modules; TensorFlow must not come with them."""
    code = ("import sys, dreaming.presets, dreaming.layers, dreaming.params; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
