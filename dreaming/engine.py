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

The step is written once, in `keras.ops`, and runs on TensorFlow (the default) or JAX
(`KERAS_BACKEND=jax`); only the gradient and the compiling around it are backend-specific
(`dreaming/backends/`). On TensorFlow it is one `tf.function` with a shape-free input
signature (the tile grid, shift, smoothing kernels and step size are inputs), traced once
per objective (its layers, channels and weights, class or guide), precision and smoothing
on/off, whatever the image, octave or tile size; on JAX, `jax.jit` compiles it once per
image shape. The model keeps the `STEPS_KEPT` most recently used steps.
"""
from __future__ import annotations

import math
import threading
import time

import numpy as np
from keras import ops

from dreaming import backends, guide as guides
from dreaming.errors import Cancelled
from dreaming.images import fit_within, from_array, to_array
from dreaming.jobs import DreamResult, Progress, ProgressFn
from dreaming.model import DreamModel
from dreaming.params import DreamParams, LayerTerm, seeded, validate
from dreaming.cost import step_units
from dreaming.networks import DEFAULT_MODEL, LOGITS, network
from dreaming.plan import plan_dream

#: Activation-map border (px) left out of the objective: edges would otherwise dominate.
BORDER = 2
#: Compiled steps kept on a model at once (least recently used go first).
STEPS_KEPT = 16
#: The scales (x sigma) at which the gradient is blurred when smoothing is on.
SMOOTHING_SCALES = (1, 2, 4)



def dream(image: np.ndarray, params: DreamParams, *, model: DreamModel,
          progress: ProgressFn | None = None,
          cancel: threading.Event | None = None, guide: np.ndarray | None = None) -> DreamResult:
    """Dream `image` (uint8 HxWx3) with `params`; the result has the image's fitted size.

    With `guide` (uint8 HxWx3) the objective steers the dream toward the guide's features
    at the chosen layers instead (`dreaming/guide.py`)."""
    params = seeded(validate(params))  # a seed picked now is recorded in the result
    params = params.replace(precision=model.resolve(params.precision))
    rng = np.random.default_rng(params.seed)
    plan = plan_dream(image.shape[:2], params)
    fitted = to_array(fit_within(from_array(image), params.max_side))
    base = ops.convert_to_tensor(_to_network_range(plan.canvas(fitted)))  # thin images: padded
    shapes = list(plan.shapes)
    tracker = _Tracker(shapes, params, progress)
    steer = None if guide is None else guides.prepare(model, guide, params, to_input=_to_network_range,
                                                        inner=_inner)
    step_fn = compiled_step(model, params, steer)
    kernels = smoothing_kernels(params.smoothing)
    detail = ops.zeros((*shapes[0], 3), "float32")
    for octave, shape in enumerate(shapes, start=1):
        original = _resize(base, shape)
        img = original + _resize(detail, shape)
        for step in range(1, params.steps + 1):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            img, loss = gradient_step(step_fn, img, kernels, params, rng)
            tracker.step_done(octave, step, float(loss))
        detail = img - original

    result = _to_uint8(ops.convert_to_numpy(plan.crop(img)))  # the image's part of the canvas
    return DreamResult(image=result, params=params, losses=tuple(tracker.losses),
                       seconds=time.monotonic() - tracker.started)


def gradient_step(step_fn, img, kernels: tuple, params: DreamParams,
                  rng: np.random.Generator) -> tuple:
    """One jittered, tiled, normalised gradient-ascent step. Returns the new image and loss.

    Only the shift is drawn here (from the seeded generator); everything else runs in the
    compiled `step_fn`, on the device that holds `img`.
    """
    grid = params.jitter_grid or network_stride(params.layers, params.model, params.target_class is not None)
    reach = params.jitter // grid
    shift = rng.integers(-reach, reach + 1, size=2) * grid if reach else np.zeros(2, int)
    return step_fn(img, shift, kernels, params.step_size, params.tile)


def network_stride(terms: tuple[LayerTerm, ...], model: str = DEFAULT_MODEL, whole: bool = False) -> int:
    """The network's stride at the deepest chosen layer: the default jitter grid.

    A shift that is not a multiple of it moves the image against the network's pooling
    grid, so what one step grows the next step sees misaligned: measured on single layers,
    the dream then reaches about 6x the layer's activation energy instead of 11x
    (tests/test_strength.py), and looks busier but weaker. Whole-stride shifts keep features
    growing in place while tile seams and the roll's wrap-around still move every step; the
    price is that deep layers may grow a fine stride-periodic mesh (`jitter_grid=1` avoids it).
    `whole`: the class objective, which runs the whole network (its deepest stride).
    """
    strides = network(model).stride
    return max(strides.values()) if whole else max(strides.get(t.layer, 1) for t in terms)


def compiled_step(model: DreamModel, params: DreamParams, guide: guides.Guide | None = None):
    """The compiled step for `params`' objective and precision, cached on the model.

    `step(img, shift, kernels, step_size, tile) -> (img, loss)`; `step.traces()` counts its
    traces: 1 on TensorFlow whatever the sizes, one per image shape on JAX.
    """
    model.get(params.model)  # the params' network must be this model's (else one line)
    terms, precision = params.layers, model.resolve(params.precision)
    smooth = bool(params.smoothing)
    key = ("step", tuple((t.layer, t.weight, t.channel) for t in terms), params.objective,
           precision, smooth, guides.tag(guide), params.target_class)
    if key in model.cache:
        model.cache[key] = model.cache.pop(key)  # the most recently used goes last
    else:
        _forget_old_steps(model.cache)
        names = tuple(dict.fromkeys(t.layer for t in terms))
        index = [names.index(t.layer) for t in terms]
        if params.target_class is not None:  # the class objective: the extractor gives the logits
            names = (LOGITS,)

        def objective(activations):
            if params.target_class is not None:
                return ops.mean(ops.cast(activations[0], "float32")[..., params.target_class])
            if guide is not None:
                return guides.guided_loss([_inner(a) for a in activations], terms, index, guide)
            return compute_loss(activations, terms, index, params.objective)

        def body(img, shift, kernels, step_size, tiled_gradient):
            return step_body(img, shift, kernels if smooth else (), step_size, tiled_gradient)

        network = model.extractor(names, precision)
        model.cache[key] = backends.current().compile_step(network, objective, body)
    return model.cache[key]


def _forget_old_steps(cache: dict) -> None:
    """Make room for one more compiled step: each distinct objective (layers, weights, class,
    guide) compiles its own, so a long-running worker keeps only the `STEPS_KEPT` most
    recently used rather than one per blend anyone ever asked for."""
    steps = [key for key in cache if isinstance(key, tuple) and key and key[0] == "step"]
    for key in steps[:max(0, len(steps) - STEPS_KEPT + 1)]:
        del cache[key]


def step_body(img, shift, kernels: tuple, step_size, tiled_gradient) -> tuple:
    """The step, on any backend: roll, tiled gradient, roll back, smooth, normalise, step.

    `tiled_gradient(rolled) -> (gradient, loss)` is the backend's; `kernels` empty means no
    smoothing.
    """
    grad, loss = tiled_gradient(ops.roll(img, shift, axis=(0, 1)))
    grad = ops.roll(grad, -shift, axis=(0, 1))
    if kernels:
        grad = smooth_with(grad, kernels)
    grad = grad / (ops.mean(ops.abs(grad)) + 1e-8)
    return ops.clip(img + step_size * grad, -1.0, 1.0), loss


def smoothing_kernels(sigma: float) -> tuple:
    """Gaussian kernels at each of `SMOOTHING_SCALES` x `sigma`; sigma 0 gives none (width 0)."""
    if not sigma:
        return tuple(ops.zeros([0], "float32") for _ in SMOOTHING_SCALES)
    return tuple(ops.convert_to_tensor(_gaussian(sigma * m)) for m in SMOOTHING_SCALES)


def smooth_gradient(grad, sigma: float):
    """Average the gradient with Gaussian blurs of it at sigma, 2 sigma and 4 sigma px.

    A cheap smoothness prior: it damps the high-frequency noise that plain gradient ascent
    paints, without blurring the image itself.
    """
    return smooth_with(ops.convert_to_tensor(grad, "float32"), smoothing_kernels(sigma))


def smooth_with(grad, kernels: tuple):
    """`grad` averaged with its blurs by each of `kernels`."""
    return (grad + sum(_blur(grad, k) for k in kernels)) / (len(kernels) + 1)


def compute_loss(activations: list, terms: tuple[LayerTerm, ...], index: list[int],
                 objective: str):
    """Weighted objective of each term (mean of squares, or mean), without a thin border.

    Activations are cast to float32 first: under bfloat16 the sum of many small squares
    would lose its low bits.
    """
    loss = 0.0
    for term, i in zip(terms, index):
        act = ops.cast(_inner(activations[i]), "float32")
        if term.channel is not None:
            act = act[..., term.channel]
        value = ops.mean(ops.square(act)) if objective == "l2" else ops.mean(act)
        loss = loss + term.weight * value
    return loss


def _blur(img, kernel):
    """Separable Gaussian blur of an HxWx3 image, edges reflected."""
    pad = ops.shape(kernel)[0] // 2
    x = ops.pad(img[None], [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="symmetric")
    kx = ops.tile(ops.reshape(kernel, (1, -1, 1, 1)), (1, 1, 3, 1))
    ky = ops.tile(ops.reshape(kernel, (-1, 1, 1, 1)), (1, 1, 3, 1))
    return ops.depthwise_conv(ops.depthwise_conv(x, kx, 1, "valid"), ky, 1, "valid")[0]


def _gaussian(sigma: float) -> np.ndarray:
    radius = max(1, math.ceil(3 * sigma))
    x = np.arange(-radius, radius + 1, dtype=np.float32)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _inner(act):
    """`act` ([1, h, w, c]) without a BORDER-px frame, keeping at least one pixel."""
    h, w = ops.shape(act)[1], ops.shape(act)[2]
    bh, bw = _border(h), _border(w)
    return act[:, bh:h - bh, bw:w - bw, :]


def _border(side):
    # A number where the shape is static (JAX, eager), a tensor in TensorFlow's shape-free graph.
    return min(BORDER, (side - 1) // 2) if isinstance(side, int) else ops.minimum(BORDER, (side - 1) // 2)


def _resize(img, size: tuple[int, int]):
    if tuple(img.shape[:2]) == tuple(size):
        return img
    return ops.image.resize(img, size, interpolation="bilinear", antialias=True)


def _to_network_range(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float32) / 127.5 - 1.0


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.round((np.clip(img, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)


class _Tracker:
    """Turns steps into `Progress` events: fraction done weighted by each step's estimated
    work (`dreaming.cost`, the model the queue's estimates use), and an ETA."""

    def __init__(self, shapes: list[tuple[int, int]], params: DreamParams, progress: ProgressFn | None):
        self.costs = [step_units(shape, params) for shape in shapes]
        self.total = sum(self.costs) * params.steps
        self.octaves, self.steps, self.progress = len(shapes), params.steps, progress
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
