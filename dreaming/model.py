"""The network we dream with: Keras InceptionV3 without its top, weights loaded once.

`load_model()` is slow (seconds): call it once per process and keep the `DreamModel`.
`DreamModel.extractor(layers)` builds, once per set of layers, a model truncated at the
deepest of them; the engine also caches its compiled gradient functions on the model.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field


import keras

from dreaming import weights as weights_mod
from dreaming.errors import WeightsError

log = logging.getLogger(__name__)

#: InceptionV3's smallest input side: below it the deepest blocks have no pixels left.
MIN_INPUT_SIDE = 75


@dataclass
class DreamModel:
    """InceptionV3 (no top) plus per-layer-set extractors and compiled steps, kept warm."""

    source: str  #: where the weights came from, as given (e.g. "inception-2015")
    base: keras.Model
    _extractors: dict = field(default_factory=dict, repr=False)
    cache: dict = field(default_factory=dict, repr=False)  #: engine's compiled functions

    def extractor(self, layer_names: tuple[str, ...]) -> keras.Model:
        """A model mapping an image batch to the outputs of `layer_names`, in that order."""
        key = tuple(layer_names)
        if key not in self._extractors:
            outputs = [self.base.get_layer(name).output for name in key]
            self._extractors[key] = keras.Model(self.base.input, outputs)
        return self._extractors[key]


def load_model(weights: str = weights_mod.DEFAULT_SOURCE) -> DreamModel:
    """Build InceptionV3(include_top=False) and load `weights` (a source name or a path)."""
    resolved = weights_mod.resolve(weights)
    try:
        if resolved == "imagenet":
            base = keras.applications.InceptionV3(include_top=False, weights="imagenet")
        else:
            base = keras.applications.InceptionV3(include_top=False, weights=None)
            base.load_weights(resolved)
    except WeightsError:
        raise
    except Exception as exc:  # network errors, bad HDF5, wrong architecture: all one story
        detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        fix = weights_mod.IMAGENET_FIX if resolved == "imagenet" else weights_mod.FIX
        raise WeightsError(f"could not load '{weights}' ({detail})", fix) from exc
    base.trainable = False
    log.info("loaded InceptionV3 weights from %s", weights)
    return DreamModel(source=weights, base=base)
