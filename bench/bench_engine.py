"""Engine benchmark: our loop vs the keras-io DeepDream loop, and memory as images grow.

    .venv/bin/python bench/bench_engine.py            # speed at 512 and 1024 px, then memory
    .venv/bin/python bench/bench_engine.py --no-memory --sizes 512

Speed: a real photo (scikit-image's coffee cup) at each size, on the Keras example's settings
(mixed4-7 weighted 1/1.5/2/2.5, 3 octaves x 1.4, 20 steps, step 0.01), both sides in this
process on the same model. The baseline is timed two ways:
- `new size`: as in a service, where every upload has a new size, its per-step `tf.function`
  retraces for each octave size (a fresh function per image reproduces exactly that);
- `same size again`: its best case, every trace already cached.
Our engine is timed after its one-time warm-up (a worker does that once at start).

Memory: each size dreams in a fresh subprocess (1 octave, 2 steps: memory, not time, is
measured) and reports its peak RSS; tiling (512 px) should keep the network's share flat.
Figures are ratios within one run; the machine is shared, so absolute seconds are noisy.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import dreaming  # noqa: E402,F401  (quiets TensorFlow's banner before anything imports it)

KERAS_SPEC = "mixed4:1,mixed5:1.5,mixed6:2,mixed7:2.5"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--memory-sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tile", type=int, default=512, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        return _memory_child(args.memory_child, args.tile)
    if not args.no_speed:
        speed(args.sizes)
    if not args.no_memory:
        memory(args.memory_sizes)


def speed(sizes: list[int]) -> None:
    from keras_example import keras_example_dream
    from dreaming.engine import dream
    from dreaming.model import load_model

    model = load_model()
    params = _keras_params()
    dream(photo(96), params.replace(steps=1), model=model)  # one-time warm-up, as a worker does
    print("seconds per image, wall (CPU); ratio = baseline / ours, on CPU time")
    print(f"{'size':>6} {'baseline new size':>20} {'baseline same size':>20} {'ours':>16} "
          f"{'ratio new':>10} {'ratio same':>11}")
    for size in sizes:
        image = photo(size)
        cold = _timed(lambda: keras_example_dream(image, model.base))
        warm = _timed(lambda: keras_example_dream(image, model.base, reuse=True))
        ours = _timed(lambda: dream(image, params, model=model))
        cell = lambda t: f"{t[0]:.1f}s ({t[1]:.1f}s)"  # noqa: E731
        print(f"{size:>5}px {cell(cold):>20} {cell(warm):>20} {cell(ours):>16} "
              f"{cold[1] / ours[1]:>9.2f}x {warm[1] / ours[1]:>10.2f}x", flush=True)


def memory(sizes: list[int]) -> None:
    print(f"\n{'size':>6} {'tile':>6} {'peak RSS':>10} {'image buffers':>14}")
    runs = [(s, 512) for s in sizes] + [(2048, 4096)]  # last: one 2048 px tile, for contrast
    for size, tile in runs:
        out = subprocess.run([sys.executable, __file__, "--memory-child", str(size), "--tile", str(tile)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(f"{size:>5}px failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        stats = json.loads(out.stdout.strip().splitlines()[-1])
        label = "none" if tile >= size else str(tile)
        print(f"{size:>5}px {label:>6} {stats['peak_mb']:>8.0f}MB {stats['buffers_mb']:>12.0f}MB", flush=True)


def _memory_child(size: int, tile: int) -> None:
    from dreaming.engine import dream
    from dreaming.model import load_model

    model = load_model()
    image = photo(size)
    dream(image, _keras_params().replace(octaves=1, steps=2, tile=tile, max_side=8192), model=model)
    # float32 HxWx3 copies the loop keeps alive at once (image, original, detail, gradient, roll)
    buffers = image.shape[0] * image.shape[1] * 3 * 4 * 5 / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_mb": peak, "buffers_mb": buffers}))


def photo(size: int):
    """scikit-image's coffee photo scaled so its longer side is `size` px."""
    import numpy as np
    import skimage.data
    from PIL import Image
    img = Image.fromarray(skimage.data.coffee())
    scale = size / max(img.size)
    return np.asarray(img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS))


def _keras_params():
    from dreaming.layers import parse_layer_spec
    from dreaming.params import DreamParams
    return DreamParams(layers=parse_layer_spec(KERAS_SPEC), octaves=3, octave_scale=1.4, steps=20,
                       step_size=0.01, max_side=8192, seed=0)


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process): CPU time is steadier on a shared machine."""
    start, start_cpu = time.perf_counter(), _cpu()
    fn()
    return time.perf_counter() - start, _cpu() - start_cpu


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
