"""Cost model benchmark: measured seconds per unit of work against `dreaming.cost`'s predictions.

    .venv/bin/python bench/bench_cost.py               # sizes, layers and shapes: measured vs predicted
    .venv/bin/python bench/bench_cost.py --calibrate   # re-measure the tables in dreaming/cost.py

The model (`dreaming.cost.estimate`) counts a dream's work in units; this machine's speed is
one number, seconds per unit, taken from a reference dream (a 256 px square on `mixed4`,
2 octaves x 1.4, 4 steps) timed beside each case in every round. Each case's time is predicted as its units x that rate and set beside its
measured time: the model is good where the ratio stays within 0.75..1.25 across image sizes
(75 px to 1024 px, tiled), layers (mixed0 .. mixed10) and shapes (square, 1:4, 5:1, a 4 px
strip padded to the network's minimum, a 1x1 image).

`--calibrate` measures what `LAYER_COST` and `CALL_OVERHEAD` in `dreaming/cost.py` hold: per
layer, the CPU seconds of one step (a dream of 6 steps less one of 1, over 5) on a single
octave at 128 and 448 px; the slope relative to mixed4's is the per-pixel cost, and the
intercept over the convolutions the layer runs (counted from the network) is the per-call
cost, in mixed4 pixels. The network's multiply-adds per pixel up to each layer are printed
beside, as a check.

Times are CPU seconds of this process (all its threads): on a machine shared with other work
they are much steadier than wall seconds, which count the time other processes held the
cores. Every figure is the minimum of `--repeats` rounds (the least disturbed), the rounds
spread over the whole run; every run is warm (the model is loaded and each layer's step
compiled first).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import dreaming  # noqa: E402,F401  (quiets TensorFlow's banner before anything imports it)

import numpy as np  # noqa: E402

from dreaming.layers import LayerTerm  # noqa: E402
from dreaming.params import DreamParams  # noqa: E402

LAYERS = tuple(f"mixed{i}" for i in range(11))
REFERENCE = dict(size=(256, 256), layer="mixed4", octaves=2, steps=4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true", help="measure the tables of dreaming/cost.py")
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--layers", nargs="+", default=LAYERS, help="with --calibrate: time these only")
    args = parser.parse_args()
    from dreaming.model import load_model

    model = load_model()
    if args.calibrate:
        calibrate(model, args.repeats, args.layers)
    else:
        compare(model, args.repeats)


def calibrate(model, repeats: int, layers: tuple[str, ...] = LAYERS) -> None:
    """Timed per-pixel costs (slopes relative to mixed4's) and per-call costs (intercepts per
    convolution, in mixed4 pixels), with the counted multiply-adds beside them."""
    counted = count_network()
    small, large = 128, 448
    slopes, intercepts = {}, {}
    for layer in layers:
        t_small = step_seconds(model, (small, small), layer, repeats)
        t_large = step_seconds(model, (large, large), layer, repeats)
        slopes[layer] = (t_large - t_small) / (large**2 - small**2)
        intercepts[layer] = t_small - slopes[layer] * small**2
        print(f"{layer:8} {t_small * 1e3:6.1f} ms @{small}  {t_large * 1e3:6.1f} ms @{large}  "
              f"{slopes[layer] * 1e9:6.1f} ns/px  intercept {intercepts[layer] * 1e3:5.1f} ms  "
              f"(multiply-adds {counted[layer][0] / counted['mixed4'][0]:.2f}, "
              f"{counted[layer][1]} convolutions)", flush=True)
    unit = slopes.get("mixed4") or statistics.median(
        s / (counted[k][0] / counted["mixed4"][0]) for k, s in slopes.items())
    print("LAYER_COST = {" + ", ".join(f'"{k}": LayerCost({v / unit:.2f}, {counted[k][1]})'
                                       for k, v in slopes.items()) + "}")
    per_call = [intercepts[k] / unit / counted[k][1] for k in layers]
    print(f"CALL_OVERHEAD = {statistics.median(per_call):,.0f}  # mixed4 pixels per convolution, median")


def count_network() -> dict[str, tuple[float, int]]:
    """Per layer: convolution multiply-adds per input pixel of the network up to it (forward),
    and how many convolutions that is."""
    import keras

    side = 512
    network = keras.applications.InceptionV3(include_top=False, weights=None, input_shape=(side, side, 3))
    out = {}
    for layer in LAYERS:
        truncated = keras.Model(network.input, network.get_layer(layer).output)
        convs = [c for c in truncated.layers if isinstance(c, keras.layers.Conv2D)]
        macs = sum(int(np.prod(c.output.shape[1:3])) * int(np.prod(c.kernel.shape)) for c in convs)
        out[layer] = (macs / side**2, len(convs))
    return out


def compare(model, repeats: int) -> None:
    """Every case against the reference, in `repeats` rounds that each time every case once
    with the reference beside it: a burst of other work on the machine then spoils one
    round's sample of a case, not all of them, and the fastest sample is the undisturbed one."""
    from dreaming.cost import estimate

    reference = params_for(REFERENCE["layer"], REFERENCE["octaves"], REFERENCE["steps"])
    dreams = [(REFERENCE["size"], reference)] + [(size, params) for _, size, params in cases()]
    best = [float("inf")] * len(dreams)
    warm(model, dreams)
    for _ in range(repeats):
        for i, (size, params) in enumerate(dreams[1:], start=1):
            ref_s, case_s = dream_seconds(model, [dreams[0], (size, params)], 1, warmed=True)
            best[0], best[i] = min(best[0], ref_s), min(best[i], case_s)
    rate = best[0] / estimate(*dreams[0]).units
    print(f"reference: {REFERENCE}, {estimate(*dreams[0]).units:.2f} units, {best[0]:.2f} CPU s: "
          f"{rate:.2f} s per unit\n")
    print(f"{'case':52} {'units':>6} {'CPU s':>7} {'predicted':>9} {'ratio':>6}  s/unit")
    worst, per_unit = 1.0, []
    for (name, _, _), (size, params), measured in zip(cases(), dreams[1:], best[1:]):
        units = estimate(size, params).units
        ratio = measured / (units * rate)
        worst = max(worst, ratio, 1 / ratio)
        per_unit.append(measured / units)
        print(f"{name:52} {units:6.2f} {measured:7.3f} {units * rate:9.3f} {ratio:6.2f}  "
              f"{measured / units:.2f}")
    print(f"\nseconds per unit: {min(per_unit):.2f} .. {max(per_unit):.2f}; "
          f"worst measured/predicted: {worst:.2f}x (goal: within 1.25x)")


