"""Layers a dream can excite: each network's layers and aliases, and the layer-spec syntax.

A layer spec names the objective of a dream: one or more terms, separated by commas.

    mixed5                  one block, weight 1
    mixed3:1,mixed5:1.5     a blend: the sum of each block's mean activation times its weight
    mixed4/97               channel 97 (0-based) of a block, alone
    mixed4/97:2             one channel, weighted
    mixed4c                 a GoogLeNet name from the 2015 DeepDream, run as its InceptionV3
    inception_4c/output     counterpart (see `ALIASES`); also with a channel or weight

Names are case-insensitive and spaces around `,` `:` `/` are ignored. Weights are
relative, finite, between 0 and `MAX_WEIGHT`, and not all zero. A block may appear
once as a whole and once per channel, never twice the same way. At most
`MAX_LAYER_TERMS` terms and `MAX_SPEC_CHARS` characters.

The same syntax names another network's layers (`dreaming.networks`): for VGG16 `conv5_1`
(the blog's Caffe name) or `block5_conv1` (Keras'), `conv4_3/12:2`. A spec parsed without a
model finds each name in whichever network has it (InceptionV3 first); every term must
then be of the dream's network, which `check_terms(terms, model)` checks.

No TensorFlow here: the bot process imports this module to check requests.
"""
from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from dreaming.errors import BadParam, UnknownLayer
from dreaming.networks import DEFAULT_MODEL, INCEPTION_V3, NETWORKS, LayerInfo, network, network_of_layer
from dreaming.parsing import did_you_mean

log = logging.getLogger(__name__)

#: most terms in one objective
MAX_LAYER_TERMS = 8
#: longest spec accepted; a real spec of 8 weighted channel terms fits in about 120
MAX_SPEC_CHARS = 200
#: weights are relative, so a larger ratio than this only hides the smaller term
MAX_WEIGHT = 100.0


@dataclass(frozen=True)
class LayerTerm:
    """One term of the objective: maximise `weight` x mean activation of `layer`."""

    layer: str  #: the network's (Keras) layer that runs, e.g. "mixed5" or "block5_conv1"
    weight: float = 1.0  #: relative weight in a blend
    channel: int | None = None  #: one channel of the layer, or all of them
    requested: str | None = None  #: what the user typed, when it was an alias ("mixed4c")

    def describe(self) -> str:
        """`mixed4c→mixed5/97:1.5`, as shown to users: what was asked and what ran."""
        name = self.layer if self.channel is None else f"{self.layer}/{self.channel}"
        if self.requested and self.requested != self.layer:
            name = f"{self.requested}→{name}"
        return name if self.weight == 1.0 else f"{name}:{self.weight:g}"


#: InceptionV3's blocks and GoogLeNet aliases (the default network's; see `dreaming.networks`)
LAYERS: dict[str, LayerInfo] = INCEPTION_V3.layers
ALIASES: dict[str, str] = INCEPTION_V3.aliases

# "inception_4c" and "inception_4c/output" are Caffe's names for GoogLeNet's mixed4c.
_CAFFE_NAME = re.compile(r"inception_(\d[a-z])(?:/output)?")
_ALIAS_NAME = re.compile(r"(mixed|inception_)(\d+)([a-z]?)(/output)?")
_DIGITS = re.compile(r"[0-9]+")
# Every name a user may type, per network, for suggestions.
_KNOWN = {n.name: [*n.layers, *n.aliases] for n in NETWORKS.values()}
_KNOWN[INCEPTION_V3.name] += [f"inception_{a[5:]}" for a in ALIASES]
_EXAMPLE = "e.g. mixed5, mixed4/97 or mixed3:1,mixed5:1.5"


