"""What a dream is made of: `DreamParams`, its limits, validation and clamping.

A `DreamParams` is plain data (picklable, frozen). Layer names inside it are
already resolved to InceptionV3 names by `dreaming.layers.parse_layer_spec`.
`LIMITS` is the one home of the engine's ranges: the CLI, presets, the bot's config
validation and its slash-command ranges all derive from it. `OPTIONS` is the one home
of the words people type for each setting.
"""
from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

from dreaming.errors import BadParam
from dreaming.classes import CLASS_COUNT, class_name
from dreaming.layers import LayerTerm, check_terms, default_terms
from dreaming.networks import DEFAULT_MODEL, NETWORKS, network_of_layer
from dreaming.parsing import parse_number


@dataclass(frozen=True)
class Range:
    """An inclusive range of allowed values."""

    low: float
    high: float
    unit: str = ""

    def __str__(self) -> str:
        return f"{_num(self.low)}..{_num(self.high)}{self.unit}"

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def clamp(self, value: float) -> float:
        return min(max(value, self.low), self.high)

    def below(self, cap: float) -> Range:
        """This range with its top lowered to `cap` (never raised, never under `low`)."""
        return Range(self.low, max(self.low, min(self.high, cap)), self.unit)

    def above(self, floor: float) -> Range:
        """This range with its bottom raised to `floor` (never lowered, never over `high`)."""
        return Range(min(self.high, max(self.low, floor)), self.high, self.unit)


@dataclass(frozen=True)
class DreamParams:
    """Settings of one dream. Defaults give the classic 2015 look; presets override them."""

    #: objective: which layers (and channels) to excite, with weights
    layers: tuple[LayerTerm, ...] = (LayerTerm("mixed3", 1.0), LayerTerm("mixed4", 0.5))
    #: number of scales; the smallest is never below the network's minimum input
    octaves: int = 4
    #: size ratio between consecutive octaves
    octave_scale: float = 1.4
    #: gradient-ascent steps per octave
    steps: int = 12
    #: step length in [-1, 1] pixel units after normalising the gradient by its mean |g|
    step_size: float = 0.015
    #: largest random shift (px) applied before each step, so that tile seams move; shifts are
    #: whole multiples of `jitter_grid`
    jitter: int = 32
    #: shifts are whole multiples of this (px); 0 = the network's stride at the deepest chosen
    #: layer, so features keep growing in place (strong dreams); 1 = any shift, as the 2015
    #: notebook rolled (busier, weaker, and no stride-periodic mesh on deep layers)
    jitter_grid: int = 0
    #: tile side (px) for gradients; bounds memory on big images
    tile: int = 512
    #: the image is scaled down to fit this longest side before dreaming
    max_side: int = 1024
    #: blur the gradient at a few scales (0 = off); suppresses high-frequency noise
    smoothing: float = 0.0
    #: what "excite the layer" means: `l2` = mean of squared activations (the 2015 notebook's
    #: and keras-io's), `mean` = mean activation (the TF tutorial's). l2 is the default: its
    #: gradient is the activation itself, so each step grows what already fires (eyes, dog
    #: heads) rather than nudging every unit alike. On the measure of tests/test_strength.py
    #: (three photos, single layers mixed3-mixed8, 512 px) it beat `mean` on 17 of 18 pairs,
    #: e.g. mixed7 on the coffee photo 13.4x against 5.5x; the classic preset looks the same
    objective: str = "l2"
    #: network arithmetic: `auto` = bfloat16 where the CPU (AVX512_BF16, AMX) or GPU computes
    #: it natively, else float32; a dream's result records the precision that ran
    precision: str = "auto"
    #: random seed for jitter; None = pick one (the result records which)
    seed: int | None = None
    #: name of the preset these settings came from, for the settings line
    preset: str | None = None
    #: frames of a zoom animation (`dreaming.animate`); 1 = a still image, which is all
    #: `dream` itself makes. LIMITS' top is the engine's `max_frames`; operators narrow it
    frames: int = 1
    #: how far each frame zooms into the last one (1.05 = 5% closer), the classic endless zoom
    zoom: float = 1.05
    #: octaves and steps of every frame after the first (the first is a full dream): the last
    #: frame already holds the dream, so a light touch at the two finest scales keeps it
    #: growing into the new centre without repainting the whole picture each frame
    frame_octaves: int = 2
    frame_steps: int = 6
    #: the network dreamt with (`dreaming.networks`); `layers` are its layers
    model: str = DEFAULT_MODEL
    #: an ImageNet class (0-999) whose pre-softmax logit the dream raises instead of the
    #: layers' activations; needs the network's classifier head (`dreaming.classes`)
    target_class: int | None = None

    def replace(self, **changes) -> "DreamParams":
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        """One short line that reproduces this dream."""
        parts = []
        if self.preset:
            parts.append(f"preset={self.preset}")
        if self.model != DEFAULT_MODEL:
            parts.append(f"model={self.model}")
        if self.target_class is None:
            parts.append("layers=" + ",".join(t.describe() for t in self.layers))
        else:
            parts.append(f"class={class_name(self.target_class)}")
        parts.append(f"octaves={self.octaves}x{self.octave_scale:g}")
        parts.append(f"steps={self.steps}")
        parts.append(f"strength={self.step_size:g}")
        parts.append(f"jitter={self.jitter}")
        if self.jitter_grid:
            parts.append(f"jitter_grid={self.jitter_grid}")
        if self.smoothing:
            parts.append(f"smoothing={self.smoothing:g}")
        parts.append(f"objective={self.objective}")
        if self.precision != "auto":
            parts.append(f"precision={self.precision}")
        parts.append(f"seed={self.seed}")
        if self.frames > 1:
            parts.append(f"frames={self.frames} zoom={self.zoom:g} "
                         f"frame_octaves={self.frame_octaves} frame_steps={self.frame_steps}")
        return " ".join(parts)


