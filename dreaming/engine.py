"""DeepDream, told top-down.

`dream(image, params, model=...)` does, in order:

1. Fit the image within `max_side` and scale its pixels to [-1, 1] (InceptionV3's input range).
2. Plan the octaves: sizes shrinking by `octave_scale`, smallest first, never below the
   network's minimum input side (octaves that would be smaller are dropped, not crashed on).
3. At each octave, start from the original resized to that size plus the detail dreamed so
   far, and take `steps` gradient-ascent steps. Each step:
   a. rolls the image by a random shift of up to `jitter` px (from the seed), so that tile
      seams and the network's pooling grid land somewhere else every step;
   b. computes the gradient of the objective tile by tile, so memory stays bounded;
   c. rolls the gradient back, optionally smooths it at a few scales;
   d. divides it by its mean absolute value, steps by `step_size`, and clips to [-1, 1].
4. Keep the detail (dreamed minus original) and carry it up to the next octave.
5. Return uint8 pixels and the exact settings used, seed included.

The objective is the weighted mean activation of the chosen layers (or single channels),
ignoring a thin border of each activation map so that image edges don't dominate.
"""
from __future__ import annotations

import math
import secrets
import threading
import time
from typing import Callable

import numpy as np
import tensorflow as tf

from dreaming.errors import Cancelled
from dreaming.images import fit_within, from_array, to_array
from dreaming.jobs import DreamResult, Progress
from dreaming.model import MIN_INPUT_SIDE, DreamModel
from dreaming.params import DreamParams, LayerTerm, validate

#: Activation-map border (px) left out of the objective: edges would otherwise dominate.
BORDER = 2

ProgressFn = Callable[[Progress], None]


def dream(image: np.ndarray, params: DreamParams, *, model: DreamModel,
          progress: ProgressFn | None = None,
          cancel: threading.Event | None = None) -> DreamResult:
    """Dream `image` (uint8 HxWx3) with `params`; the result has the image's fitted size."""
    validate(params)
    seed = params.seed if params.seed is not None else secrets.randbelow(2**32)
    params = params.replace(seed=seed)
    rng = np.random.default_rng(seed)
    fitted = to_array(fit_within(from_array(image), params.max_side))
    base, out_size = _to_network_range(fitted), fitted.shape[:2]
    base = _resize(base, _work_size(out_size))  # tiny images are dreamt at the minimum size

    shapes = octave_shapes(base.shape[:2], params.octaves, params.octave_scale)
    tracker = _Tracker(shapes, params.steps, progress)
    gradient = _gradient_fn(model, params.layers)
    detail = np.zeros((*shapes[0], 3), np.float32)
    for octave, shape in enumerate(shapes, start=1):
        original = _resize(base, shape)
        img = original + _resize(detail, shape)
        for step in range(1, params.steps + 1):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            img, loss = gradient_step(img, gradient, params, rng)
            tracker.step_done(octave, step, loss)
        detail = img - original

    result = _to_uint8(_resize(img, out_size))
    return DreamResult(image=result, params=params, losses=tuple(tracker.losses),
                       seconds=time.monotonic() - tracker.started)


def octave_shapes(size: tuple[int, int], octaves: int, scale: float) -> list[tuple[int, int]]:
    """Octave sizes, smallest first, ending at `size`; none smaller than the network's minimum."""
    height, width = size
    shapes = []
    for k in reversed(range(octaves)):
        shape = (round(height / scale**k), round(width / scale**k))
        if min(shape) >= MIN_INPUT_SIDE:
            shapes.append(shape)
    return shapes or [size]


