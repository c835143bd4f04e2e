"""GPU check: seconds per 1024 px dream and TFLOP/s, on a machine with JAX but no TensorFlow.

    KERAS_BACKEND=jax python bench/gpu_check.py --weights inception-2015.weights.h5

Self-contained on purpose: the borrowed GPU machine has CUDA and JAX but no TensorFlow and
no network, so this file imports neither `dreaming` (whose engine runs on TensorFlow) nor
anything that needs a download. It needs `keras` and `h5py` (carry their wheels: README,
"Tests and benchmarks") and the converted weights file (`~/.cache/dreambot/
inception-2015.weights.h5`, made by `dreambot-weights` on any machine with the project).

What it does, per preset (`classic`, `keras`) and precision (fp32, TF32, bf16):
- dreams a 1024 px image (scikit-image's coffee when installed, else a smooth random
  picture: time, not looks, is measured) with the preset's octaves, steps, step size and
  jitter, the same algorithm as dreaming/engine.py: roll by a whole-stride shift, gradient
  of the mean squared activations without a 2-px border, roll back, divide by mean |g|,
  step, clip; octaves carry the detail up. No tiles: 1024 px fits an H200 whole;
- runs it twice and times the second (warm: every octave size already compiled);
- prints seconds per dream and TFLOP/s, the FLOPs counted by XLA's cost analysis of the
  compiled step (forward and backward), times the steps run.
Precision: fp32 = `jax.default_matmul_precision("highest")`; TF32 = "tensorfloat32"
(convolutions in TF32 on tensor cores); bf16 = the network built under Keras'
`mixed_bfloat16` policy (bf16 arithmetic, float32 weights and image).
Goal (issue 11): a 1024 px `keras` dream in at most 1 s on an H200.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

#: The presets measured, as in dreaming/presets.yaml (objective l2).
PRESETS = {
    "classic": dict(layers={"mixed3": 1.0, "mixed4": 0.5}, octaves=4, octave_scale=1.4, steps=12,
                    step_size=0.015, jitter=32),
    "keras": dict(layers={"mixed4": 1.0, "mixed5": 1.5, "mixed6": 2.0, "mixed7": 2.5}, octaves=3,
                  octave_scale=1.4, steps=20, step_size=0.01, jitter=0),
}
#: precision name -> (matmul precision, Keras dtype policy)
PRECISIONS = {"fp32": ("highest", "float32"), "tf32": ("tensorfloat32", "float32"),
              "bf16": ("default", "mixed_bfloat16")}
STRIDE = {f"mixed{i}": 8 if i <= 2 else 16 if i <= 7 else 32 for i in range(11)}
BORDER, MIN_SIDE = 2, 75


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=str(Path.home() / ".cache/dreambot/inception-2015.weights.h5"))
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS))
    parser.add_argument("--precisions", nargs="+", default=list(PRECISIONS))
    args = parser.parse_args()
    print(f"devices: {jax.devices()}  keras {keras.__version__} ({keras.backend.backend()})  jax {jax.__version__}")
    image = picture(args.size)
    print(f"{'preset':8} {'precision':9} {'s/dream':>8} {'TFLOP/s':>8} {'TFLOP':>7}")
    for precision in args.precisions:
        matmul, policy = PRECISIONS[precision]
        base = network(args.weights, policy)
        for name in args.presets:
            with jax.default_matmul_precision(matmul):
                dreamer = Dreamer(base, **PRESETS[name])
                dreamer.dream(image, seed=0)  # compiles every octave size
                start = time.perf_counter()
                out = dreamer.dream(image, seed=0)
                seconds = time.perf_counter() - start
            assert np.isfinite(out).all()
            flops = dreamer.flops()
            print(f"{name:8} {precision:9} {seconds:8.3f} {flops / seconds / 1e12:8.2f} {flops / 1e12:7.3f}",
                  flush=True)


def network(weights: str, policy: str) -> keras.Model:
    """InceptionV3 without its top, computing in `policy`, with the converted weights."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        base = keras.applications.InceptionV3(include_top=False, weights=None)
    finally:
        keras.config.set_dtype_policy(previous)
    base.load_weights(weights)
    return base


