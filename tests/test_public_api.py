"""`dreaming` as a library: the public names, a TensorFlow-free import, and real use."""
from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dreaming

REPO = Path(__file__).resolve().parent.parent

#: what the README promises `from dreaming import ...` gives
PROMISED = ["dream", "load_model", "DreamParams", "LayerTerm", "load_presets", "get_preset",
            "apply_preset", "parse_layer_spec", "DreamError", "load", "to_array", "encode"]


def test_the_promised_names_are_public_and_each_is_its_home_modules_object():
    assert set(PROMISED) <= set(dreaming.__all__)
    for name in dreaming.__all__:
        value = getattr(dreaming, name)
        assert getattr(importlib.import_module(value.__module__), name) is value, name
        assert name in dir(dreaming)


def test_an_unknown_name_is_an_attribute_error_and_submodules_still_import():
    with pytest.raises(AttributeError, match="no_such_thing"):
        dreaming.no_such_thing  # noqa: B018
    from dreaming import images, params  # submodules, not exported names
    assert images.load is dreaming.load and params.DreamParams is dreaming.DreamParams


def test_importing_dreaming_and_its_light_names_never_imports_tensorflow():
    code = ("import sys, dreaming, dreaming.params; "
            "from dreaming import DreamParams, LayerTerm, load_presets, get_preset, apply_preset, "
            "parse_layer_spec, DreamError, load, to_array, encode; "
            "heavy = sorted(m for m in ('tensorflow', 'keras', 'dreaming.engine', 'dreaming.model') "
            "if m in sys.modules); assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


@pytest.mark.slow
def test_the_library_dreams_a_tiny_image(tmp_path):
    model = dreaming.load_model()
    picture = np.random.default_rng(0).integers(0, 256, (60, 90, 3), dtype=np.uint8)
    path = tmp_path / "tiny.png"
    path.write_bytes(dreaming.encode(picture, "png"))

    params = dreaming.DreamParams(layers=dreaming.parse_layer_spec("mixed3"), octaves=1, steps=2,
                                  max_side=96, seed=7)
    result = dreaming.dream(dreaming.to_array(dreaming.load(path)), params, model=model)

    assert result.image.shape == (60, 90, 3) and result.image.dtype == np.uint8
    assert len(result.losses) == 2 and result.params.seed == 7
    assert not np.array_equal(result.image, picture)


@pytest.mark.slow
def test_the_readme_library_example_runs_as_written(tmp_path):
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Use it as a library", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "docs").mkdir()
    shutil.copy(REPO / "docs" / "sample-cat.jpg", tmp_path / "docs")

    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})

    assert done.returncode == 0, done.stderr[-2000:]
    assert "seed=2015" in done.stdout
    written = dreaming.load(tmp_path / "cat.dream.png")
    assert max(written.size) == 384
