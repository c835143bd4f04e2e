"""The real model dreaming on real photos: the objective rises, seeds reproduce, tiles are seamless."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from dreaming.engine import dream, smooth_gradient
from dreaming.plan import octave_shapes
from dreaming.errors import Cancelled
from dreaming.layers import parse_layer_spec
from dreaming.plan import MIN_INPUT_SIDE
from dreaming.params import DreamParams

pytestmark = pytest.mark.slow

#: Small but real: a few seconds per dream on two CPU cores.
QUICK = DreamParams(max_side=224, octaves=2, steps=4, seed=7)


def test_objective_of_target_channel_grows_several_fold(model, photo):
    params = DreamParams(layers=parse_layer_spec("mixed4/97"), octaves=1, steps=15,
                         step_size=0.02, max_side=200, seed=1)
    result = dream(photo, params, model=model)
    assert len(result.losses) == 15
    assert result.losses[-1] > 3 * result.losses[0]


def test_objective_of_a_whole_layer_grows_at_every_octave(model, photo):
    params = DreamParams(layers=parse_layer_spec("mixed3"), octaves=2, steps=8, max_side=224, seed=1)
    losses = dream(photo, params, model=model).losses
    for octave in (losses[:8], losses[8:]):
        assert octave[-1] > 1.3 * octave[0]


def test_output_differs_clearly_and_keeps_the_fitted_size(model, photo):
    result = dream(photo, QUICK.replace(steps=10), model=model)
    assert result.image.dtype == np.uint8
    assert result.image.shape == (149, 224, 3)  # 400x600 fitted within 224
    from dreaming.images import fit_within, from_array, to_array
    fitted = to_array(fit_within(from_array(photo), 224))
    difference = np.abs(result.image.astype(int) - fitted.astype(int)).mean()
    assert difference > 10, f"mean change {difference:.1f} of 255 is too faint"


def test_same_seed_gives_same_bytes_and_other_seeds_differ(model, cat_photo):
    first = dream(cat_photo, QUICK, model=model).image
    again = dream(cat_photo, QUICK, model=model).image
    other = dream(cat_photo, QUICK.replace(seed=8), model=model).image
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != other.tobytes()


def test_result_records_the_seed_it_picked(model, cat_photo):
    result = dream(cat_photo, QUICK.replace(seed=None, steps=1, octaves=1), model=model)
    assert isinstance(result.params.seed, int)
    replay = dream(cat_photo, result.params, model=model)
    assert replay.image.tobytes() == result.image.tobytes()


def test_tile_covering_the_image_makes_no_difference(model, photo):
    whole = dream(photo, QUICK.replace(tile=224), model=model).image
    huge_tile = dream(photo, QUICK.replace(tile=4096), model=model).image
    assert whole.tobytes() == huge_tile.tobytes()


def test_small_tiles_dream_the_same_picture_without_seams(model, photo):
    untiled = dream(photo, QUICK.replace(tile=4096), model=model).image.astype(float)
    tiled = dream(photo, QUICK.replace(tile=100), model=model).image.astype(float)
    assert tiled.shape == untiled.shape
    # Same scene and style, different details; no visible grid: columns at the tile edges
    # change no more than columns elsewhere.
    assert np.corrcoef(tiled.ravel(), untiled.ravel())[0, 1] > 0.7
    column_jump = np.abs(np.diff(tiled, axis=1)).mean(axis=(0, 2))
    assert column_jump.max() < 4 * np.median(column_jump)


def test_cancel_stops_within_one_step(model, photo):
    cancel, seen = threading.Event(), []

    def progress(p):
        seen.append(p)
        if len(seen) == 3:
            cancel.set()

    with pytest.raises(Cancelled):
        dream(photo, QUICK.replace(steps=20), model=model, progress=progress, cancel=cancel)
    assert len(seen) == 3


def test_progress_covers_every_step_and_ends_at_one(model, cat_photo):
    seen = []
    dream(cat_photo, QUICK, model=model, progress=seen.append)
    assert [(p.octave, p.step) for p in seen] == [(o, s) for o in (1, 2) for s in range(1, 5)]
    assert all(a.done < b.done for a, b in zip(seen, seen[1:]))
    assert seen[-1].done == pytest.approx(1.0) and seen[-1].eta_s == pytest.approx(0.0, abs=1e-6)


def test_tiny_image_dreams_without_crashing(model):
    tiny = np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    result = dream(tiny, DreamParams(octaves=4, steps=2, seed=0), model=model)
    assert result.image.shape == (40, 60, 3)


def test_alias_runs_the_mapped_layer_and_says_so(model, cat_photo):
    params = QUICK.replace(layers=parse_layer_spec("mixed4c"))
    result = dream(cat_photo, params, model=model)
    assert result.params.layers[0].layer == "mixed5"
    assert "mixed4c→mixed5" in result.params.describe()


def test_smoothing_leaves_less_high_frequency_noise(model, photo):
    def roughness(img):
        return np.abs(np.diff(img.astype(float), n=2, axis=1)).mean()
    plain = dream(photo, QUICK.replace(step_size=0.03), model=model).image
    smooth = dream(photo, QUICK.replace(step_size=0.03, smoothing=2.0), model=model).image
    assert roughness(smooth) < roughness(plain)


def test_smooth_gradient_keeps_the_mean_and_damps_noise():
    noise = np.random.default_rng(0).normal(size=(64, 64, 3)).astype(np.float32)
    smoothed = np.asarray(smooth_gradient(noise, 1.5))
    assert smoothed.shape == noise.shape
    assert smoothed.std() < 0.6 * noise.std()


@pytest.mark.parametrize("size", [(1000, 1500), (300, 451), (80, 80), (40, 40)])
def test_octaves_never_go_below_the_minimum_input(size):
    shapes = octave_shapes(size, 6, 1.4)
    assert shapes[-1] == size
    if min(size) >= MIN_INPUT_SIDE:
        assert all(min(s) >= MIN_INPUT_SIDE for s in shapes)
    assert all(a[0] < b[0] for a, b in zip(shapes, shapes[1:]))


def test_folded_network_computes_what_the_loaded_one_does(model, cat_photo):
    import keras
    from dreaming.model import fold_batch_norms

    folded = fold_batch_norms(model.base)
    x = cat_photo[None].astype(np.float32) / 127.5 - 1.0
    for layer in ("mixed3", "mixed7"):
        want = np.asarray(keras.Model(model.base.input, model.base.get_layer(layer).output)(x))
        got = np.asarray(keras.Model(folded.input, folded.get_layer(layer).output)(x))
        assert np.abs(got - want).max() < 1e-4 * np.abs(want).max()


def test_a_model_keeps_only_the_most_recently_used_compiled_steps(model):
    # Each blend of weights compiles its own step: a long-running worker must not keep them all.
    from dreaming.engine import STEPS_KEPT, compiled_step
    from dreaming.layers import parse_layer_spec

    def steps() -> list:
        return [key for key in model.cache if isinstance(key, tuple) and key[0] == "step"]

    first = DreamParams(layers=parse_layer_spec("mixed2:0.5"), precision="float32")
    compiled_step(model, first)
    for k in range(STEPS_KEPT + 3):
        compiled_step(model, first)  # used again and again: the newest, never forgotten
        compiled_step(model, DreamParams(layers=parse_layer_spec(f"mixed2:{1 + k / 100:g}"), precision="float32"))
    assert len(steps()) == STEPS_KEPT
    assert any(key[1] == (("mixed2", 0.5, None),) for key in steps())