def parse_layer_spec(spec: str, model: str | None = None) -> tuple[LayerTerm, ...]:
    """Parse a layer spec (syntax in the module docstring) into checked terms, of `model`'s
    network, or (None) of the network its first name belongs to.

    Raises `UnknownLayer` for a name that is neither a block nor an alias (with the
    nearest name as a suggestion), `BadParam("layers", ...)` for everything else.
    """
    if not isinstance(spec, str):
        raise BadParam("layers", spec, f"must be text, {_EXAMPLE}")
    if len(spec) > MAX_SPEC_CHARS:
        raise BadParam("layers", spec[:40] + "…",
                       f"longer than {MAX_SPEC_CHARS} characters; use fewer terms")
    parts = [part.strip() for part in spec.split(",")]
    if parts == [""]:
        raise BadParam("layers", spec, f"give at least one layer, {_EXAMPLE}")
    if "" in parts:
        raise BadParam("layers", spec, "there is an empty term between commas; remove it")
    if len(parts) > MAX_LAYER_TERMS:
        raise BadParam("layers", spec, f"at most {MAX_LAYER_TERMS} terms; drop some")
    terms = tuple(_parse_term(part, model) for part in parts)
    check_terms(terms, model or network_of_layer(terms[0].layer).name)
    return terms


def format_layer_spec(terms: Sequence[LayerTerm]) -> str:
    """Write `terms` as a spec that `parse_layer_spec` reads back to the same dream.

    Aliases are written as the block that ran, so the spec keeps meaning the same
    dream even if the alias table changes.
    """
    out = []
    for term in terms:
        text = term.layer if term.channel is None else f"{term.layer}/{term.channel}"
        if term.weight != 1.0:
            text += ":" + _format_weight(term.weight)
        out.append(text)
    return ",".join(out)


def describe_layers(model: str = DEFAULT_MODEL) -> list[tuple[str, str]]:
    """(name, description) for every layer of `model`, then every alias, for `--list-layers`."""
    net = network(model)
    rows = [(info.name, f"{info.paints} ({info.channels} channels)") for info in net.layers.values()]
    rows += [(alias, net.alias_note.format(name=alias, tail=alias[5:]) + f"; runs {layer}")
             for alias, layer in net.aliases.items()]
    return rows


def default_terms(model: str = DEFAULT_MODEL) -> tuple[LayerTerm, ...]:
    """The layers a dream on `model` excites when it names none."""
    return tuple(LayerTerm(layer, weight) for layer, weight in network(model).default_layers)


def resolve_layer(name: str, model: str | None = None) -> tuple[str, str | None]:
    """(Keras layer, alias as typed or None) for a typed name, in `model`'s network or (None)
    the first network that has it; `UnknownLayer` if none."""
    key = name.strip().lower()
    for net in [network(model)] if model else NETWORKS.values():
        if key in net.layers:
            return key, None
        caffe = _CAFFE_NAME.fullmatch(key) if net is INCEPTION_V3 else None
        alias = f"mixed{caffe[1]}" if caffe else key
        if alias in net.aliases:
            return net.aliases[alias], key
    raise _unknown(name.strip(), key, model)


def check_terms(terms: Sequence[LayerTerm], model: str = DEFAULT_MODEL) -> None:
    """Raise `UnknownLayer` or `BadParam` unless `terms` is an objective the engine can run
    on `model`'s network."""
    net = network(model)
    if not terms:
        raise BadParam("layers", "", f"give at least one layer, {_EXAMPLE}")
    if len(terms) > MAX_LAYER_TERMS:
        raise BadParam("layers", format_layer_spec(terms), f"at most {MAX_LAYER_TERMS} terms; drop some")
    seen: dict[tuple[str, int | None], LayerTerm] = {}
    for term in terms:
        info = net.layers.get(term.layer)
        if info is None:
            raise _unknown(term.requested or term.layer, term.requested or term.layer, model)
        _check_weight(term)
        _check_channel(term, info)
        key = (term.layer, term.channel)
        if key in seen:
            raise BadParam("layers", term.describe(),
                           f"same as {seen[key].describe()}; give each layer once and add up the weights")
        seen[key] = term
    if all(term.weight == 0 for term in terms):
        raise BadParam("layers", format_layer_spec(terms), "at least one weight must be above 0")