def cases() -> list[tuple[str, tuple[int, int], DreamParams]]:
    """(label, image size (h, w), params): sizes, layers and shapes."""
    out = []
    for side in (75, 160, 256, 512, 1024):
        out.append((f"{side}x{side} mixed4 3 octaves", (side, side), params_for("mixed4", 3, 4)))
    for layer in ("mixed0", "mixed2", "mixed3", "mixed5", "mixed7", "mixed8", "mixed10"):
        out.append((f"384x384 {layer} 3 octaves", (384, 384), params_for(layer, 3, 4)))
    out.append(("256x1024 (1:4) mixed4 3 octaves", (256, 1024), params_for("mixed4", 3, 4)))
    out.append(("1024x200 (5:1) mixed5 2 octaves", (1024, 200), params_for("mixed5", 2, 4)))
    out.append(("4x6000 at 512 mixed4 (padded strip)", (4, 6000), params_for("mixed4", 3, 4, 512)))
    out.append(("1x1 mixed4 (padded)", (1, 1), params_for("mixed4", 3, 4)))
    out.append(("classic preset 512x512 (mixed3+4, 4 oct, 12 steps)", (512, 512),
                DreamParams(max_side=512, steps=12)))
    return out


def params_for(layer: str, octaves: int, steps: int, max_side: int = 1024) -> DreamParams:
    return DreamParams(layers=(LayerTerm(layer, 1.0),), octaves=octaves, steps=steps,
                       max_side=max_side, seed=1)


def dream_seconds(model, dreams: list[tuple[tuple[int, int], DreamParams]], repeats: int,
                  warmed: bool = False) -> list[float]:
    """CPU seconds (all threads) of each whole warm dream, the best of `repeats` rounds that
    dream each in turn."""
    from dreaming.engine import dream

    images = [picture(size) for size, _ in dreams]
    if not warmed:
        warm(model, dreams)
    best = [float("inf")] * len(dreams)
    for _ in range(repeats):
        for i, (image, (_, params)) in enumerate(zip(images, dreams)):
            started = time.process_time()
            dream(image, params, model=model, cancel=threading.Event())
            best[i] = min(best[i], time.process_time() - started)
    return best


def warm(model, dreams: list[tuple[tuple[int, int], DreamParams]]) -> None:
    """Compile each dream's step (once per layer) and meet each size once."""
    from dreaming.engine import dream

    for size, params in dreams:
        dream(picture(size), params.replace(steps=1), model=model)


def step_seconds(model, size: tuple[int, int], layer: str, repeats: int, steps: int = 6) -> float:
    """CPU seconds of one gradient step on a single octave of `size`: the difference between
    a dream of `steps` steps and one of 1, over `steps - 1` (so what a dream costs besides its
    steps drops out), each the best of `repeats`."""
    one, many = dream_seconds(model, [(size, params_for(layer, 1, 1)), (size, params_for(layer, 1, steps))],
                              repeats)
    return (many - one) / (steps - 1)


def picture(size: tuple[int, int]) -> np.ndarray:
    """A smooth, photo-like test picture of `size` (height, width), the same every run."""
    h, w = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([128 + 100 * np.sin(x / 23 + y / 37), 128 + 100 * np.cos(y / 19),
                    128 + 100 * np.sin((x + y) / 31)], axis=-1)
    return rgb.clip(0, 255).astype(np.uint8)


if __name__ == "__main__":
    main()
