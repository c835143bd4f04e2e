"""Presets: named bundles of `DreamParams` overrides, kept as YAML so operators can add their own.

The built-in `presets.yaml` is read first; operator files given to `load_presets`
then add presets or replace them whole, by name. Every preset is checked when it
is loaded, so a bad file stops the program at startup with one line naming the
file, the preset and the key, not a user's dream later.

`params_from_options` is how front ends (CLI, bot) turn a user's options into
`DreamParams`: preset first, then explicit options, then `validate`.
No TensorFlow here: the bot process imports this module.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml

from dreaming.errors import BadParam, UnknownLayer, UnknownPreset
from dreaming.classes import parse_class
from dreaming.layers import default_terms, parse_layer_spec
from dreaming.networks import NETWORKS, network_of_layer, steps_alone
from dreaming.params import CHOICES, INT_FIELDS, OPTIONS, DreamParams, LayerTerm, on_network, option_field, validate
from dreaming.parsing import did_you_mean, parse_number

log = logging.getLogger(__name__)

DEFAULT_PRESET = "classic"
#: `DreamParams` fields a preset or an option may set (`preset` is set by choosing one)
SETTINGS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(DreamParams) if f.name != "preset")
# Preset names go into slash-command choices and button ids: short and plain.
MAX_NAME_CHARS = 32
_NAME = re.compile(rf"[a-z][a-z0-9_-]{{0,{MAX_NAME_CHARS - 1}}}")
_MAX_DESCRIPTION = 100  # Discord's limit for a choice's label
_BUILTIN = "the built-in presets.yaml"


@dataclass(frozen=True)
class Preset:
    """A named, described set of `DreamParams` overrides, already checked."""

    name: str
    description: str
    #: (DreamParams field, value) in file order; `layers` holds parsed terms
    overrides: tuple[tuple[str, object], ...] = ()


def load_presets(*paths: str | os.PathLike[str]) -> dict[str, Preset]:
    """The built-in presets, then each operator file's, later ones replacing earlier by name.

    Raises `BadParam` (one line: file, preset, key, what to do) on the first problem.
    """
    presets = _read_file(resources.files(__package__) / "presets.yaml", _BUILTIN)
    for path in paths:
        for name, preset in _read_file(Path(path), str(path)).items():
            if name in presets:
                log.info("preset %r from %s replaces the earlier one", name, path)
            presets[name] = preset
    log.debug("presets: %s", ", ".join(presets))
    return presets


def get_preset(name: str, presets: Mapping[str, Preset]) -> Preset:
    """The preset called `name` (any case), or `UnknownPreset` with the nearest name."""
    key = name.strip().lower()
    if key in presets:
        return presets[key]
    raise UnknownPreset(name.strip(), did_you_mean(key, presets), list(presets))


def apply_preset(preset: Preset, base: DreamParams | None = None) -> DreamParams:
    """`base` (default: `DreamParams()`) with the preset's overrides and its name."""
    base = DreamParams() if base is None else base
    return base.replace(**dict(preset.overrides), preset=preset.name)


def params_from_options(options: Mapping[str, object],
                        presets: Mapping[str, Preset] | None = None) -> DreamParams:
    """`DreamParams` from a user's options: the preset (default classic), then the rest.

    Keys are `dreaming.params.OPTIONS` words or field names; a value of None means "not given" (so argparse defaults can
    be passed straight in). Numbers may come as text ("20", "1.4"); `layers` is a
    spec string; `octaves` also takes "4x1.4" (count and scale, as settings lines
    write them). Raises `BadParam` (unknown key with a suggestion, wrong type, out
    of range), `UnknownLayer` or `UnknownPreset`.
    """
    presets = load_presets() if presets is None else presets
    given = {key: value for key, value in options.items() if value is not None}
    name = given.pop("preset", None) or DEFAULT_PRESET
    if not isinstance(name, str):
        raise BadParam("preset", name, "must be a preset's name")
    changes: dict[str, object] = {}
    for key, value in given.items():
        for field, checked in option_fields(key, value):
            if field in changes:
                raise BadParam(key, value, f"{field} is given twice; give it once")
            changes[field] = checked
    if "layers" in changes and "model" not in changes:  # `layer=conv3_1` means VGG16's
        changes["model"] = network_of_layer(changes["layers"][0].layer).name
    params = apply_preset(get_preset(name, presets)).replace(**changes)
    if "layers" in changes and "steps" not in changes:  # a shallow layer alone needs more steps
        params = params.replace(steps=max(params.steps, steps_alone(params.model, params.layers)))
    return validate(params if "layers" in changes else on_network(params))