def _parse_term(text: str, model: str | None) -> LayerTerm:
    """One `name[/channel][:weight]` term, whitespace around the separators allowed."""
    name, colon, weight_text = (piece.strip() for piece in text.partition(":"))
    weight = _parse_weight(text, weight_text) if colon else 1.0
    pieces = [piece.strip() for piece in name.split("/")]
    if len(pieces) > 1 and pieces[1].lower() == "output":  # Caffe's "inception_4c/output"
        pieces[:2] = [f"{pieces[0]}/output"]
    if len(pieces) > 2:
        raise BadParam("layers", text, "write one channel per term, e.g. mixed4/97,mixed4/12")
    layer, requested = resolve_layer(pieces[0], model)
    channel = None
    if len(pieces) == 2:
        if not _DIGITS.fullmatch(pieces[1]):
            raise BadParam("layers", text, "a channel is a whole number after '/', e.g. mixed4/97")
        channel = int(pieces[1])
    return LayerTerm(layer, weight, channel, requested)


def _parse_weight(term: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise BadParam("layers", term, "a weight is a number after ':', e.g. mixed5:1.5") from None


def _check_weight(term: LayerTerm) -> None:
    weight = term.weight
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
        raise BadParam("layers", term.describe(), "a weight must be a finite number, e.g. mixed5:1.5")
    if weight < 0:
        raise BadParam("layers", term.describe(), "a weight can't be negative; use 0 to 100")
    if weight > MAX_WEIGHT:
        raise BadParam("layers", term.describe(),
                       f"weights are at most {MAX_WEIGHT:g}; they are relative, so scale them all down")


def _check_channel(term: LayerTerm, info: LayerInfo) -> None:
    channel = term.channel
    if channel is None:
        return
    if isinstance(channel, bool) or not isinstance(channel, int):
        raise BadParam("layers", term.describe(), "a channel is a whole number, e.g. mixed4/97")
    if not 0 <= channel < info.channels:
        raise BadParam("layers", term.describe(),
                       f"{info.name} has channels 0 to {info.channels - 1}; pick one in that range")


def _format_weight(weight: float) -> str:
    """Shortest text that reads back as exactly `weight`: "2", "1.5", "0.30000000000000004"."""
    short = f"{weight:g}"
    return short if float(short) == weight else repr(float(weight))


def _unknown(typed: str, key: str, model: str | None) -> UnknownLayer:
    """`UnknownLayer` for `typed`, with a suggestion and the layers of `model`'s network (without
    a model: of the network the suggestion belongs to, else the default's)."""
    suggestion = _suggest(key, model)
    net = network(model) if model else next(
        (n for n in NETWORKS.values() if suggestion in _KNOWN[n.name]), network(DEFAULT_MODEL))
    return UnknownLayer(typed, suggestion, list(net.layers))


def _suggest(name: str, model: str | None = None) -> str | None:
    """The known name (of `model`'s network, or of any) a typo most likely meant, or None.

    InceptionV3 names shaped like real ones are fixed by their number, where spelling
    similarity alone misleads ("mixed11" is nearer "mixed1" than "mixed10").
    """
    shaped = _ALIAS_NAME.fullmatch(name) if model in (None, INCEPTION_V3.name) else None
    if shaped:
        prefix, number, letter = shaped[1], int(shaped[2]), shaped[3]
        if prefix == "mixed" and not letter:
            return f"mixed{min(number, len(LAYERS) - 1)}"
        last = max((alias[-1] for alias in ALIASES if alias[5:-1] == str(number)), default=None)
        if letter and last:
            return f"{prefix}{number}{min(letter, last)}"
    known = _KNOWN[model] if model else [name for names in _KNOWN.values() for name in names]
    return did_you_mean(name, known)
