"""DeepDream, told top-down.

`dream(image, params, model=...)` does, in order:

1. Fit the image within `max_side` and scale its pixels to [-1, 1] (InceptionV3's input range).
2. Plan the octaves: sizes shrinking by `octave_scale`, smallest first, never below the
   network's minimum input side (octaves that would be smaller are dropped, not crashed on).
3. At each octave, start from the original resized to that size plus the detail dreamed so
   far, and take `steps` gradient-ascent steps. Each step (`gradient_step`, one compiled call,
   the image never leaving the device):
   a. rolls the image by a random shift of up to `jitter` px (from the seed), so that tile
      seams and the network's pooling grid land somewhere else every step;
   b. computes the gradient of the objective tile by tile, so memory stays bounded;
   c. rolls the gradient back, optionally smooths it at a few scales;
   d. divides it by its mean absolute value, steps by `step_size`, and clips to [-1, 1].
   Between steps, and only there, progress is reported and cancel is checked.
4. Keep the detail (dreamed minus original) and carry it up to the next octave.
5. Return uint8 pixels and the exact settings used, seed and precision included.

The objective (`objective`) is, per chosen layer or channel, the mean of its squared
activations (`l2`, the 2015 notebook's and keras-io's) or its mean activation (`mean`, the
TF tutorial's), weighted and summed, ignoring a thin border of each activation map so that
image edges don't dominate.

The step is one `tf.function` with a shape-free input signature: the tile grid, the shift,
the smoothing kernels and the step size are inputs, so it is traced once per objective and
precision, whatever the image, octave or tile size.
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
from dreaming.model import DreamModel
from dreaming.params import DreamParams, LayerTerm, validate
from dreaming.plan import LAYER_STRIDE, plan_dream, tile_spans

#: Activation-map border (px) left out of the objective: edges would otherwise dominate.
BORDER = 2
#: The scales (x sigma) at which the gradient is blurred when smoothing is on.
SMOOTHING_SCALES = (1, 2, 4)

ProgressFn = Callable[[Progress], None]


def dream(image: np.ndarray, params: DreamParams, *, model: DreamModel,
          progress: ProgressFn | None = None,
          cancel: threading.Event | None = None) -> DreamResult:
    """Dream `image` (uint8 HxWx3) with `params`; the result has the image's fitted size."""
    validate(params)
    seed = params.seed if params.seed is not None else secrets.randbelow(2**32)
    params = params.replace(seed=seed, precision=model.resolve(params.precision))
    rng = np.random.default_rng(seed)
    plan = plan_dream(image.shape[:2], params)
    fitted = to_array(fit_within(from_array(image), params.max_side))
    base = _resize(tf.constant(_to_network_range(fitted)), plan.work_size)
    shapes, out_size = list(plan.shapes), plan.out_size
    tracker = _Tracker(shapes, params.steps, progress)
    step_fn = compiled_step(model, params)
    kernels = smoothing_kernels(params.smoothing)
    detail = tf.zeros((*shapes[0], 3), tf.float32)
    for octave, shape in enumerate(shapes, start=1):
        original = _resize(base, shape)
        img = original + _resize(detail, shape)
        tiles = tile_grid(shape, params.tile)
        for step in range(1, params.steps + 1):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            img, loss = gradient_step(step_fn, img, tiles, kernels, params, rng)
            tracker.step_done(octave, step, float(loss))
        detail = img - original

    result = _to_uint8(_resize(img, out_size).numpy())
    return DreamResult(image=result, params=params, losses=tuple(tracker.losses),
                       seconds=time.monotonic() - tracker.started)


def gradient_step(step_fn, img: tf.Tensor, tiles: tuple[tf.Tensor, tf.Tensor],
                  kernels: tuple[tf.Tensor, ...], params: DreamParams,
                  rng: np.random.Generator) -> tuple[tf.Tensor, tf.Tensor]:
    """One jittered, tiled, normalised gradient-ascent step. Returns the new image and loss.

    Only the shift is drawn here (from the seeded generator); everything else runs in the
    compiled `step_fn`, on the device that holds `img`.
    """
    grid = params.jitter_grid or network_stride(params.layers)
    reach = params.jitter // grid
    shift = rng.integers(-reach, reach + 1, size=2) * grid if reach else (0, 0)
    return step_fn(img, tf.constant(shift, tf.int32), *tiles, *kernels,
                   tf.constant(params.step_size, tf.float32))


def network_stride(terms: tuple[LayerTerm, ...]) -> int:
    """The network's stride at the deepest chosen layer: the default jitter grid.

    A shift that is not a multiple of it moves the image against the network's pooling
    grid, so what one step grows the next step sees misaligned: measured on single layers,
    the dream then reaches about 6x the layer's activation energy instead of 11x
    (tests/test_strength.py), and looks busier but weaker. Whole-stride shifts keep features
    growing in place while tile seams and the roll's wrap-around still move every step; the
    price is that deep layers may grow a fine stride-periodic mesh (`jitter_grid=1` avoids it).
    """
    return max(LAYER_STRIDE.get(t.layer, 1) for t in terms)