def gradient_step(img: np.ndarray, gradient, params: DreamParams,
                  rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """One jittered, tiled, normalised gradient-ascent step. Returns the new image and loss."""
    shift = rng.integers(-params.jitter, params.jitter + 1, size=2) if params.jitter else (0, 0)
    rolled = np.roll(img, shift, axis=(0, 1))
    grad, loss = tiled_gradient(gradient, rolled, params.tile)
    grad = np.roll(grad, (-shift[0], -shift[1]), axis=(0, 1))
    if params.smoothing:
        grad = smooth_gradient(grad, params.smoothing)
    grad /= np.abs(grad).mean() + 1e-8
    return np.clip(img + params.step_size * grad, -1.0, 1.0), loss


def tiled_gradient(gradient, img: np.ndarray, tile: int) -> tuple[np.ndarray, float]:
    """The objective's gradient over `img`, computed on tiles of about `tile` px.

    Tiles split each side into equal parts no smaller than the network's minimum input;
    the loss returned is the tiles' losses weighted by area. One tile = no tiling at all.
    """
    grad = np.empty_like(img)
    height, width = img.shape[:2]
    loss = 0.0
    for y0, y1 in _spans(height, tile):
        for x0, x1 in _spans(width, tile):
            g, tile_loss = gradient(tf.constant(img[y0:y1, x0:x1]))
            grad[y0:y1, x0:x1] = g.numpy()
            loss += float(tile_loss) * (y1 - y0) * (x1 - x0) / (height * width)
    return grad, loss


def smooth_gradient(grad: np.ndarray, sigma: float) -> np.ndarray:
    """Average the gradient with Gaussian blurs of it at sigma, 2 sigma and 4 sigma px.

    A cheap smoothness prior: it damps the high-frequency noise that plain gradient ascent
    paints, without blurring the image itself.
    """
    blurred = [grad] + [_blur(tf.constant(grad), tf.constant(_gaussian(sigma * m))).numpy()
                        for m in (1, 2, 4)]
    return np.mean(blurred, axis=0)


def compute_loss(activations: list[tf.Tensor], terms: tuple[LayerTerm, ...],
                 index: list[int]) -> tf.Tensor:
    """Weighted mean activation of each term, without a thin border of each map."""
    loss = tf.constant(0.0)
    for term, i in zip(terms, index):
        act = _inner(activations[i])
        if term.channel is not None:
            act = act[..., term.channel]
        loss += term.weight * tf.reduce_mean(act)
    return loss


def _gradient_fn(model: DreamModel, terms: tuple[LayerTerm, ...]):
    """A compiled tile -> (gradient, loss) function for `terms`, cached on the model.

    The shape-free `input_signature` means one trace serves every tile and octave size.
    """
    key = ("gradient", tuple((t.layer, t.weight, t.channel) for t in terms))
    if key not in model.cache:
        names = tuple(dict.fromkeys(t.layer for t in terms))
        extractor = model.extractor(names)
        index = [names.index(t.layer) for t in terms]

        @tf.function(input_signature=[tf.TensorSpec([None, None, 3], tf.float32)])
        def gradient(tile):
            with tf.GradientTape() as tape:
                tape.watch(tile)
                acts = extractor(tile[None], training=False)
                acts = acts if isinstance(acts, (list, tuple)) else [acts]
                loss = compute_loss(acts, terms, index)
            return tape.gradient(loss, tile), loss

        model.cache[key] = gradient
    return model.cache[key]


@tf.function(input_signature=[tf.TensorSpec([None, None, 3], tf.float32),
                              tf.TensorSpec([None], tf.float32)])
def _blur(img, kernel):
    """Separable Gaussian blur of an HxWx3 image, edges reflected."""
    pad = tf.shape(kernel)[0] // 2
    x = tf.pad(img[None], [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="SYMMETRIC")
    kx = tf.tile(tf.reshape(kernel, [1, -1, 1, 1]), [1, 1, 3, 1])
    ky = tf.tile(tf.reshape(kernel, [-1, 1, 1, 1]), [1, 1, 3, 1])
    x = tf.nn.depthwise_conv2d(x, kx, [1, 1, 1, 1], "VALID")
    x = tf.nn.depthwise_conv2d(x, ky, [1, 1, 1, 1], "VALID")
    return x[0]


def _gaussian(sigma: float) -> np.ndarray:
    radius = max(1, math.ceil(3 * sigma))
    x = np.arange(-radius, radius + 1, dtype=np.float32)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _inner(act: tf.Tensor) -> tf.Tensor:
    """`act` ([1, h, w, c]) without a BORDER-px frame, keeping at least one pixel."""
    h, w = tf.shape(act)[1], tf.shape(act)[2]
    bh, bw = tf.minimum(BORDER, (h - 1) // 2), tf.minimum(BORDER, (w - 1) // 2)
    return act[:, bh:h - bh, bw:w - bw, :]


def _spans(size: int, tile: int) -> list[tuple[int, int]]:
    parts = max(1, min(math.ceil(size / tile), size // MIN_INPUT_SIDE))
    edges = np.linspace(0, size, parts + 1).round().astype(int)
    return list(zip(edges[:-1], edges[1:]))


def _work_size(size: tuple[int, int]) -> tuple[int, int]:
    short = min(size)
    if short >= MIN_INPUT_SIDE:
        return size
    factor = MIN_INPUT_SIDE / short
    return (max(MIN_INPUT_SIDE, round(size[0] * factor)), max(MIN_INPUT_SIDE, round(size[1] * factor)))


def _resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if tuple(img.shape[:2]) == tuple(size):
        return img
    return tf.image.resize(img, size, method="bilinear", antialias=True).numpy()


def _to_network_range(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float32) / 127.5 - 1.0


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.round((np.clip(img, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)


class _Tracker:
    """Turns steps into `Progress` events: fraction done weighted by pixels, and an ETA."""

    def __init__(self, shapes: list[tuple[int, int]], steps: int, progress: ProgressFn | None):
        self.costs = [h * w for h, w in shapes]
        self.total = sum(self.costs) * steps
        self.octaves, self.steps, self.progress = len(shapes), steps, progress
        self.losses: list[float] = []
        self.done = 0.0
        self.started = time.monotonic()

    def step_done(self, octave: int, step: int, loss: float) -> None:
        self.losses.append(loss)
        self.done += self.costs[octave - 1]
        if self.progress is None:
            return
        fraction = self.done / self.total
        elapsed = time.monotonic() - self.started
        eta = elapsed / fraction * (1 - fraction) if fraction > 0 else None
        self.progress(Progress(octave=octave, octaves=self.octaves, step=step, steps=self.steps,
                               done=fraction, eta_s=eta, loss=loss))
