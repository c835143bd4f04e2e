"""The network we dream with (`dreaming.networks`: InceptionV3 by default, or VGG16), weights
loaded once.

A `DreamModel` is one network. InceptionV3 loads without its top, unless its weights carry
the classifier head (`imagenet`, or an .h5 saved with it): then the head's dense kernel and
bias are kept, and an extractor asked for `LOGITS` ends in the head's pre-softmax logits,
after global pooling, at any image size (the class objective). VGG16 expects Caffe-style
input (BGR, 0..255, ImageNet mean subtracted): its extractors begin with that conversion, so
the engine stays in [-1, 1] for every network.

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from dreaming import backends
from dreaming.builders import BUILDERS, inception_with_top, with_input
from dreaming import weights as weights_mod
from dreaming.errors import BadParam, NoClassifier, WeightsError
from dreaming.networks import DEFAULT_MODEL, INCEPTION_V3, LOGITS, Network, has_classifier, network as describe

log = logging.getLogger(__name__)

#: CPU flags (Linux /proc/cpuinfo) of instructions that compute bfloat16 natively.
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass
class DreamModel:
    """One network (no top) plus per-layer-set extractors and compiled steps, kept warm."""

    source: str  #: where the weights came from, as given (e.g. "inception-2015")
    base: keras.Model  #: the float32 network
    #: what `auto` means on this machine (or what the operator chose): float32 or bfloat16
    precision: str = "float32"
    name: str = DEFAULT_MODEL  #: which network (`dreaming.networks`)
    #: the classifier head's dense kernel and bias, when the weights had it (class objective)
    classifier: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _networks: dict = field(default_factory=dict, repr=False)
    _extractors: dict = field(default_factory=dict, repr=False)
    cache: dict = field(default_factory=dict, repr=False)  #: engine's compiled functions

    def resolve(self, precision: str) -> str:
        """`float32` or `bfloat16`: `auto` becomes this model's default."""
        return self.precision if precision == "auto" else precision

    def extractor(self, layer_names: tuple[str, ...], precision: str = "float32") -> keras.Model:
        """A model mapping an image batch in [-1, 1] to the outputs of `layer_names` (`LOGITS`:
        the classifier's logits), in that order."""
        precision = self.resolve(precision)
        key = (tuple(layer_names), precision)
        if LOGITS in layer_names and self.classifier is None:
            raise NoClassifier(self.name, self.source)
        if key not in self._extractors:
            network = self.network(precision)
            outputs = [self._logits(network) if name == LOGITS else network.get_layer(name).output
                       for name in layer_names]
            self._extractors[key] = with_input(keras.Model(network.input, outputs), describe(self.name))
        return self._extractors[key]

    def _logits(self, network: keras.Model):
        """The classifier head on `network`'s last output: global average pool, then the dense
        layer without its softmax, in float32 (the logits are what the class objective raises)."""
        pooled = keras.layers.GlobalAveragePooling2D(dtype="float32")(network.output)
        dense = keras.layers.Dense(self.classifier[0].shape[1], dtype="float32")
        logits = dense(pooled)
        dense.set_weights(list(self.classifier))
        return logits

    def get(self, name: str) -> DreamModel:
        """This model, for a job on network `name` (as `DreamModels.get` answers)."""
        if name != self.name:
            raise BadParam("model", name, f"this worker dreams with {self.name} only")
        return self

    def network(self, precision: str) -> keras.Model:
        """The whole network, batch norms folded, computing in `precision`; made once."""
        precision = self.resolve(precision)
        if precision not in self._networks:
            self._networks[precision] = fold_batch_norms(self.base, _POLICIES[precision])
        return self._networks[precision]


class DreamModels:
    """The networks a worker offers (`{network: weights source}`), one `DreamModel` each, loaded
    the first time a job asks for it and kept warm; the first is loaded at once, so a worker
    that can't load its main model says so at start-up."""

    def __init__(self, weights: Mapping[str, str | None], precision: str = "auto") -> None:
        self.weights, self.precision = dict(weights), precision
        self._loaded: dict[str, DreamModel] = {}
        self.get(next(iter(self.weights)))

    @classmethod
    def of(cls, weights: str | Mapping[str, str | None], precision: str = "auto") -> DreamModels:
        """From a worker's `weights`: one source (InceptionV3's) or a mapping per network."""
        return cls({DEFAULT_MODEL: weights} if isinstance(weights, str) else weights, precision)

    @property
    def loaded(self) -> tuple[str, ...]:
        """The networks loaded so far, in the order they were."""
        return tuple(self._loaded)

    def get(self, name: str) -> DreamModel:
        """The model of network `name`, loading it the first time; `BadParam` if not offered."""
        if name not in self.weights:
            raise BadParam("model", name, "this worker offers " + ", ".join(self.weights))
        if name not in self._loaded:
            self._loaded[name] = load_model(self.weights[name], self.precision, name)
        return self._loaded[name]


def load_model(weights: str | None = None, precision: str = "auto", model: str = DEFAULT_MODEL) -> DreamModel:
    """Build network `model` without its top and load `weights` (a source name or a path;
    None: the network's default source). InceptionV3 keeps the classifier head where the
    weights have it (`networks.has_classifier`).

    `precision` (auto, float32, bfloat16) is what dreams asking for `auto` get.
    """
    net = describe(model)
    weights = weights or net.weights_default
    if weights == weights_mod.DEFAULT_SOURCE and model != INCEPTION_V3.name:  # the converted 2015 file
        raise WeightsError(f"'{weights}' holds InceptionV3's weights, not {net.title}'s", _fix(net))
    try:
        resolved = weights_mod.resolve(weights)
    except WeightsError as exc:  # its advice is InceptionV3's; another network needs its own
        raise exc if model == INCEPTION_V3.name else WeightsError(exc.reason, _fix(net)) from None
    classifier = None
    try:
        if has_classifier(model, weights):
            base, classifier = inception_with_top(resolved)
        else:
            base = BUILDERS[model](include_top=False, weights="imagenet" if resolved == "imagenet" else None)
            if resolved != "imagenet":
                base.load_weights(resolved)
    except WeightsError:
        raise
    except Exception as exc:  # network errors, bad HDF5, wrong architecture: all one story
        detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        fix = (_fix(net) if model != INCEPTION_V3.name else
               weights_mod.IMAGENET_FIX if resolved == "imagenet" else weights_mod.FIX)
        raise WeightsError(f"could not load '{weights}' ({detail})", fix) from exc
    base.trainable = False
    chosen = native_precision() if precision == "auto" else precision
    log.info("loaded %s weights from %s%s; precision %s (asked: %s)", net.title, weights,
             " with the classifier head" if classifier else "", chosen, precision)
    return DreamModel(source=weights, base=base, precision=chosen, name=model, classifier=classifier)


def _fix(net: Network) -> str:
    """How to get weights for a network other than InceptionV3 (no bundled file exists)."""
    return (f"For --model {net.name} use --weights imagenet (Keras' download, needs internet access) "
            f"or a path to a {net.title} .weights.h5 file.")


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
    A network without batch norms (VGG16) is copied as it is, in `policy`.
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
    if not norms:
        for conv in convs:
            network.get_layer(conv.name).set_weights(conv.get_weights())
    assert not norms or len(convs) == len(norms), "every convolution has its batch norm"
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
