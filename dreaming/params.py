"""What a dream is made of: `DreamParams`, its limits, validation and clamping.

A `DreamParams` is plain data (picklable, frozen). Layer names inside it are
already resolved to InceptionV3 names by `dreaming.layers.parse_layer_spec`.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from dreaming.errors import BadParam


@dataclass(frozen=True)
class LayerTerm:
    """One term of the objective: maximise `weight` x mean activation of `layer`."""

    layer: str  #: InceptionV3 layer that runs, e.g. "mixed5"
    weight: float = 1.0  #: relative weight in a blend
    channel: int | None = None  #: one channel of the layer, or all of them
    requested: str | None = None  #: what the user typed, when it was an alias ("mixed4c")

    def describe(self) -> str:
        """`mixed4c→mixed5/97:1.5`, as shown to users: what was asked and what ran."""
        name = self.layer if self.channel is None else f"{self.layer}/{self.channel}"
        if self.requested and self.requested != self.layer:
            name = f"{self.requested}→{name}"
        return name if self.weight == 1.0 else f"{name}:{self.weight:g}"


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    unit: str = ""

    def __str__(self) -> str:
        return f"{_num(self.low)}..{_num(self.high)}{self.unit}"


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
    #: largest random shift (px) applied before each step, so that seams and grid artefacts move
    jitter: int = 32
    #: tile side (px) for gradients; bounds memory on big images
    tile: int = 512
    #: the image is scaled down to fit this longest side before dreaming
    max_side: int = 1024
    #: blur the gradient at a few scales (0 = off); suppresses high-frequency noise
    smoothing: float = 0.0
    #: random seed for jitter; None = pick one (the result records which)
    seed: int | None = None
    #: name of the preset these settings came from, for the settings line
    preset: str | None = None

    def replace(self, **changes) -> "DreamParams":
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        """One short line that reproduces this dream."""
        parts = []
        if self.preset:
            parts.append(f"preset={self.preset}")
        parts.append("layers=" + ",".join(t.describe() for t in self.layers))
        parts.append(f"octaves={self.octaves}x{self.octave_scale:g}")
        parts.append(f"steps={self.steps}")
        parts.append(f"strength={self.step_size:g}")
        parts.append(f"jitter={self.jitter}")
        if self.smoothing:
            parts.append(f"smoothing={self.smoothing:g}")
        parts.append(f"seed={self.seed}")
        return " ".join(parts)


#: Hard limits of the engine. Operators and moderators may only narrow them.
LIMITS: dict[str, Range] = {
    "octaves": Range(1, 8),
    "octave_scale": Range(1.05, 2.5),
    "steps": Range(1, 200),
    "step_size": Range(0.0005, 0.2),
    "jitter": Range(0, 256, " px"),
    "tile": Range(96, 4096, " px"),
    "max_side": Range(75, 8192, " px"),
    "smoothing": Range(0.0, 4.0),
    "seed": Range(0, 2**32 - 1),
}
INT_FIELDS = {"octaves", "steps", "jitter", "tile", "max_side", "seed"}
MAX_LAYER_TERMS = 8


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
        if not rng.low <= value <= rng.high:
            raise BadParam(name, value, f"allowed {rng}")
    # Imported here: dreaming.layers imports LayerTerm from this module.
    from dreaming.layers import check_terms
    check_terms(params.layers)  # names, channels, weights, duplicates, count
    return params


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
        used = min(max(value, rng.low), rng.high)
        if name in INT_FIELDS:
            used = int(used)
        if used != value:
            changes[name] = used
            clamped.append(Clamp(name, value, used))
    return (params.replace(**changes) if changes else params), clamped


def _check_type(name: str, value: object) -> None:
    ok = isinstance(value, int) if name in INT_FIELDS else isinstance(value, (int, float))
    if not ok or isinstance(value, bool):
        kind = "a whole number" if name in INT_FIELDS else "a number"
        raise BadParam(name, value, f"must be {kind}")
    if not math.isfinite(value):  # nan would slip through every range check and clamp
        raise BadParam(name, value, "must be a finite number")


def _num(value: float) -> str:
    """`4294967295`, not `4.29497e+09`: whole bounds are shown exactly."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