#: Hard limits of the engine. Operators and moderators may only narrow them.
LIMITS: dict[str, Range] = {
    "octaves": Range(1, 8),
    "octave_scale": Range(1.05, 2.5),
    "steps": Range(1, 200),
    "step_size": Range(0.0005, 0.2),
    "jitter": Range(0, 256, " px"),
    "jitter_grid": Range(0, 64, " px"),
    "tile": Range(96, 4096, " px"),
    "max_side": Range(75, 8192, " px"),
    "smoothing": Range(0.0, 4.0),
    "seed": Range(0, 2**32 - 1),
    "frames": Range(1, 360),  # max_frames: 30 s at 12 frames a second
    "zoom": Range(1.0, 1.5),  # 1 = no zoom, the picture evolves in place
    "frame_octaves": Range(1, 8),
    "frame_steps": Range(1, 200),
}
INT_FIELDS = {"octaves", "steps", "jitter", "jitter_grid", "tile", "max_side", "seed", "frames",
              "frame_octaves", "frame_steps"}
#: Settings that take one of a few words, the first being the default's kind of answer.
CHOICES: dict[str, tuple[str, ...]] = {
    "objective": ("l2", "mean"),
    "precision": ("auto", "float32", "bfloat16"),
    "model": tuple(NETWORKS),
}

#: The words people type (CLI flags, `!dream key=value`, slash options, settings lines),
#: each naming the `DreamParams` field it sets. Front ends take their keys from here.
OPTIONS: dict[str, str] = {
    "preset": "preset", "layers": "layers", "layer": "layers", "strength": "step_size",
    "octaves": "octaves", "octave_scale": "octave_scale", "steps": "steps", "jitter": "jitter",
    "smoothing": "smoothing", "seed": "seed", "size": "max_side", "tile": "tile",
    "objective": "objective", "precision": "precision", "jitter_grid": "jitter_grid",
    "frames": "frames", "zoom": "zoom", "frame_octaves": "frame_octaves", "frame_steps": "frame_steps",
    "model": "model", "class": "target_class",
}
#: The word shown to people for a field, where it differs from the field's name.
_SHOWN = {"step_size": "strength", "max_side": "size", "target_class": "class"}


