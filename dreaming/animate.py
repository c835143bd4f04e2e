"""Zoom animations, told top-down: the endless DeepDream zoom of 2015.

`animate(image, params, model=...)` makes `params.frames` frames:

1. The first frame is the image dreamt as a still, with all of `params` (its octaves and
   steps), so it is exactly what `dream` makes of it with the same seed.
2. Every next frame zooms into the last one by `params.zoom` (crops the centre and resizes
   it back up), then dreams that again lightly: `frame_octaves` octaves of `frame_steps`
   steps (defaults 2 and 6). The last frame already holds the dream, so a light touch at the
   two finest scales grows new detail into the magnified centre and keeps it sharp (one
   octave of 4 steps let the zoom go soft); a full dream per frame, the 2015 notebook's way,
   costs 2.5-3 times as much. (`dreaming.cost.frame_params` holds these settings, and
   `frame_work` counts each frame's work from them.)
3. Frame k dreams with a seed derived from the job's seed and k, so the whole animation
   is reproduced by one seed while the jitter differs from frame to frame.
4. The model stays warm: every frame runs on the same compiled step (same layers, same
   objective), whatever its size. Progress counts frames and work across all of them;
   cancel is checked between frames (and, inside `dream`, between steps).

The result is a `DreamResult` whose `frames` hold the animation and whose `image` is its
first frame; encode it with `dreaming.images.encode_animation` or `fit_animation`.
"""
from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
from PIL import Image

from dreaming.cost import frame_params, frame_work
from dreaming.engine import dream
from dreaming.errors import Cancelled
from dreaming.images import from_array
from dreaming.jobs import DreamResult, Progress, ProgressFn
from dreaming.model import DreamModel
from dreaming.params import DreamParams, seeded, validate


def animate(image: np.ndarray, params: DreamParams, *, model: DreamModel,
            progress: ProgressFn | None = None,
            cancel: threading.Event | None = None, guide: np.ndarray | None = None) -> DreamResult:
    """Dream `image` (uint8 HxWx3) into a zoom animation of `params.frames` frames, every
    frame steered toward `guide` where one is given (`dream`'s)."""
    params = seeded(validate(params))
    first, later = frame_params(params)
    tracker = _FrameTracker(image.shape[:2], params, progress)
    frames: list[np.ndarray] = []
    losses: list[float] = []
    frame = image
    for k in range(params.frames):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        settings = (first if k == 0 else later).replace(seed=frame_seed(params.seed, k))
        if k:
            frame = zoom_in(frame, params.zoom)
        result = dream(frame, settings, model=model, progress=tracker.for_frame(k), cancel=cancel,
                       guide=guide)
        frame = result.image
        frames.append(frame)
        losses.extend(result.losses)
    return DreamResult(image=frames[0], params=params.replace(precision=result.params.precision),
                       losses=tuple(losses), seconds=time.monotonic() - tracker.started,
                       frames=tuple(frames))


def frame_seed(seed: int, k: int) -> int:
    """Frame k's seed: the job's own for the first frame, then well-mixed derivations of it."""
    if k == 0:
        return seed
    return int(np.random.SeedSequence([seed, k]).generate_state(1)[0])


def zoom_in(frame: np.ndarray, zoom: float) -> np.ndarray:
    """`frame` magnified by `zoom` about its centre, at its own size.

    Pillow's `resize(box=...)` reads the centre crop with sub-pixel edges, so a 5% zoom of
    a frame of any size scales by exactly 1.05 and the centre stays put.
    """
    img = from_array(frame)
    width, height = img.size
    dx, dy = width * (1 - 1 / zoom) / 2, height * (1 - 1 / zoom) / 2
    return np.asarray(img.resize((width, height), Image.Resampling.BICUBIC,
                                 box=(dx, dy, width - dx, height - dy)))


class _FrameTracker:
    """Turns each frame's `Progress` into the animation's: frame k of n, fraction of all
    frames' work done, and an ETA over the whole animation."""

    def __init__(self, image_size: tuple[int, int], params: DreamParams, progress: ProgressFn | None):
        self.costs = frame_work(image_size, params)
        self.total = sum(self.costs)
        self.progress = progress
        self.started = time.monotonic()

    def for_frame(self, k: int) -> ProgressFn | None:
        if self.progress is None:
            return None
        before, cost, frames = sum(self.costs[:k]), self.costs[k], len(self.costs)

        def report(p: Progress) -> None:
            done = (before + p.done * cost) / self.total
            elapsed = time.monotonic() - self.started
            eta = elapsed / done * (1 - done) if done > 0 else None
            self.progress(dataclasses.replace(p, done=done, eta_s=eta, frame=k + 1, frames=frames))

        return report
