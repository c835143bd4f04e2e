"""Guided dreams: steer the dream's features toward a guide image's, as the 2015 notebook did.

Without a guide, each chosen layer's activations are simply made larger. With one:

1. The guide is fitted within `GUIDE_SIDE` px (padded like a dream's image where a side is
   under the network's minimum) and run once through the same extractor; each layer's
   activation map, without its `BORDER`, becomes a set of feature vectors y_j (one per
   position).
2. For each activation vector x_i of the dream at that layer, the objective takes the guide
   feature y_j with the largest dot product x_i·y_j and climbs along it: the loss is
   mean_i max_j x_i·y_j, whose gradient with respect to x_i is that best-matching y_j.
   So every part of the dream grows toward whichever part of the guide it already
   resembles most: a cloud becomes the guide's flowers, not a copy of the guide's layout.
3. Terms keep their weights; a term with a channel (`mixed4/97`) is refused, because a
   guide matches whole feature vectors and one channel has no direction to match.

`GUIDE_SIDE` is 299 px, InceptionV3's own input size: the scale its features were trained
at, so at the chosen layers they describe the guide's objects and textures rather than its
pixels (a much smaller guide) or a magnified detail of it (a much larger one). It also keeps
the set of guide vectors small (at mixed4, 13x13 positions without the border), so the
dream's match against all of them, one matrix product per tile, costs little next to the
network's own pass.

A guide's features are kept on the model (`model.cache`) under a digest of its pixels, and
the compiled step that closes over them under the same digest: an animation's frames reuse
both. Only the last `GUIDES_KEPT` guides are kept, so a worker serving many guides does not
grow without bound.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from keras import ops

from dreaming.images import fit_within, from_array, to_array
from dreaming.model import DreamModel
from dreaming.params import DreamParams, LayerTerm, check_guidable
from dreaming.plan import plan_dream

#: Longest side (px) the guide is seen at: InceptionV3's native input size (see the module).
GUIDE_SIDE = 299
#: Guides whose features and compiled steps stay cached on a model at once.
GUIDES_KEPT = 2


@dataclass(frozen=True)
class Guide:
    """A guide image's feature vectors at each layer a dream uses."""

    key: str  #: digest of the guide's pixels: identifies its features and compiled step
    features: dict  #: layer name -> [n, channels] float32 tensor of the guide's vectors


def prepare(model: DreamModel, image: np.ndarray, params: DreamParams, *, to_input, inner) -> Guide:
    """The `Guide` of `image` (uint8 HxWx3) for `params`' layers, computed once per guide.

    `to_input(pixels) -> float32` and `inner(activations)` are the engine's own scaling to
    the network's input range and its border cut, so the guide is seen as the dream is.
    """
    check_guidable(params)
    names = tuple(dict.fromkeys(t.layer for t in params.layers))
    precision = model.resolve(params.precision)
    key = digest(image)
    slot = ("guide", key, names, precision)
    if slot not in model.cache:
        forget_old_guides(model.cache, key)
        model.cache[slot] = Guide(key, _features(model, image, params, names, precision, to_input, inner))
    return model.cache[slot]


def guided_loss(activations: list, terms: tuple[LayerTerm, ...], index: list[int], guide: Guide):
    """Weighted sum over terms of mean_i max_j x_i·y_j (x: the dream's vectors at the term's
    layer, `activations` already without their border; y: the guide's)."""
    loss = 0.0
    for term, i in zip(terms, index):
        loss = loss + term.weight * match(activations[i], guide.features[term.layer])
    return loss


def match(activations, features):
    """mean_i max_j x_i·y_j of one layer's activations ([1, h, w, c]) against `features`
    ([n, c]); its gradient w.r.t. each x_i is the y_j that matches it best. Cast to float32
    first, as in `compute_loss`: bfloat16 would lose the sums' low bits."""
    vectors = _vectors(activations)
    scores = ops.matmul(vectors, ops.transpose(features))  # [positions, guide vectors]
    return ops.mean(ops.max(scores, axis=1))


def digest(image: np.ndarray) -> str:
    """A short digest of the guide's pixels and shape: the same picture gives the same key."""
    h = hashlib.sha256(repr(image.shape).encode())
    h.update(np.ascontiguousarray(image).tobytes())
    return h.hexdigest()[:16]


def tag(guide: Guide | None) -> tuple[str, str] | None:
    """What a compiled step's cache key holds for its guide (None without one)."""
    return None if guide is None else ("guide", guide.key)


def forget_old_guides(cache: dict, keep: str) -> None:
    """Drop cached entries (features, compiled steps) of all but the newest `GUIDES_KEPT`
    guides, `keep` counted as the newest."""
    guides = [g for g in dict.fromkeys(map(slot_guide, cache)) if g is not None and g != keep]
    stale = set(guides[:max(0, len(guides) - (GUIDES_KEPT - 1))])
    for key in [k for k in cache if slot_guide(k) in stale]:
        del cache[key]


def slot_guide(key: object) -> str | None:
    """The guide a cache key belongs to: its features' slot ("guide", digest, ...), or a
    step whose key holds `tag(guide)`."""
    if not isinstance(key, tuple) or not key:
        return None
    if key[0] == "guide":
        return key[1]
    tags = [part[1] for part in key if isinstance(part, tuple) and part[:1] == ("guide",)]
    return tags[0] if tags else None


def _features(model: DreamModel, image: np.ndarray, params: DreamParams, names: tuple[str, ...],
              precision: str, to_input, inner) -> dict:
    """Each layer's activation vectors of the guide, border left out, as [n, c] float32."""
    plan = plan_dream(image.shape[:2], params.replace(max_side=GUIDE_SIDE, octaves=1))
    fitted = to_array(fit_within(from_array(image), GUIDE_SIDE))
    pixels = ops.convert_to_tensor(to_input(plan.canvas(fitted))[None])
    outputs = model.extractor(names, precision)(pixels, training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return {name: _vectors(inner(out)) for name, out in zip(names, outputs)}


def _vectors(activations):
    """[1, h, w, c] activations as [h*w, c] float32 vectors."""
    act = ops.cast(activations, "float32")
    return ops.reshape(act, (-1, ops.shape(act)[-1]))
