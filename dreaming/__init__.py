"""Dreambot's DeepDream engine, image handling and worker pool.

As a library (the README's "Use it as a library" has the full example)::

    model = dreaming.load_model()  # slow: once per process
    params = dreaming.DreamParams(layers=dreaming.parse_layer_spec("mixed5"), steps=10)
    result = dreaming.dream(dreaming.to_array(dreaming.load("cat.jpg")), params, model=model)
    Path("cat.dream.png").write_bytes(dreaming.encode(result.image, "png"))

Nothing in this package imports Discord; TensorFlow is imported only by
`dreaming.model` and `dreaming.engine`, which run in worker processes or the CLI.
So every name below is resolved on first use (PEP 562): `import dreaming` (and so
`import dreaming.params`, which the bot does) stays free of TensorFlow, Pillow and YAML.
"""
from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

# Quiet TensorFlow's C++ start-up banner wherever a worker or the CLI imports it;
# real errors still reach the log.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: public name -> the module that defines it (its one home)
_EXPORTS = {
    "dream": "dreaming.engine",  # TensorFlow
    "load_model": "dreaming.model",  # TensorFlow
    "DreamModel": "dreaming.model",  # TensorFlow
    "DreamParams": "dreaming.params",
    "DreamResult": "dreaming.jobs",
    "Progress": "dreaming.jobs",
    "load_presets": "dreaming.presets",
    "get_preset": "dreaming.presets",
    "apply_preset": "dreaming.presets",
    "LayerTerm": "dreaming.layers",
    "parse_layer_spec": "dreaming.layers",
    "DreamError": "dreaming.errors",
    "load": "dreaming.images",
    "to_array": "dreaming.images",
    "encode": "dreaming.images",
}

# Written out, so that linters and type checkers read it; tests check each name resolves.
__all__ = [
    "dream", "load_model", "DreamModel", "DreamParams", "LayerTerm", "DreamResult", "Progress",
    "load_presets", "get_preset", "apply_preset", "parse_layer_spec", "DreamError",
    "load", "to_array", "encode",
]

if TYPE_CHECKING:
    from dreaming.engine import dream
    from dreaming.errors import DreamError
    from dreaming.images import encode, load, to_array
    from dreaming.jobs import DreamResult, Progress
    from dreaming.layers import LayerTerm, parse_layer_spec
    from dreaming.model import DreamModel, load_model
    from dreaming.params import DreamParams
    from dreaming.presets import apply_preset, get_preset, load_presets


def __getattr__(name: str) -> object:
    """Import a public name's module on first use, then keep the name here."""
    home = _EXPORTS.get(name)
    if home is None:  # also how `from dreaming import images` finds submodules
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
