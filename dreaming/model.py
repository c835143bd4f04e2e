"""The network we dream with: Keras InceptionV3 without its top, weights loaded once.

`load_model()` is slow (seconds): call it once per process and keep the `DreamModel`.
`DreamModel.extractor(layers, precision)` builds, once per set of layers and precision, a
model truncated at the deepest of them; the engine also caches its compiled gradient
functions on the model.

Dreams run on a copy of the loaded network with each batch norm folded into the
convolution before it (InceptionV3's batch norms have no scale: y = (x - mean) / sqrt(var +
eps) + beta, which is a per-channel scale of the kernel and a bias): the same function to
about 2e-5, without 94 normalisations (and, in bfloat16, their casts to float32 and back)
per pass. Measured per gradient step: 5% less CPU time in float32, 13% in bfloat16.

Precision: the weights load in float32; the bfloat16 copy of the network (float32
variables, bfloat16 arithmetic: Keras' `mixed_bfloat16` policy) is made the first time a
dream asks for it. `auto` means bfloat16 only where the hardware computes it natively (CPUs with
AVX512_BF16 or AMX, GPUs from compute capability 8.0; on JAX, only GPUs): elsewhere bf16
is emulated and slower than float32. The work is mostly convolutions, so native bf16 about doubles the
rate; DeepDream divides the gradient by its mean magnitude, so it tolerates the lost bits.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from dreaming import backends
from dreaming import weights as weights_mod
from dreaming.errors import WeightsError

log = logging.getLogger(__name__)

#: CPU flags (Linux /proc/cpuinfo) of instructions that compute bfloat16 natively.
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass
class DreamModel:
    """InceptionV3 (no top) plus per-layer-set extractors and compiled steps, kept warm."""

    source: str  #: where the weights came from, as given (e.g. "inception-2015")
    base: keras.Model  #: the float32 network
    #: what `auto` means on this machine (or what the operator chose): float32 or bfloat16
    precision: str = "float32"
    _networks: dict = field(default_factory=dict, repr=False)
    _extractors: dict = field(default_factory=dict, repr=False)
    cache: dict = field(default_factory=dict, repr=False)  #: engine's compiled functions

    def resolve(self, precision: str) -> str:
        """`float32` or `bfloat16`: `auto` becomes this model's default."""
        return self.precision if precision == "auto" else precision

    def extractor(self, layer_names: tuple[str, ...], precision: str = "float32") -> keras.Model:
        """A model mapping an image batch to the outputs of `layer_names`, in that order."""
        precision = self.resolve(precision)
        key = (tuple(layer_names), precision)
        if key not in self._extractors:
            network = self.network(precision)
            outputs = [network.get_layer(name).output for name in layer_names]
            self._extractors[key] = keras.Model(network.input, outputs)
        return self._extractors[key]

    def network(self, precision: str) -> keras.Model:
        """The whole network, batch norms folded, computing in `precision`; made once."""
        precision = self.resolve(precision)
        if precision not in self._networks:
            self._networks[precision] = fold_batch_norms(self.base, _POLICIES[precision])
        return self._networks[precision]


def load_model(weights: str = weights_mod.DEFAULT_SOURCE, precision: str = "auto") -> DreamModel:
    """Build InceptionV3(include_top=False) and load `weights` (a source name or a path).

    `precision` (auto, float32, bfloat16) is what dreams asking for `auto` get.
    """
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
    chosen = native_precision() if precision == "auto" else precision
    log.info("loaded InceptionV3 weights from %s; precision %s (asked: %s)", weights, chosen, precision)
    return DreamModel(source=weights, base=base, precision=chosen)


def native_precision() -> str:
    """`bfloat16` where this machine's accelerator or CPU computes it natively, else `float32`."""
    gpu = _gpu_compute_capability()
    if gpu is not None:
        return "bfloat16" if gpu >= (8, 0) else "float32"
    if keras.backend.backend() == "jax":
        # XLA's CPU backend does not use the CPU's bf16 instructions for these convolutions
        # (TensorFlow's oneDNN does): a warm 320 px `keras` dream took 10.6 s in bfloat16
        # against 5.6 s in float32 on the same AVX512_BF16 CPU.
        return "float32"
    return "bfloat16" if _cpu_has_bf16() else "float32"