def option_name(field: str) -> str:
    """The word people type for `field`: `step_size` -> `strength`, `max_side` -> `size`."""
    return _SHOWN.get(field, field)


def option_field(word: str) -> str | None:
    """The `DreamParams` field an option word sets (any case), also its own field name."""
    key = word.strip().lower()
    return OPTIONS.get(key) or (key if key in _FIELDS else None)


@dataclass(frozen=True)
class Clamp:
    """A value that was brought into range: what was asked and what runs."""

    name: str
    asked: float
    used: float


def validate(params: DreamParams) -> DreamParams:
    """Return `params` unchanged if every value is in `LIMITS`, else raise `BadParam`."""
    for name, rng in LIMITS.items():
        value = getattr(params, name)
        if value is None and name == "seed":  # the one optional number: None = pick one
            continue
        _check_type(name, value)
        if value not in rng:
            raise BadParam(name, value, f"allowed {rng}")
    for name, words in CHOICES.items():
        if getattr(params, name) not in words:
            raise BadParam(name, getattr(params, name), "one of " + ", ".join(words))
    check_terms(params.layers, params.model)  # names, channels, weights, duplicates, count
    _check_class(params)
    return params


def check_guidable(params: DreamParams) -> None:
    """Refuse what a guide image cannot steer (`dreaming/guide.py`): a channel term (a guide
    matches whole feature vectors, and one channel has no direction to match) or a class
    objective (a second objective, the classifier's, not a layer's)."""
    if params.target_class is not None:
        raise BadParam("guide", "with a class", "a guide steers layers, a class the classifier: use one of them")
    for term in params.layers:
        if term.channel is not None:
            raise BadParam("layers", f"{term.layer}/{term.channel}",
                           f"a guide steers whole layers: drop the /{term.channel}, e.g. {term.layer}")


def on_network(params: DreamParams) -> DreamParams:
    """`params` with its network's default layers where its layers belong to another network
    (a preset's InceptionV3 layers, with model=vgg16 asked), else unchanged."""
    known = params.model in NETWORKS and params.layers
    if known and network_of_layer(params.layers[0].layer) is not NETWORKS[params.model]:
        return params.replace(layers=default_terms(params.model))
    return params


def seeded(params: DreamParams) -> DreamParams:
    """`params` with a seed: its own, or a fresh random one that the result then records."""
    if params.seed is not None:
        return params
    return params.replace(seed=secrets.randbelow(int(LIMITS["seed"].high) + 1))


def clamp(params: DreamParams, limits: dict[str, Range] | None = None
          ) -> tuple[DreamParams, list[Clamp]]:
    """Bring every value into `limits` (default `LIMITS`); return the result and what changed."""
    limits = {**LIMITS, **(limits or {})}
    changes, clamped = {}, []
    for name, rng in limits.items():
        value = getattr(params, name, None)
        if value is None:
            continue
        _check_type(name, value)
        used = rng.clamp(value)
        if name in INT_FIELDS:
            used = int(used)
        if used != value:
            changes[name] = used
            clamped.append(Clamp(name, value, used))
    return (params.replace(**changes) if changes else params), clamped


def _check_class(params: DreamParams) -> None:
    """The class objective: a class number, on a network whose classifier fits any size."""
    value = params.target_class
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < CLASS_COUNT:
        raise BadParam("class", value, f"an ImageNet class number 0 to {CLASS_COUNT - 1}")
    if params.model != DEFAULT_MODEL:
        raise BadParam("class", class_name(value), f"works with model={DEFAULT_MODEL} only")


def _check_type(name: str, value: object) -> None:
    # nan would slip through every range check and clamp: parse_number refuses it
    parse_number(name, value, whole=name in INT_FIELDS, text_ok=False)


def _num(value: float) -> str:
    """`4294967295`, not `4.29497e+09`: whole bounds are shown exactly."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


_FIELDS = {f.name for f in dataclasses.fields(DreamParams)}
