"""What a dream will compute, decided before any TensorFlow runs.

The engine follows this plan, and anything that must know a dream's size ahead of time (a
cost estimate, a queue's ETA) reads the same plan, so the two cannot disagree. Nothing here
imports TensorFlow: the bot and the pool can plan without loading the network.

- `DreamPlan.out_size`: the image's size once fitted within `max_side` (the result's size).
- `DreamPlan.work_size`: the size the network sees at the last octave; an image whose short
  side is under the network's minimum input is dreamt scaled up to it.
- `DreamPlan.shapes`: the octave sizes, smallest first, none under the network's minimum.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dreaming.images.convert import fitted_size
from dreaming.params import DreamParams

#: InceptionV3's smallest input side: below it the deepest blocks have no pixels left.
MIN_INPUT_SIDE = 75
#: Pixels of input per activation pixel (the network's total stride) at each block:
#: mixed0-2 sit after three stride-2 stages, mixed3-7 after four, mixed8-10 after five.
LAYER_STRIDE = {f"mixed{i}": 8 if i <= 2 else 16 if i <= 7 else 32 for i in range(11)}


@dataclass(frozen=True)
class DreamPlan:
    """The sizes (height, width) a dream of an image works at."""

    out_size: tuple[int, int]
    work_size: tuple[int, int]
    shapes: tuple[tuple[int, int], ...]

    @property
    def octaves(self) -> int:
        return len(self.shapes)


def plan_dream(image_size: tuple[int, int], params: DreamParams) -> DreamPlan:
    """The plan for an image of `image_size` (height, width) dreamt with `params`."""
    height, width = image_size
    out_w, out_h = fitted_size((width, height), params.max_side)
    work = work_size((out_h, out_w))
    shapes = octave_shapes(work, params.octaves, params.octave_scale)
    return DreamPlan(out_size=(out_h, out_w), work_size=work, shapes=tuple(shapes))


def octave_shapes(size: tuple[int, int], octaves: int, scale: float) -> list[tuple[int, int]]:
    """Octave sizes, smallest first, ending at `size`; none smaller than the network's minimum."""
    height, width = size
    shapes = []
    for k in reversed(range(octaves)):
        shape = (round(height / scale**k), round(width / scale**k))
        if min(shape) >= MIN_INPUT_SIDE:
            shapes.append(shape)
    return shapes or [size]


def work_size(size: tuple[int, int]) -> tuple[int, int]:
    """`size`, scaled up (aspect kept) so that its short side is at least the network's minimum."""
    short = min(size)
    if short >= MIN_INPUT_SIDE:
        return size
    factor = MIN_INPUT_SIDE / short
    return (max(MIN_INPUT_SIDE, round(size[0] * factor)), max(MIN_INPUT_SIDE, round(size[1] * factor)))


def tile_spans(size: int, tile: int) -> list[tuple[int, int]]:
    """Start/stop of the tiles along one side of `size` px: equal parts of about `tile` px,
    none smaller than the network's minimum input; one part means no tiling."""
    parts = max(1, min(math.ceil(size / tile), size // MIN_INPUT_SIDE))
    edges = np.linspace(0, size, parts + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]
