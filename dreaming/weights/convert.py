"""Convert Google's inception-2015 TorchScript archive into a Keras `.weights.h5`, without torch.

The archive holds, per conv block and in network order: weight (OIHW), beta, mean, var.
It maps one to one onto Keras' `InceptionV3(include_top=False)`.
"""
from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np

from dreaming.errors import WeightsError
from dreaming.weights.pins import CONVERTED_DIGEST, FIX, PARAMETER_COUNT, hash_file, sha256
from dreaming.weights.torchzip import read_tensors

log = logging.getLogger(__name__)


def convert(archive: Path, target: Path) -> None:
    """Map the 94 conv + batch-norm pairs onto Keras InceptionV3 and save `target` atomically.

    The archive holds, per conv block and in network order: weight (OIHW), beta, mean, var.
    Keras' `conv2d_bn` blocks are Conv2D(use_bias=False) then BatchNormalization(scale=False,
    epsilon=1e-3), whose weights are [beta, moving_mean, moving_variance]; kernels are HWIO.
    """
    import keras  # here, not at the top: checking the cache must not cost TensorFlow's import

    tensors = read_tensors(archive)
    blocks = [dict(tensors[i: i + 4]) for i in range(0, len(tensors), 4)]
    blocks = [{k.rsplit(".", 1)[1]: v for k, v in b.items()} for b in blocks]
    model = keras.applications.InceptionV3(include_top=False, weights=None)
    convs = _in_creation_order(model, keras.layers.Conv2D)
    norms = _in_creation_order(model, keras.layers.BatchNormalization)
    if not len(blocks) == len(convs) == len(norms):
        raise WeightsError(f"archive has {len(blocks)} conv blocks, model {len(convs)}", FIX)
    for block, conv, norm in zip(blocks, convs, norms):
        kernel = np.transpose(block["weight"], (2, 3, 1, 0))
        if kernel.shape != tuple(conv.kernel.shape):
            raise WeightsError(f"shape mismatch at {conv.name}: {kernel.shape}", FIX)
        conv.set_weights([kernel])
        norm.set_weights([block["beta"], block["mean"], block["var"]])
    if model.count_params() != PARAMETER_COUNT or weights_digest(model) != CONVERTED_DIGEST:
        raise WeightsError("conversion produced unexpected weights (digest mismatch)", FIX)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name.replace(".weights.h5", ".partial.weights.h5"))
    model.save_weights(partial)
    hash_file(target).write_text(sha256(partial) + "\n")
    os.replace(partial, target)
    log.info("converted weights written to %s", target)


def weights_digest(model) -> str:
    """SHA-256 over a model's weight arrays, independent of layer names and file format."""
    digest = hashlib.sha256()
    for variable in model.weights:
        digest.update(np.ascontiguousarray(np.asarray(variable), dtype="<f4").tobytes())
    return digest.hexdigest()


def _in_creation_order(model, kind) -> list:
    """Layers of one kind in the order Keras created them (auto names end in a counter)."""
    def counter(layer) -> int:
        tail = layer.name.rsplit("_", 1)[-1]
        return int(tail) if tail.isdigit() else 0
    return sorted((l for l in model.layers if isinstance(l, kind)), key=counter)
