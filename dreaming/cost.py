"""What a dream costs, known before it is queued, and the bound an operator's caps put on it.

A dream's work is counted in **units**: one unit is one gradient step over a megapixel up to
`mixed4`. `estimate(image_size, params, frames)` reads the plan the engine follows
(`dreaming.plan.plan_dream`, so the two cannot disagree) and adds up, for every octave, the
pixels the network sees times the relative per-pixel cost of the deepest layer used (the
network runs up to it, forward and back), plus a fixed cost per call of each convolution per
tile, times the steps, times the frames. Seconds follow from one measured rate (seconds per
unit, which the bot learns from its recent dreams, `WorkRate`): `bench/bench_cost.py` checks
the prediction against measured times.

The bound (`bound`): a dream may cost at most what a `max_side`-square dream at the caps costs
(most octaves, the smallest octave scale, most steps, the costliest layer, default tiles), or
the operator's `max_work` if lower. Within the caps an image's shape can't exceed it (the plan
pads thin images instead of scaling them up); what still can (small tiles, an operator's lower
`max_work`, many frames) is brought within it by `fit`, which lowers the size and returns
the `Clamp` that says so.
Nothing here imports TensorFlow.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from dreaming.errors import AnimationTooLong, TooMuchWork
from dreaming.networks import INCEPTION_V3, LayerCost, network
from dreaming.params import LIMITS, Clamp, DreamParams, LayerTerm
from dreaming.plan import DreamPlan, plan_dream, tile_spans


#: The default network's cost per layer; each network's table is in `dreaming.networks`.
LAYER_COST = INCEPTION_V3.cost
#: What each convolution costs per call beyond its pixels, in pixels at mixed4's per-pixel cost
#: (the timed intercept over the convolutions, the median across layers; same command): mixed4
#: pays about 16,000 px per tile and step, mixed10 about 38,000. It is why a 75 px square costs
#: about 3.9 times its pixels, and why small tiles cost more than their pixels.
CALL_OVERHEAD = 410
#: Pixels (at mixed4) in one unit of work.
UNIT = 1_000_000
#: Finished dreams whose speed makes `WorkRate`'s figure: enough to smooth one odd dream out,
#: few enough to follow a machine that got busier.
RECENT = 20


@dataclass(frozen=True)
class Work:
    """A dream's estimated work, and the plan it was counted from."""

    units: float
    plan: DreamPlan
    frames: int = 1


def estimate(image_size: tuple[int, int], params: DreamParams, frames: int | None = None) -> Work:
    """The work of dreaming an image of `image_size` (height, width) with `params`: a still,
    or an animation of `frames` frames (default `params.frames`), whose later frames are
    lighter dreams than the first (`frame_work`)."""
    count = params.frames if frames is None else frames
    return Work(sum(frame_work(image_size, params.replace(frames=count))), plan_dream(image_size, params), count)


def step_units(shape: tuple[int, int], params: DreamParams) -> float:
    """The work of one gradient step on one octave of `shape` (height, width)."""
    tiles = len(tile_spans(shape[0], params.tile)) * len(tile_spans(shape[1], params.tile))
    cost = deepest(params.layers, params.model, params.target_class is not None)
    return (shape[0] * shape[1] * cost.pixel + tiles * cost.convolutions * CALL_OVERHEAD) / UNIT


def deepest(terms: tuple[LayerTerm, ...], model: str = INCEPTION_V3.name, whole: bool = False) -> LayerCost:
    """The cost of the deepest (costliest) layer among `terms` on `model`'s network: the network
    runs up to it; `whole` (the class objective) runs all of it."""
    table = network(model).cost
    layers = table if whole else [t.layer for t in terms]
    return max((table[layer] for layer in layers), key=lambda cost: cost.pixel)


def bound(caps: Mapping[str, float], floors: Mapping[str, float] | None = None,
          max_work: float | None = None) -> float:
    """The most work a dream may take under these caps (`max_side`, `octaves`, `steps`) and
    floors (`octave_scale`): a `max_side` square at all of them on the costliest layer, or
    `max_work` if that is lower."""
    costliest = max(LAYER_COST, key=lambda layer: LAYER_COST[layer].pixel)
    worst = DreamParams(layers=(LayerTerm(costliest, 1.0),),
                        max_side=int(caps.get("max_side", LIMITS["max_side"].high)),
                        octaves=int(caps.get("octaves", LIMITS["octaves"].high)),
                        steps=int(caps.get("steps", LIMITS["steps"].high)),
                        octave_scale=(floors or {}).get("octave_scale", LIMITS["octave_scale"].low))
    square = estimate((worst.max_side, worst.max_side), worst).units
    return square if max_work is None else min(square, max_work)