class Dreamer:
    """One preset's dream on JAX: a jitted step per octave size, the image kept on the device."""

    def __init__(self, base: keras.Model, *, layers, octaves, octave_scale, steps, step_size, jitter):
        self.names, self.weights = list(layers), list(layers.values())
        self.octaves, self.scale, self.steps = octaves, octave_scale, steps
        self.step_size, self.jitter = step_size, jitter
        self.grid = max(STRIDE[n] for n in self.names)
        self.model = keras.Model(base.input, [base.get_layer(n).output for n in self.names])
        self.variables = ([v.value for v in self.model.trainable_variables],
                          [v.value for v in self.model.non_trainable_variables])
        self.step = jax.jit(self._step)
        self.shapes: list[tuple[int, int]] = []

    def dream(self, pixels: np.ndarray, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        base = jnp.asarray(pixels, jnp.float32) / 127.5 - 1.0
        h, w = base.shape[:2]
        self.shapes = [s for s in ((round(h / self.scale**k), round(w / self.scale**k))
                                   for k in reversed(range(self.octaves))) if min(s) >= MIN_SIDE]
        detail = jnp.zeros((*self.shapes[0], 3), jnp.float32)
        for shape in self.shapes:
            original = jax.image.resize(base, (*shape, 3), "linear")
            img = original + jax.image.resize(detail, (*shape, 3), "linear")
            for _ in range(self.steps):
                reach = self.jitter // self.grid
                shift = rng.integers(-reach, reach + 1, size=2) * self.grid if reach else np.zeros(2, int)
                img, _loss = self.step(img, jnp.asarray(shift, jnp.int32), *self.variables)
            detail = img - original
        return np.asarray(jnp.round((jnp.clip(img, -1, 1) + 1) * 127.5).astype(jnp.uint8))

    def flops(self) -> float:
        """FLOPs of one dream: XLA's count for each octave's compiled step, times the steps."""
        total = 0.0
        for shape in self.shapes:
            args = (jnp.zeros((*shape, 3), jnp.float32), jnp.zeros(2, jnp.int32), *self.variables)
            cost = self.step.lower(*args).compile().cost_analysis()
            cost = cost[0] if isinstance(cost, (list, tuple)) else cost
            total += float(cost.get("flops", 0.0)) * self.steps
        return total

    def _loss(self, img, trainable, non_trainable):
        outputs, _ = self.model.stateless_call(trainable, non_trainable, img[None], training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        loss = jnp.float32(0.0)
        for weight, act in zip(self.weights, outputs):
            act = act[:, BORDER:-BORDER, BORDER:-BORDER, :].astype(jnp.float32)
            loss += weight * jnp.mean(jnp.square(act))
        return loss

    def _step(self, img, shift, trainable, non_trainable):
        rolled = jnp.roll(img, (shift[0], shift[1]), axis=(0, 1))
        loss, grad = jax.value_and_grad(self._loss)(rolled, trainable, non_trainable)
        grad = jnp.roll(grad, (-shift[0], -shift[1]), axis=(0, 1))
        grad = grad / (jnp.mean(jnp.abs(grad)) + 1e-8)
        return jnp.clip(img + self.step_size * grad, -1.0, 1.0), loss


def picture(size: int) -> np.ndarray:
    """A `size` px photo (scikit-image's coffee) or, without scikit-image, a smooth random one."""
    try:
        import skimage.data
        from PIL import Image
        img = Image.fromarray(skimage.data.coffee())
        scale = size / max(img.size)
        return np.asarray(img.resize((round(img.width * scale), round(img.height * scale))))
    except ImportError:
        rng = np.random.default_rng(0)
        small = rng.integers(0, 256, (size * 2 // 3 // 32, size // 32, 3)).astype(np.float32)
        big = jax.image.resize(jnp.asarray(small), (size * 2 // 3, size, 3), "cubic")
        return np.asarray(jnp.clip(big, 0, 255)).astype(np.uint8)


if __name__ == "__main__":
    main()