def option_fields(key: str, value: object) -> list[tuple[str, object]]:
    """One user option (an `OPTIONS` word or a field; numbers may be text) as checked
    (field, value) pairs: `strength` sets step_size, `octaves=4x1.4` sets octaves and
    octave_scale."""
    field = option_field(key)
    if field is None or field == "preset":
        raise BadParam(key, value, "unknown setting; " + _did_you_mean(key, tuple(OPTIONS)))
    if key == "octaves" and isinstance(value, str) and "x" in value.lower():
        count, _, scale = value.lower().partition("x")
        try:
            return [_setting("octaves", count.strip(), "octaves", text_ok=True),
                    _setting("octave_scale", scale.strip(), "octave_scale", text_ok=True)]
        except BadParam as err:
            raise BadParam(key, value, f"write count x scale, e.g. 4x1.4; {err.name} {err.reason}") from None
    return [_setting(field, value, key, text_ok=True)]


def _setting(field: str, value: object, label: str, *, text_ok: bool) -> tuple[str, object]:
    """Convert and range-check one `DreamParams` field; errors are `BadParam(label, ...)`.

    `text_ok` lets numbers come as text, as they do from a command line or a chat
    message; preset files must use real YAML numbers.
    """
    try:
        if field == "layers":
            value = _layers(value)
        elif field == "target_class":
            value = parse_class(value)
        elif field in CHOICES:
            value = _word(field, value)
        elif value is not None or field != "seed":
            value = parse_number(field, value, whole=field in INT_FIELDS, text_ok=text_ok)
        validate(_alone(field, value))
    except BadParam as err:
        if err.name == label:
            raise
        raise BadParam(label, err.value, err.reason) from None
    return field, value


def _alone(field: str, value: object) -> DreamParams:
    """`DreamParams()` with one field set, on the network where it can be valid: a model
    brings its default layers, another network's layers bring their model."""
    if field == "model" and value in NETWORKS:
        return DreamParams(model=value, layers=default_terms(value))
    if field == "layers" and value and (net := network_of_layer(value[0].layer)) is not None:
        return DreamParams(model=net.name, layers=value)
    return DreamParams().replace(**{field: value})


def _layers(value: object) -> tuple[LayerTerm, ...]:
    if isinstance(value, str):
        return parse_layer_spec(value)
    if isinstance(value, (tuple, list)) and all(isinstance(t, LayerTerm) for t in value):
        return tuple(value)  # already parsed, e.g. by the bot's layer option
    raise BadParam("layers", value, "must be a layer spec such as 'mixed4:1,mixed5:1.5'")


def _word(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise BadParam(field, value, "one of " + ", ".join(CHOICES[field]))
    return value.strip().lower()


def _read_file(source: Path | Traversable, label: str) -> dict[str, Preset]:
    """Presets of one YAML file; an empty file has none."""
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadParam("presets file", label, "not found; check the path") from None
    except UnicodeError:
        raise BadParam("presets file", label, "is not UTF-8 text; save it as UTF-8") from None
    except OSError as err:
        raise BadParam("presets file", label, f"can't be read: {err.strerror or err}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "syntax error"
        raise BadParam("presets file", label, f"not valid YAML: {problem}{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadParam("presets file", label,
                       "must map preset names to settings, e.g. 'calm: {description: ..., steps: 5}'")
    return {preset.name: preset for preset in (make_preset(name, body, label)
                                               for name, body in data.items())}


def make_preset(name: object, body: object, label: str) -> Preset:
    """Check one preset (a YAML entry, or a server preset from the bot's store) and build it.

    `label` says where it came from, for the one-line error.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise BadParam(f"preset name in {label}", name,
                       "use 1-32 lowercase letters, digits, '-' or '_', starting with a letter")
    where = f"preset '{name}' in {label}"
    if not isinstance(body, dict):
        raise BadParam(where, body, "must be a mapping of settings, e.g. {description: ..., steps: 5}")
    body = dict(body)
    description = body.pop("description", None)
    if (not isinstance(description, str) or not description.strip() or "\n" in description.strip()
            or len(description.strip()) > _MAX_DESCRIPTION):
        raise BadParam(f"description of {where}", description,
                       f"give a one-line description of at most {_MAX_DESCRIPTION} characters")
    overrides = []
    for key, value in body.items():
        label_key = f"{key} of {where}"
        if key not in SETTINGS:
            raise BadParam(label_key, value, "unknown key; " + _did_you_mean(key, ("description", *SETTINGS)))
        try:
            overrides.append(_setting(key, value, label_key, text_ok=False))
        except UnknownLayer as err:
            raise BadParam(label_key, value, str(err)) from None
    return Preset(name, description.strip(), tuple(overrides))


def _did_you_mean(key: object, valid: tuple[str, ...]) -> str:
    close = did_you_mean(key, valid)
    hint = f"did you mean '{close}'? " if close else ""
    return f"{hint}valid: {', '.join(valid)}"
