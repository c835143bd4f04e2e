"""Dreams from noise: the seeded noise start, and a single channel grown from it."""
from __future__ import annotations

import numpy as np
import pytest

from dreaming.images import noise_image
from dreaming.images.noise import AMPLITUDE
from dreaming.presets import apply_preset, get_preset, load_presets


def test_noise_is_seeded():
    first = noise_image((90, 120), seed=7)
    assert first.shape == (90, 120, 3) and first.dtype == np.uint8
    assert np.array_equal(noise_image((90, 120), seed=7), first)
    assert not np.array_equal(noise_image((90, 120), seed=8), first)


def test_noise_is_faint_and_around_grey():
    pixels = noise_image((256, 256), seed=1).astype(float)
    assert abs(pixels.mean() - 128) < 4
    assert pixels.std() == pytest.approx(AMPLITUDE, rel=0.1)


def test_noise_is_smooth_not_white():
    # Neighbouring pixels of white noise are uncorrelated; 1/f noise keeps most of its energy
    # in coarse blotches, so neighbours mostly agree.
    pixels = noise_image((256, 256), seed=1).astype(float)[..., 0]
    pixels -= pixels.mean()
    neighbours = (pixels[:, 1:] * pixels[:, :-1]).mean() / pixels.var()
    assert neighbours > 0.5  # 0.77 measured (equal energy per octave); white noise: 0
    white = np.random.default_rng(1).normal(size=(256, 256))
    assert abs((white[:, 1:] * white[:, :-1]).mean() / white.var()) < 0.05


def channel_mean(model, image: np.ndarray, layer: str, channel: int) -> float:
    """The channel's activation, averaged over its whole map, as the network computes it."""
    batch = image.astype(np.float32)[None] / 127.5 - 1.0
    return float(np.asarray(model.extractor((layer,), "float32")(batch, training=False))[0, ..., channel].mean())


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["neuron", "insects"])
def test_a_neurons_preset_grows_its_channel_by_orders_of_magnitude_from_noise(model, preset):
    """Measured at 224 px on seeds 1-3: neuron 171-346x (0.05-0.1 -> 16), insects 237-491x
    (0.016-0.03 -> 7-9). 100x leaves room for another machine's arithmetic."""
    from dreaming.engine import dream

    params = apply_preset(get_preset(preset, load_presets())).replace(max_side=224, seed=2)
    (term,) = params.layers
    start = noise_image((224, 224), seed=2)

    result = dream(start, params, model=model)

    before = channel_mean(model, start, term.layer, term.channel)
    after = channel_mean(model, result.image, term.layer, term.channel)
    assert after >= 100 * before, (before, after)
    assert after > 3.0  # it fires hard, not merely from next to nothing


@pytest.mark.slow
def test_a_dream_from_noise_is_reproduced_by_its_seed(model):
    from dreaming.engine import dream

    params = apply_preset(get_preset("neuron", load_presets())).replace(max_side=96, octaves=1, steps=3)

    def from_noise(seed: int) -> np.ndarray:
        return dream(noise_image((96, 96), seed), params.replace(seed=seed), model=model).image

    first = from_noise(5)
    assert np.array_equal(from_noise(5), first)
    assert not np.array_equal(from_noise(6), first)