def compiled_step(model: DreamModel, params: DreamParams):
    """The compiled step for `params`' objective and precision, cached on the model.

    Its `input_signature` is shape-free, so one trace serves every image, octave and tile size
    (`compiled_step(...).experimental_get_tracing_count()` stays 1).
    """
    terms, precision = params.layers, model.resolve(params.precision)
    key = ("step", tuple((t.layer, t.weight, t.channel) for t in terms), params.objective, precision)
    if key not in model.cache:
        gradient = gradient_fn(model, terms, params.objective, precision)
        image, span, kernel = (tf.TensorSpec(s, d) for s, d in (([None, None, 3], tf.float32),
                                                                 ([None, 2], tf.int32),
                                                                 ([None], tf.float32)))
        signature = [image, tf.TensorSpec([2], tf.int32), span, span, kernel, kernel, kernel,
                     tf.TensorSpec([], tf.float32)]

        @tf.function(input_signature=signature)
        def step(img, shift, rows, cols, k1, k2, k4, step_size):
            rolled = tf.roll(img, shift, axis=[0, 1])
            grad, loss = tiled_gradient(gradient, rolled, rows, cols)
            grad = tf.roll(grad, -shift, axis=[0, 1])
            grad = smooth_with(grad, (k1, k2, k4))
            grad /= tf.reduce_mean(tf.abs(grad)) + 1e-8
            return tf.clip_by_value(img + step_size * grad, -1.0, 1.0), loss

        model.cache[key] = step
    return model.cache[key]


def tiled_gradient(gradient, img: tf.Tensor, rows: tf.Tensor, cols: tf.Tensor
                   ) -> tuple[tf.Tensor, tf.Tensor]:
    """The objective's gradient over `img`, computed tile by tile (`rows` x `cols` spans).

    Each tile's gradient is padded back to its place and added, so only one tile's
    activations live at a time; the loss is the tiles' losses weighted by area.
    """
    height, width = tf.shape(img)[0], tf.shape(img)[1]
    area = tf.cast(height * width, tf.float32)
    grad, loss = tf.zeros_like(img), tf.constant(0.0)
    for i in tf.range(tf.shape(rows)[0]):
        for j in tf.range(tf.shape(cols)[0]):
            y0, y1, x0, x1 = rows[i, 0], rows[i, 1], cols[j, 0], cols[j, 1]
            g, tile_loss = gradient(img[y0:y1, x0:x1])
            grad += tf.pad(g, [[y0, height - y1], [x0, width - x1], [0, 0]])
            loss += tile_loss * tf.cast((y1 - y0) * (x1 - x0), tf.float32) / area
    return grad, loss


def tile_grid(size: tuple[int, int], tile: int) -> tuple[tf.Tensor, tf.Tensor]:
    """Row and column spans ([n, 2] start/stop) of tiles of about `tile` px.

    Each side splits into equal parts no smaller than the network's minimum input;
    one part per side means no tiling at all.
    """
    return tuple(tf.constant(tile_spans(side, tile), tf.int32) for side in size)


def smoothing_kernels(sigma: float) -> tuple[tf.Tensor, ...]:
    """Gaussian kernels at each of `SMOOTHING_SCALES` x `sigma`; sigma 0 gives none (width 0)."""
    if not sigma:
        return tuple(tf.zeros([0], tf.float32) for _ in SMOOTHING_SCALES)
    return tuple(tf.constant(_gaussian(sigma * m)) for m in SMOOTHING_SCALES)


def smooth_gradient(grad, sigma: float) -> tf.Tensor:
    """Average the gradient with Gaussian blurs of it at sigma, 2 sigma and 4 sigma px.

    A cheap smoothness prior: it damps the high-frequency noise that plain gradient ascent
    paints, without blurring the image itself.
    """
    return smooth_with(tf.convert_to_tensor(grad, tf.float32), smoothing_kernels(sigma))


def smooth_with(grad: tf.Tensor, kernels: tuple[tf.Tensor, ...]) -> tf.Tensor:
    """`grad` averaged with its blurs by `kernels`; empty kernels (smoothing off) leave it as is."""
    def blurred():
        return tf.add_n([grad] + [_blur(grad, k) for k in kernels]) / (len(kernels) + 1)
    return tf.cond(tf.size(kernels[0]) > 0, blurred, lambda: grad)


def compute_loss(activations: list[tf.Tensor], terms: tuple[LayerTerm, ...],
                 index: list[int], objective: str) -> tf.Tensor:
    """Weighted objective of each term (mean of squares, or mean), without a thin border.

    Activations are cast to float32 first: under bfloat16 the sum of many small squares
    would lose its low bits.
    """
    loss = tf.constant(0.0)
    for term, i in zip(terms, index):
        act = tf.cast(_inner(activations[i]), tf.float32)
        if term.channel is not None:
            act = act[..., term.channel]
        value = tf.reduce_mean(tf.square(act)) if objective == "l2" else tf.reduce_mean(act)
        loss += term.weight * value
    return loss


def gradient_fn(model: DreamModel, terms: tuple[LayerTerm, ...], objective: str, precision: str):
    """tile (HxWx3 float32) -> (d objective / d tile, objective): the backend-specific part."""
    names = tuple(dict.fromkeys(t.layer for t in terms))
    extractor = model.extractor(names, precision)
    index = [names.index(t.layer) for t in terms]

    def gradient(tile):
        with tf.GradientTape() as tape:
            tape.watch(tile)
            acts = extractor(tile[None], training=False)
            acts = acts if isinstance(acts, (list, tuple)) else [acts]
            loss = compute_loss(acts, terms, index, objective)
        return tf.cast(tape.gradient(loss, tile), tf.float32), loss

    return gradient


def _blur(img: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
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


def _resize(img: tf.Tensor, size: tuple[int, int]) -> tf.Tensor:
    if tuple(img.shape[:2]) == tuple(size):
        return img
    return tf.image.resize(img, size, method="bilinear", antialias=True)


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
