"""The backend-specific part of the engine: how a step's gradient is taken and compiled.

Keras 3 runs the engine on TensorFlow (the default) or JAX (`KERAS_BACKEND=jax`). What a
step does to the image is `keras.ops` code in `dreaming/engine.py` (`step_body`); each
backend module here adds only what cannot be written once:

- the gradient of the objective over one tile: `tf.GradientTape` on TensorFlow,
  `jax.value_and_grad` over the network's `stateless_call` on JAX;
- the walk over tiles and the compiling around it. TensorFlow's step is one `tf.function`
  with a shape-free input signature: tile spans come in as tensors and a graph loop walks
  them, so one trace serves every image, octave and tile size. JAX compiles per shape
  (`jax.jit` needs static shapes: inherent, not a choice), so its spans are plain numbers
  worked out from the image's shape and the tile loop unrolls; each new size compiles once
  and the compiled step is kept (per objective and precision, on the model);
- the devices the framework computes on (`devices()`), for the workers' log.

Each module offers `compile_step(network, objective, body) -> Step` and `devices()`.
"""
from __future__ import annotations

import importlib
from types import ModuleType

import keras

#: Keras backend name -> the module here that serves it.
MODULES = {"tensorflow": "dreaming.backends.tensorflow_step", "jax": "dreaming.backends.jax_step"}


def current() -> ModuleType:
    """The module for the backend Keras runs on (`KERAS_BACKEND`, TensorFlow by default)."""
    name = keras.backend.backend()
    if name not in MODULES:
        raise RuntimeError(f"Dreambot runs on KERAS_BACKEND tensorflow or jax, not {name}: "
                           "unset KERAS_BACKEND or set it to one of those")
    return importlib.import_module(MODULES[name])
