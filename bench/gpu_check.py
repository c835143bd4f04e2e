"""GPU check: seconds per 1024 px dream and TFLOP/s, with the engine itself on JAX.

    KERAS_BACKEND=jax python bench/gpu_check.py [--weights inception-2015.weights.h5]

For the borrowed GPU machine: it has CUDA and JAX but no TensorFlow and no network. The
engine runs on JAX (`dreaming/backends/jax_step.py`), so this dreams with
`dreaming.engine.dream` and the presets of `dreaming/presets.yaml`, nothing copied. Run it
from the checkout; besides JAX it needs keras, h5py, Pillow and PyYAML (carry their wheels:
README, "Benchmarks") and the converted weights (`~/.cache/dreambot/
inception-2015.weights.h5`, made by `dreambot-weights` on any machine with the project).

Per preset (`classic`, `keras`) and precision (fp32, TF32, bf16):
- dreams a 1024 px picture (scikit-image's coffee when installed, else a smooth random
  one: time, not looks, is measured) with the preset, seed 0, in one tile (`--tile` to split);
- runs it twice and times the second (warm: JAX compiles each octave size once);
- prints seconds per dream and TFLOP/s: XLA's FLOP count of the compiled step (network
  forward and backward, roll, update) at each octave size, times the steps.
Precision: fp32 = float32 with `jax.default_matmul_precision("highest")`; TF32 = float32
under "tensorfloat32" (convolutions in TF32 on tensor cores); bf16 = the engine's bfloat16
(Keras' `mixed_bfloat16`: bf16 arithmetic, float32 weights and image).
Goal (issue 11): a 1024 px `keras` dream in at most 1 s on an H200.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from dreaming.engine import compiled_step, dream, smoothing_kernels  # noqa: E402
from dreaming.model import load_model  # noqa: E402
from dreaming.plan import plan_dream  # noqa: E402
from dreaming.presets import apply_preset, get_preset, load_presets  # noqa: E402

#: precision name -> (JAX matmul precision, the engine's precision)
PRECISIONS = {"fp32": ("highest", "float32"), "tf32": ("tensorfloat32", "float32"),
              "bf16": ("default", "bfloat16")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=str(Path.home() / ".cache/dreambot/inception-2015.weights.h5"))
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--tile", type=int, help="tile side (default: the whole picture, which an H200 holds)")
    parser.add_argument("--presets", nargs="+", default=["classic", "keras"])
    parser.add_argument("--precisions", nargs="+", default=list(PRECISIONS), choices=list(PRECISIONS))
    args = parser.parse_args()
    print(f"devices: {jax.devices()}  keras {keras.__version__} ({keras.backend.backend()})  jax {jax.__version__}")
    model, presets, image = load_model(args.weights), load_presets(), picture(args.size)
    print(f"{'preset':8} {'precision':9} {'s/dream':>8} {'TFLOP/s':>8} {'TFLOP':>7}")
    for precision in args.precisions:
        matmul, engine_precision = PRECISIONS[precision]
        for name in args.presets:
            params = apply_preset(get_preset(name, presets)).replace(
                max_side=args.size, tile=args.tile or args.size, seed=0, precision=engine_precision)
            with jax.default_matmul_precision(matmul):
                dream(image, params, model=model)  # compiles every octave size
                start = time.perf_counter()
                out = dream(image, params, model=model).image
                seconds = time.perf_counter() - start
                flops = dream_flops(model, params, image.shape[:2])
            assert out.shape[:2] == plan_dream(image.shape[:2], params).out_size
            print(f"{name:8} {precision:9} {seconds:8.3f} {flops / seconds / 1e12:8.2f} {flops / 1e12:7.3f}",
                  flush=True)


def dream_flops(model, params, size: tuple[int, int]) -> float:
    """FLOPs of one dream: XLA's count of the compiled step at each octave size, times the steps."""
    step, kernels = compiled_step(model, params), smoothing_kernels(params.smoothing)
    shapes = plan_dream(size, params).shapes
    return sum(step.flops(shape, kernels, params.tile) for shape in shapes) * params.steps


def picture(size: int) -> np.ndarray:
    """A `size` px photo (scikit-image's coffee) or, without scikit-image, a smooth random one."""
    from PIL import Image
    try:
        import skimage.data
        img = Image.fromarray(skimage.data.coffee())
    except ImportError:
        rng = np.random.default_rng(0)
        img = Image.fromarray(rng.integers(0, 256, (12, 18, 3), dtype=np.uint8)).resize((600, 400), Image.BICUBIC)
    scale = size / max(img.size)
    return np.asarray(img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS))


if __name__ == "__main__":
    main()
