"""What a dream will compute, decided before any TensorFlow runs.

The engine follows this plan, and anything that must know a dream's size ahead of time (a
cost estimate, a queue's ETA) reads the same plan, so the two cannot disagree. Nothing here
imports TensorFlow: the bot and the pool can plan without loading the network.

- `DreamPlan.out_size`: the image's size once fitted within `max_side` (the result's size).
- `DreamPlan.work_size`: the size the network sees at the last octave: the fitted image,
  padded (mirrored) to the network's minimum input where a side is under it.
- `DreamPlan.shapes`: the octave sizes, smallest first, none under the network's minimum.

Images too thin or too small for the network are **padded**, never scaled up, cropped or
refused. Scaling a 6000x4 strip's 1 px side up to the network's 75 px minimum scaled its long
side with it, to about 38,400 px: 150 times the work of the 512x1 image the member gets back.
Padding keeps every dream within the work of a `max_side` square (the canvas is at most
`max_side` x `max_side`), whatever the shape. Of the three choices it is the least
surprising for a member: a refusal turns away a small emoji or a banner that dreams fine,
and a crop loses part of their picture; padded, they get back their whole image, in its own
shape and fitted size, dreamt at the same scale as any other image. The mirrored border
(rather than a flat colour) lets the edge pixels' patterns carry on, so the crop shows no
seam. `dreaming.messages.padded` says so in one line.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dreaming import messages
from dreaming.images.convert import fitted_size
from dreaming.networks import INCEPTION_V3, network
from dreaming.params import DreamParams

#: The default network's smallest input side (each network's is in `dreaming.networks`);
#: tiles are never smaller than it on any network.
MIN_INPUT_SIDE = INCEPTION_V3.min_side


@dataclass(frozen=True)
class DreamPlan:
    """The sizes (height, width) a dream of an image works at."""

    out_size: tuple[int, int]
    work_size: tuple[int, int]
    shapes: tuple[tuple[int, int], ...]
    min_side: int = MIN_INPUT_SIDE  #: the network's smallest input side

    @property
    def octaves(self) -> int:
        return len(self.shapes)

    @property
    def padded(self) -> bool:
        """Whether the image is dreamt on a mirrored canvas larger than itself."""
        return self.work_size != self.out_size

    @property
    def offset(self) -> tuple[int, int]:
        """Where the image sits in the canvas (top, left): centred."""
        return tuple((w - o) // 2 for w, o in zip(self.work_size, self.out_size))

    @property
    def note(self) -> str | None:
        """The one line that tells a member their image was padded, and why; None if not."""
        return messages.padded(self.out_size, self.work_size, self.min_side) if self.padded else None

    def canvas(self, fitted: np.ndarray) -> np.ndarray:
        """The fitted image (`out_size`, HxWxC) mirrored out to `work_size`."""
        (top, left), (height, width) = self.offset, self.out_size
        pads = ((top, self.work_size[0] - height - top), (left, self.work_size[1] - width - left), (0, 0))
        return np.pad(fitted, pads, mode="symmetric") if self.padded else fitted

    def crop(self, img):
        """The image's own part (`out_size`) of a canvas-sized array or tensor."""
        (top, left), (height, width) = self.offset, self.out_size
        return img[top:top + height, left:left + width] if self.padded else img


def plan_dream(image_size: tuple[int, int], params: DreamParams) -> DreamPlan:
    """The plan for an image of `image_size` (height, width) dreamt with `params`."""
    height, width = image_size
    out_w, out_h = fitted_size((width, height), params.max_side)
    minimum = network(params.model).min_side
    work = padded_size((out_h, out_w), minimum)
    shapes = octave_shapes(work, params.octaves, params.octave_scale, minimum)
    return DreamPlan(out_size=(out_h, out_w), work_size=work, shapes=tuple(shapes), min_side=minimum)


def octave_shapes(size: tuple[int, int], octaves: int, scale: float,
                  minimum: int = MIN_INPUT_SIDE) -> list[tuple[int, int]]:
    """Octave sizes, smallest first, ending at `size`; none smaller than the network's minimum."""
    height, width = size
    shapes = []
    for k in reversed(range(octaves)):
        shape = (round(height / scale**k), round(width / scale**k))
        if min(shape) >= minimum:
            shapes.append(shape)
    return shapes or [size]


def padded_size(size: tuple[int, int], minimum: int = MIN_INPUT_SIDE) -> tuple[int, int]:
    """`size` with each side under the network's minimum padded up to it (see the module)."""
    return (max(size[0], minimum), max(size[1], minimum))


def tile_spans(size: int, tile: int) -> list[tuple[int, int]]:
    """Start/stop of the tiles along one side of `size` px: equal parts of about `tile` px,
    none smaller than the network's minimum input; one part means no tiling."""
    parts = max(1, min(math.ceil(size / tile), size // MIN_INPUT_SIDE))
    edges = np.linspace(0, size, parts + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]