#: Where the NVIDIA driver lists this host's GPUs (one folder each), whatever the framework sees.
NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")
#: How to get a build that uses the GPU, for the warning when the framework sees none.
GPU_BUILD_FIX = ("install tensorflow[and-cuda] in place of tensorflow-cpu, or jax[cuda12] and run "
                 "with KERAS_BACKEND=jax (README, 'A GPU without Docker')")


def device_report(nvidia_gpus: Path = NVIDIA_GPUS) -> tuple[str, str | None]:
    """What the framework computes on (`tensorflow on CPU:0, GPU:0`), and a warning when this
    host has an NVIDIA GPU but the framework sees none: a CPU-only build, which would
    otherwise dream on the CPU while the logs speak of a GPU."""
    found = backends.current().devices()
    line = f"{keras.backend.backend()} on {', '.join(found) or 'no device'}"
    sees_gpu = any(d.upper().startswith(("GPU", "CUDA")) for d in found)
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES") in ("", "-1")  # the operator's choice
    if sees_gpu or hidden or not _host_has_nvidia_gpu(nvidia_gpus):
        return line, None
    return line, f"this host has an NVIDIA GPU but {keras.backend.backend()} sees none: {GPU_BUILD_FIX}"


_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}


def fold_batch_norms(base: keras.Model, policy: str = "float32") -> keras.Model:
    """A copy of `base` computing in `policy`, each batch norm folded into its convolution.

    InceptionV3 pairs every Conv2D (no bias) with the BatchNormalization (no scale) that
    follows it, in the same order: the kernel is scaled by 1/sqrt(var + eps) per output
    channel, the bias becomes beta - mean/sqrt(var + eps), the norm becomes a pass-through.
    """
    def clone(layer):
        if isinstance(layer, keras.layers.InputLayer):
            return layer.__class__.from_config(layer.get_config())
        if isinstance(layer, keras.layers.BatchNormalization):
            return keras.layers.Lambda(lambda x: x, name=layer.name, dtype=policy)
        config = {**layer.get_config(), "dtype": policy}
        if isinstance(layer, keras.layers.Conv2D):
            config["use_bias"] = True
        return layer.__class__.from_config(config)

    network = keras.models.clone_model(base, clone_function=clone)
    convs = [layer for layer in base.layers if isinstance(layer, keras.layers.Conv2D)]
    norms = [layer for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(convs) == len(norms), "every convolution has its batch norm"
    for conv, norm in zip(convs, norms):
        beta, mean, variance = norm.get_weights()
        scale = 1.0 / np.sqrt(variance + norm.epsilon)
        (kernel,) = conv.get_weights()
        network.get_layer(conv.name).set_weights([kernel * scale, beta - mean * scale])
    network.trainable = False
    return network


def _cpu_has_bf16() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            flags = info.read()
    except OSError:  # not Linux: no way to ask cheaply, so stay on the safe side
        return False
    return any(flag in flags.split() for flag in BF16_CPU_FLAGS)


def _host_has_nvidia_gpu(nvidia_gpus: Path) -> bool:
    """Whether the NVIDIA driver (its /proc folder, else `nvidia-smi -L`) lists a GPU here."""
    if nvidia_gpus.is_dir():
        return any(nvidia_gpus.iterdir())
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    try:
        listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(line.startswith("GPU ") for line in listed.splitlines())


def _gpu_compute_capability() -> tuple[int, int] | None:
    """The first GPU's compute capability as the backend sees it, or None without one."""
    if os.environ.get("CUDA_VISIBLE_DEVICES") in ("", "-1"):
        return None
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        gpus = tf.config.list_physical_devices("GPU")
        if not gpus:
            return None
        return tf.config.experimental.get_device_details(gpus[0]).get("compute_capability", (0, 0))
    if backend == "jax":
        import jax
        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        if not gpus:
            return None
        major, _, minor = str(getattr(gpus[0], "compute_capability", "0.0")).partition(".")
        return int(major), int(minor or 0)
    return None
