"""The networks this bot offers (`pool.models` in config.yaml), checked at start-up, and the
refusals of a request for a model, or a class objective, it does not offer.

`pool.models` maps each offered network (`dreaming.networks`) to its weights source:
`inception-2015` (InceptionV3 only), `imagenet` (Keras' download; needs internet on the
workers) or a path to an .h5 file; null means the network's usual source (`pool.weights`
for inception_v3). The first is what a request that names no model gets. A list of names
(`[inception_v3, vgg16]`) reads as each with its usual source.

The class objective needs InceptionV3 weights with the classifier head (`imagenet`, or an
.h5 saved with the top); without such a model offered, `class=` is refused in one line.
No TensorFlow here: only names and, for a path, its file's header are read.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from dreaming.errors import DreamError
from dreaming.networks import DEFAULT_MODEL, INCEPTION_V3, NETWORKS, has_classifier, network
from dreaming.params import DreamParams
from dreaming.parsing import did_you_mean
from dreaming.presets import Preset
from dreaming.weights import DEFAULT_SOURCE


class ModelNotOffered(DreamError):
    """A request for a network this bot's operator does not offer."""

    def __init__(self, model: str, offered: tuple[str, ...]):
        self.model, self.offered = model, offered
        super().__init__(model, offered)


class ClassNotOffered(DreamError):
    """A class objective, where no offered model has the classifier head."""


def model_weights(models: Mapping[str, str | None], weights: str) -> dict[str, str]:
    """Each offered network's weights source, as workers load them: null is the network's
    usual source (`weights`, the operator's `pool.weights`, for inception_v3)."""
    return {name: source or (weights if name == DEFAULT_MODEL else network(name).weights_default)
            for name, source in models.items()}


def models_problem(models: Mapping[str, str | None], weights: str, check_files: bool = True) -> str | None:
    """What is wrong with `pool.models` (names, then weights sources), as the end of one
    config error line; None if nothing. `check_files`: the paths are on this host (the local
    pool's workers), not only on the Redis workers'."""
    if not models:
        return f"must list at least one model, e.g. [{DEFAULT_MODEL}]"
    for name in models:
        if name not in NETWORKS:
            close = did_you_mean(name, NETWORKS)
            hint = f"did you mean '{close}'?" if close else "known: " + ", ".join(NETWORKS)
            return f"names an unknown model '{name}'; {hint}"
    for name, source in model_weights(models, weights).items():
        if source == DEFAULT_SOURCE and name != INCEPTION_V3.name:
            return f"gives {name} the weights '{source}', which are InceptionV3's; use imagenet or a path"
        if source not in (DEFAULT_SOURCE, "imagenet") and check_files and not _h5_file(source):
            return f"gives {name} the weights '{source}': not an .h5 file; use imagenet or a path to one"
    return None


def class_model(weights: Mapping[str, str]) -> str | None:
    """The offered network whose weights have the classifier head (the class option), if any."""
    return next((name for name, source in weights.items() if has_classifier(name, source)), None)


def with_default_model(options: Mapping[str, object], preset: Preset | None,
                       offered: Collection[str]) -> dict[str, object]:
    """`options` with the operator's first model where nothing else names one: not the
    request (`model=`, or layers of a network, `layer=conv3_1`), nor its preset."""
    named = "model" in options or options.get("layers") or (
        preset is not None and any(field == "model" for field, _ in preset.overrides))
    return dict(options) if named else {"model": next(iter(offered)), **options}


def check_model(params: DreamParams, offered: Collection[str], classifier: str | None) -> None:
    """Refuse a request for a model not offered here, or a class objective without a model
    that has the classifier head."""
    if params.model not in offered:
        raise ModelNotOffered(params.model, tuple(offered))
    if params.target_class is not None and classifier is None:
        raise ClassNotOffered()


def _h5_file(source: str) -> bool:
    path = Path(source).expanduser()
    return path.suffix == ".h5" and path.is_file()