def fit(image_size: tuple[int, int], params: DreamParams, limit: float,
        frames: int | None = None) -> tuple[DreamParams, Work, Clamp | None]:
    """`params` for a dream of at most `limit` units: as they are if they fit, else an
    animation with as many frames as fit (at least two), else with the largest `max_side`
    that does (and the `Clamp` that says so). Raises `TooMuchWork` (`AnimationTooLong`)
    when not even the smallest size fits (steps or frames alone are too many)."""
    params = params if frames is None else params.replace(frames=frames)
    work = estimate(image_size, params)
    if work.units <= limit:
        return params, work, None
    if params.frames > 1 and (fewer := _fewer_frames(image_size, params, limit)) is not None:
        return fewer
    low, high = int(LIMITS["max_side"].low), params.max_side - 1
    best: tuple[DreamParams, Work] | None = None
    while low <= high:  # the largest size within the limit (work grows with the size)
        side = (low + high) // 2
        smaller = params.replace(max_side=side)
        tried = estimate(image_size, smaller)
        if tried.units <= limit:
            best, low = (smaller, tried), side + 1
        else:
            high = side - 1
    if best is None:
        raise AnimationTooLong(work.units, limit, params.frames) if params.frames > 1 else TooMuchWork(work.units, limit)
    return best[0], best[1], Clamp("max_side", params.max_side, best[0].max_side)


class WorkRate:
    """Seconds per unit of work, from the last `keep` dreams a worker finished: how fast this
    machine's workers dream now, for the queue's estimates and the metrics."""

    def __init__(self, keep: int = RECENT) -> None:
        self._recent: deque[tuple[float, float]] = deque(maxlen=keep)  # (seconds, units)

    def record(self, seconds: float, units: float) -> None:
        """A dream of `units` took `seconds` on a worker."""
        if seconds > 0 and units > 0:
            self._recent.append((seconds, units))

    def seconds_per_unit(self) -> float | None:
        """Recent seconds per unit (total time over total work); None before any dream."""
        if not self._recent:
            return None
        return sum(s for s, _ in self._recent) / sum(u for _, u in self._recent)


# -- animations: the first frame is a full dream, every later one a lighter dream ----------

def frame_params(params: DreamParams) -> tuple[DreamParams, DreamParams]:
    """The settings of an animation's first frame (all of `params`) and of every later,
    lighter one (`frame_octaves` octaves of `frame_steps` steps): `dreaming.animate` dreams
    with them, and the work is counted from them, so the two cannot disagree."""
    return params, params.replace(octaves=params.frame_octaves, steps=params.frame_steps)


def frame_work(image_size: tuple[int, int], params: DreamParams) -> list[float]:
    """Each of the `params.frames` frames' units: the first frame's full dream, then the
    lighter ones at the first frame's (fitted) size. Their sum is the animation's work."""
    first, later = frame_params(params)
    plan = plan_dream(image_size, first)
    head = _dream_units(plan, first)
    if params.frames == 1:
        return [head]
    return [head] + [_dream_units(plan_dream(plan.out_size, later), later)] * (params.frames - 1)


def _dream_units(plan: DreamPlan, params: DreamParams) -> float:
    return sum(step_units(shape, params) for shape in plan.shapes) * params.steps


def _fewer_frames(image_size: tuple[int, int], params: DreamParams,
                  limit: float) -> tuple[DreamParams, Work, Clamp] | None:
    """An animation over `limit` with as many frames as fit, and the `Clamp` that says so;
    None if not even two do (then its size has to give)."""
    head, later = frame_work(image_size, params)[:2]
    count = min(params.frames - 1, 1 + int((limit - head) // later)) if later > 0 else 1
    while count >= 2 and (work := estimate(image_size, params, count)).units > limit:
        count -= 1  # the division's rounding, at most once
    if count < 2:
        return None
    return params.replace(frames=count), work, Clamp("frames", params.frames, count)
