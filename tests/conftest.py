"""Shared fixtures: the real model (once per session), real photos, and the gpu marker."""
from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

pytest_plugins = ["tests.fakediscord.pytest_plugin"]

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _has_gpu() -> bool:
    # Asked without importing TensorFlow, so collection stays fast and the bot tests stay TF-free.
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    smi = shutil.which("nvidia-smi")
    return bool(smi) and subprocess.run([smi, "-L"], capture_output=True).returncode == 0


def pytest_collection_modifyitems(config, items):
    if _has_gpu():
        return
    skip = pytest.mark.skip(reason="needs a GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def model():
    """The real InceptionV3 with the converted inception-2015 weights, loaded once."""
    from dreaming.model import load_model
    return load_model()


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """A real photo (scikit-image's coffee cup, 400x600), uint8 RGB."""
    import skimage.data
    return skimage.data.coffee()


@pytest.fixture(scope="session")
def cat_photo() -> np.ndarray:
    """A real photo of a cat (scikit-image's chelsea, 300x451), uint8 RGB."""
    import skimage.data
    return skimage.data.chelsea()
