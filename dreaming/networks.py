"""The networks a dream can run on, each described once: `NETWORKS[name]`.

A `Network` holds the facts the rest of the engine reads about it: its layers (Keras names,
channels, what they paint) and the other names people type for them, its smallest input
side, its stride and cost per layer, the layers a dream uses when none are given, how its
input is scaled, and the weights sources it accepts. `dreaming.model` builds the Keras
network for a name; `dreaming.plan`, `dreaming.cost` and `dreaming.layers` read the facts
here for `params.model`.

- `inception_v3` (the default): Keras InceptionV3 without its top; with a top (the classifier
  head, from `imagenet` or a local .h5) it also offers the class objective.
- `vgg16`: Keras VGG16 without its top; the blog names `conv3_1` ... `conv5_3` (Caffe's VGG
  names) are aliases for Keras's `block3_conv1` ... `block5_conv3`.

No TensorFlow here: the bot process reads these facts to check requests.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: the network a dream runs on unless it names another
DEFAULT_MODEL = "inception_v3"
#: InceptionV3's classifier head: a dense layer from its 2048 pooled features to 1000 classes
CLASSIFIER_KERNEL = (2048, 1000)
#: the pseudo-layer whose output is the classifier's 1000 pre-softmax logits (class objective)
LOGITS = "logits"


@dataclass(frozen=True)
class LayerInfo:
    """One layer a dream can excite: its Keras name, output channels and what it tends to paint."""

    name: str
    channels: int
    paints: str


@dataclass(frozen=True)
class LayerCost:
    """What one gradient step up to a layer costs: per pixel, and per call."""

    pixel: float  #: relative cost per pixel (InceptionV3's mixed4 = 1)
    convolutions: int  #: convolutions up to it: each has a fixed cost per call (per tile and step)


@dataclass(frozen=True)
class Network:
    """What the engine, planner and cost model need to know about one network."""

    name: str
    title: str  #: as people know it, for messages and logs
    layers: dict[str, LayerInfo]
    aliases: dict[str, str]  #: other names people type -> Keras layer name
    alias_note: str  #: what the aliases are, for `--list-layers`
    min_side: int  #: smallest input side: below it the deepest layers have no pixels left
    stride: dict[str, int]  #: pixels of input per activation pixel at each layer
    cost: dict[str, LayerCost]
    default_layers: tuple[tuple[str, float], ...]  #: (layer, weight) when a dream names none
    #: how the engine's [-1, 1] pixels become the network's input: "tf" (already [-1, 1]) or
    #: "caffe" (BGR, 0..255, ImageNet mean subtracted), done inside the model
    preprocessing: str
    weights_default: str  #: the weights source used when none is given
    has_top_source: tuple[str, ...] = ()  #: named sources whose file carries the classifier head
    #: steps per octave a layer dreamt on its own needs to reach the classic strength, where
    #: more than a preset's (see `steps_alone`)
    steps_alone: dict[str, int] = field(default_factory=dict)


# -- InceptionV3 ---------------------------------------------------------------------------

# Channel counts checked against keras.applications.InceptionV3(include_top=False).
# Blocks 0-2 see the image at 1/8 scale, 3-7 at 1/16, 8-10 at 1/32: the deeper the
# block, the larger and more object-like what it paints.
_INCEPTION_LAYERS = (
    LayerInfo("mixed0", 256, "fine edges, brush strokes and grain"),
    LayerInfo("mixed1", 288, "swirls, stripes and woven textures"),
    LayerInfo("mixed2", 288, "textures turning into patterns: scales, lattices, spirals"),
    LayerInfo("mixed3", 768, "bold repeating patterns and ornaments"),
    LayerInfo("mixed4", 768, "eyes, fur and feather patterns"),
    LayerInfo("mixed5", 768, "eyes and dog faces: the classic 2015 look"),
    LayerInfo("mixed6", 768, "animal heads, snouts, bird and insect parts"),
    LayerInfo("mixed7", 768, "whole creatures: dogs, birds, lizards"),
    LayerInfo("mixed8", 1280, "architecture: pagodas, arches, towers"),
    LayerInfo("mixed9", 2048, "large objects and scenes: buildings, vehicles, animals"),
    LayerInfo("mixed10", 2048, "whole-image shapes; objects melt into each other"),
)

# GoogLeNet's inception blocks mapped onto InceptionV3's by depth. Both networks
# have the same three stages, and within a stage we keep the order and the ends:
# - 1/8 scale: GoogLeNet 3a, 3b; InceptionV3 mixed0-2. 3a is the first block
#   (mixed0); 3b is the last before the grid shrinks (mixed2).
# - 1/16 scale: 4a-4e and mixed3-7, five blocks each, so one to one. This puts the
#   famous inception_4c (eyes, dog faces) on mixed5, which paints the same things.
# - 1/32 scale: 5a, 5b; mixed8-10. 5a is the first (mixed8); 5b goes to mixed9, not
#   mixed10, because mixed10 feeds the classifier directly (its patterns are the
#   least image-like) and is the one block whose Keras form differs from the
#   original network (a max-pool branch became an average pool).
_GOOGLENET_ALIASES = {
    "mixed3a": "mixed0", "mixed3b": "mixed2",
    "mixed4a": "mixed3", "mixed4b": "mixed4", "mixed4c": "mixed5",
    "mixed4d": "mixed6", "mixed4e": "mixed7",
    "mixed5a": "mixed8", "mixed5b": "mixed9",
}

#: Per layer: the timed cost per pixel of a step up to it, relative to mixed4's (the slope of
#: step CPU seconds against pixels, single octave at 128 and 448 px, bfloat16 on this project's
#: 2-core CPU, 2026-12-01), and the convolutions it runs (counted from the network), both by
#: `.venv/bin/python bench/bench_cost.py --calibrate`. The network's multiply-adds up to each
#: layer, which that command prints beside them (0.53 for mixed0 ... 1.85 for mixed10), are
#: steeper: the early layers' large activations cost more than their arithmetic, the deep
#: layers' small ones less.
_INCEPTION_COST = {
    "mixed0": LayerCost(0.57, 12), "mixed1": LayerCost(0.69, 19), "mixed2": LayerCost(0.82, 26),
    "mixed3": LayerCost(0.89, 30), "mixed4": LayerCost(1.00, 40), "mixed5": LayerCost(1.16, 50),
    "mixed6": LayerCost(1.28, 60), "mixed7": LayerCost(1.45, 70), "mixed8": LayerCost(1.53, 76),
    "mixed9": LayerCost(1.60, 85), "mixed10": LayerCost(1.71, 94)}

INCEPTION_V3 = Network(
    name="inception_v3", title="InceptionV3",
    layers={info.name: info for info in _INCEPTION_LAYERS},
    aliases=_GOOGLENET_ALIASES, alias_note="GoogLeNet inception_{tail} (2015 DeepDream)",
    min_side=75,
    # mixed0-2 sit after three stride-2 stages, mixed3-7 after four, mixed8-10 after five
    stride={f"mixed{i}": 8 if i <= 2 else 16 if i <= 7 else 32 for i in range(11)},
    cost=_INCEPTION_COST,
    default_layers=(("mixed3", 1.0), ("mixed4", 0.5)),
    preprocessing="tf", weights_default="inception-2015", has_top_source=("imagenet",),
    # A dream keeps little of each octave's gain when it is enlarged for the next, so the
    # final strength is what the last octave's steps grow, and a shallow layer grows more
    # slowly per step: at the presets' 12 steps mixed3 reaches about 6.5x its activation
    # energy and mixed4 8-9x (tests/test_strength.py's measure), under the 10x of the 2015
    # notebook. A larger step levels off near 8x; jitter, octaves, precision and resampling
    # don't help; more steps do. 512 px, seed 7, cat / coffee / astronaut
    # (`bench/bench_engine.py --only strength --steps N --objectives l2`):
    # mixed3 at 30 steps 10.9 / 10.0 / 8.7x, at 40 steps 12.2 / 11.3 / 10.0x;
    # mixed4 at 24 steps 14.7 / 13.5 / 13.1x. Deeper layers need no more: at 20 steps they
    # overshoot into a fine mesh. The price is time: mixed3 alone costs 3.3x a 12-step dream.
    steps_alone={"mixed3": 40, "mixed4": 24},
)

# -- VGG16 ---------------------------------------------------------------------------------

_VGG_BLOCKS = ((1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512))  # block, convs, channels
_VGG_PAINTS = {1: "colour and fine grain", 2: "grain and small strokes", 3: "textures: scales, weaves, brush strokes",
               4: "patterns turning into eyes, fur and small parts", 5: "object parts: faces, snouts, wheels, arches"}


def _vgg_cost() -> dict[str, LayerCost]:
    """Per-pixel multiply-adds up to each conv layer over InceptionV3 mixed4's (about 34,600 per
    input pixel): an estimate from the architecture, not timed as InceptionV3's were. A 3x3
    convolution from c_in to c_out channels costs 9 c_in c_out per activation pixel, and
    block b's activations have 1/4^(b-1) of the input's pixels."""
    costs, total, count, c_in = {}, 0.0, 0, 3
    for block, convs, channels in _VGG_BLOCKS:
        for conv in range(1, convs + 1):
            total += 9 * c_in * channels / 4 ** (block - 1)
            count, c_in = count + 1, channels
            costs[f"block{block}_conv{conv}"] = LayerCost(round(total / 34_600, 2), count)
    return costs


VGG16 = Network(
    name="vgg16", title="VGG16",
    layers={f"block{b}_conv{c}": LayerInfo(f"block{b}_conv{c}", ch, _VGG_PAINTS[b])
            for b, convs, ch in _VGG_BLOCKS for c in range(1, convs + 1)},
    # Caffe's VGG names, which the well-known dreaming blog posts use: conv3_1 = block3_conv1
    aliases={f"conv{b}_{c}": f"block{b}_conv{c}" for b, convs, _ in _VGG_BLOCKS for c in range(1, convs + 1)},
    alias_note="Caffe VGG {name}",
    min_side=32,  # Keras' own minimum for VGG16 without its top: five 2x poolings
    stride={f"block{b}_conv{c}": 2 ** (b - 1) for b, convs, _ in _VGG_BLOCKS for c in range(1, convs + 1)},
    cost=_vgg_cost(),
    # A deep texture layer and the first object-part layer, as the VGG dreaming posts blend
    default_layers=(("block4_conv3", 1.0), ("block5_conv1", 0.5)),
    preprocessing="caffe", weights_default="imagenet",
)

NETWORKS: dict[str, Network] = {n.name: n for n in (INCEPTION_V3, VGG16)}


def network(name: str | None) -> Network:
    """The description of network `name` (None: the default); KeyError for an unknown one
    (names are checked where people type them: `DreamParams`' `model` choice)."""
    return NETWORKS[name or DEFAULT_MODEL]


def steps_alone(model: str | None, terms) -> int:
    """The steps a request that names a single whole layer (`terms`) and no steps gets, at
    least (0: no rule for it): a shallow layer alone needs more steps to dream as strongly
    as the classic loops do (`Network.steps_alone`)."""
    if len(terms) != 1 or terms[0].channel is not None:
        return 0
    return network(model).steps_alone.get(terms[0].layer, 0)


def network_of_layer(layer: str) -> Network | None:
    """The network whose layer (Keras name) this is, or None."""
    return next((n for n in NETWORKS.values() if layer in n.layers), None)


def has_classifier(model: str, weights: str) -> bool:
    """Whether `weights` for `model` carry the classifier head the class objective needs:
    a named source known to have it (`imagenet` for InceptionV3), or an .h5 file holding the
    classifier kernel (Keras 3 names layers by kind in .weights.h5, Keras 2 by name in .h5,
    so the kernel's shape is what both share). Only InceptionV3's head works at any image size (global pooling,
    then one dense layer): VGG16's flattens a fixed 224 px grid."""
    if model != INCEPTION_V3.name:
        return False
    if weights in network(model).has_top_source:
        return True
    path = Path(weights).expanduser()
    if path.suffix != ".h5" or not path.is_file():
        return False
    import h5py  # Keras' own dependency; imported here so that the bot loads it only when asked

    found: list[str] = []  # the head's dense kernel, whatever the file calls its layers
    try:
        with h5py.File(path, "r") as data:
            data.visititems(lambda name, item: found.append(name)
                            if getattr(item, "shape", None) == CLASSIFIER_KERNEL else None)
    except OSError:  # not HDF5: loading it reports that properly
        return False
    return bool(found)
