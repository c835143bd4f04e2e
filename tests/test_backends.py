"""The engine on each Keras backend, and the devices the worker says it computes on.

KERAS_BACKEND is fixed once per process, so the JAX side re-runs a chosen set of the engine's
and the strength tests in a child pytest under `KERAS_BACKEND=jax` (on the CPU). The set is
kept small because JAX compiles the step once per image shape (about 10-20 s each on two
cores), but it holds a real strength check on a real photo, seeded determinism and tiling.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from dreaming.model import GPU_BUILD_FIX, device_report

REPO = Path(__file__).resolve().parent.parent

#: The tests the JAX child runs: strength on the cat photo at 512 px (mixed4c), determinism,
#: tiles, bfloat16, compiling per shape, and the backend check below. (Progress and cancel
#: are plain Python between steps, the same code on both backends.)
ON_JAX = [
    "tests/test_backends.py::test_the_engine_runs_on_the_backend_asked_for",
    "tests/test_strength.py::test_a_single_named_layer_dreams_ten_fold[mixed4c-mixed5]",
    "tests/test_engine.py::test_same_seed_gives_same_bytes_and_other_seeds_differ",
    "tests/test_engine.py::test_small_tiles_dream_the_same_picture_without_seams",
    "tests/test_strength.py::test_bfloat16_same_seed_gives_same_bytes",
    "tests/test_strength.py::test_the_step_compiles_once_per_shape_on_jax",
    "tests/test_guide.py::test_a_guided_dream_moves_toward_the_guides_features_more_than_an_unguided_one",
]


@pytest.mark.slow
def test_the_engine_runs_on_the_backend_asked_for(model, cat_photo):
    from dreaming.engine import dream
    from dreaming.params import DreamParams

    asked = os.environ.get("KERAS_BACKEND", "tensorflow")
    assert keras.backend.backend() == asked
    result = dream(cat_photo, DreamParams(max_side=96, octaves=1, steps=2, seed=1), model=model)
    assert type(result.image).__module__ == "numpy" and result.image.shape == (64, 96, 3)
    assert device_report()[0].startswith(f"{asked} on ")
    if asked == "jax" and "gpu" not in device_report()[0]:
        assert model.precision == "float32"  # XLA on a CPU: bf16 would be the slower choice


@pytest.mark.slow
@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the parent run starts the JAX child")
def test_the_engine_dreams_on_jax_too():
    pytest.importorskip("jax")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *ON_JAX],
        env={**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"},
        capture_output=True, text=True, timeout=1200, cwd=REPO)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"{len(ON_JAX)} passed" in done.stdout, done.stdout[-2000:]


def test_the_device_line_names_what_the_framework_computes_on(tmp_path):
    line, warning = device_report(nvidia_gpus=tmp_path / "absent")
    assert line.startswith(f"{keras.backend.backend()} on ")
    if not _has_nvidia_gpu():  # this CPU machine: the truth is a CPU, and nothing to warn of
        assert "cpu" in line.lower() and "gpu" not in line.lower()
        assert warning is None


def test_a_gpu_the_framework_cannot_see_is_warned_of_with_the_fix(tmp_path, monkeypatch):
    if _has_nvidia_gpu():
        pytest.skip("this host's framework may well see its GPU")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    driver = tmp_path / "gpus"
    (driver / "0000:65:00.0").mkdir(parents=True)  # what the NVIDIA driver lists per GPU
    line, warning = device_report(nvidia_gpus=driver)
    assert "gpu" not in line.lower()
    assert warning is not None and "sees none" in warning and GPU_BUILD_FIX in warning
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")  # hidden on purpose: nothing to warn of
    assert device_report(nvidia_gpus=driver)[1] is None


def _has_nvidia_gpu() -> bool:
    return Path("/proc/driver/nvidia/gpus").is_dir()
