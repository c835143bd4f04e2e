"""Dream strength: a named layer is excited about as strongly as the classic loops excite it.

The measure (issue 11), written out here so that the figure means one thing everywhere:
- the mean of the squared activations of the named layer, leaving out a 2-px border of the
  activation map;
- on the output, divided by the same on the input resized (Lanczos) to the output's size;
- both measured with the same weights, in float32, whatever precision dreamed.

The dreams run at a 512 px maximum side, as the issue measured, with today's defaults
otherwise (the `classic` preset's octaves, steps, step size and jitter, objective `l2`).
"""
from __future__ import annotations

import keras
import numpy as np
import pytest
from PIL import Image

from dreaming.engine import compiled_step, dream
from dreaming.layers import parse_layer_spec
from dreaming.params import DreamParams
from dreaming.presets import apply_preset, get_preset, load_presets, params_from_options

pytestmark = pytest.mark.slow

#: the issue's setting: defaults, a 512 px maximum side, seed 7
AT_512 = DreamParams(max_side=512, seed=7)


def layer_energy(model, pixels: np.ndarray, layer: str) -> float:
    """Mean of the squared activations of `layer` on uint8 `pixels`, without a 2-px border."""
    extractor = model.extractor((layer,), "float32")
    batch = pixels[None].astype(np.float32) / 127.5 - 1.0
    act = extractor(batch, training=False)
    act = np.asarray(act[0] if isinstance(act, (list, tuple)) else act, np.float64)[0]  # HxWxC
    return float(np.mean(act[2:-2, 2:-2, :] ** 2))


def strength(model, source: np.ndarray, output: np.ndarray, layer: str) -> float:
    """The layer's energy on `output` over its energy on `source` resized to `output`'s size."""
    height, width = output.shape[:2]
    resized = np.asarray(Image.fromarray(source).resize((width, height), Image.LANCZOS))
    return layer_energy(model, output, layer) / layer_energy(model, resized, layer)


@pytest.mark.parametrize("spec, layer", [("mixed4c", "mixed5"), ("mixed4d", "mixed6"), ("mixed8", "mixed8")])
def test_a_single_named_layer_dreams_ten_fold(model, cat_photo, spec, layer):
    result = dream(cat_photo, AT_512.replace(layers=parse_layer_spec(spec)), model=model)
    assert result.params.layers[0].layer == layer
    assert strength(model, cat_photo, result.image, layer) >= 10


@pytest.mark.parametrize("spec, layer", [("mixed4a", "mixed3"), ("mixed4b", "mixed4")])
def test_a_shallow_layer_named_alone_dreams_ten_fold_at_a_requests_defaults(model, cat_photo, photo,
                                                                            spec, layer):
    # What `!dream layer=mixed4a` and `dreaming --layers mixed4a` run: a shallow layer grows
    # more slowly per step, so named alone it gets the steps it needs (dreaming/networks.py,
    # `steps_alone`: at the presets' 12 it stays near 6.5x and 8-9x).
    params = params_from_options({"layers": spec, "max_side": 512, "seed": 7})
    assert params.steps > AT_512.steps
    for picture in (cat_photo, photo):
        result = dream(picture, params, model=model)
        assert strength(model, picture, result.image, layer) >= 10


def test_l2_dreams_a_layer_more_strongly_than_the_mean(model, cat_photo):
    # Not everywhere (mixed5 on the cat: mean 15.5x, l2 11.1x), but on 17 of 18 photo and
    # layer pairs from mixed3 to mixed8 (bench_engine.py --only strength); here 10.0x vs 5.1x.
    params = AT_512.replace(layers=parse_layer_spec("mixed7"))
    l2 = dream(cat_photo, params, model=model).image
    mean = dream(cat_photo, params.replace(objective="mean"), model=model).image
    assert strength(model, cat_photo, l2, "mixed7") > 1.5 * strength(model, cat_photo, mean, "mixed7")


def test_keras_preset_dreams_as_strongly_as_the_keras_io_loop(model, photo):
    from bench.keras_example import keras_example_dream

    source = np.asarray(Image.fromarray(photo).resize((512, 341), Image.LANCZOS))
    params = apply_preset(get_preset("keras", load_presets())).replace(seed=7, precision="float32")
    ours = strength(model, source, dream(source, params, model=model).image, "mixed5")
    theirs = strength(model, source, keras_example_dream(source, model.base), "mixed5")
    # Ours comes out up to ~25% stronger: keras-io adds the photo's lost detail back after
    # each octave's steps, we before them, so all of it is dreamed on.
    assert 0.8 * theirs <= ours <= 1.35 * theirs


def test_bfloat16_dreams_within_15_percent_of_float32(model, cat_photo):
    params = AT_512.replace(layers=parse_layer_spec("mixed5"))
    fp32 = dream(cat_photo, params.replace(precision="float32"), model=model)
    bf16 = dream(cat_photo, params.replace(precision="bfloat16"), model=model)
    assert (fp32.params.precision, bf16.params.precision) == ("float32", "bfloat16")
    ratio = strength(model, cat_photo, bf16.image, "mixed5") / strength(model, cat_photo, fp32.image, "mixed5")
    assert 0.85 <= ratio <= 1.15


def test_bfloat16_same_seed_gives_same_bytes(model, cat_photo):
    params = DreamParams(max_side=160, octaves=2, steps=3, seed=3, precision="bfloat16")
    first = dream(cat_photo, params, model=model).image
    again = dream(cat_photo, params, model=model).image
    assert first.tobytes() == again.tobytes()


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's shape-free step")
def test_the_step_traces_once_for_every_size(model, photo, cat_photo):
    params = DreamParams(layers=parse_layer_spec("mixed2/7"), octaves=3, steps=1, seed=0,
                         precision="float32")
    for picture, side, tile in ((photo, 200, 512), (cat_photo, 300, 512), (photo, 260, 100)):
        dream(picture, params.replace(max_side=side, tile=tile), model=model)
    assert compiled_step(model, params).traces() == 1


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX compiles per shape")
def test_the_step_compiles_once_per_shape_on_jax(model, cat_photo):
    # jax.jit needs static shapes, so each octave size compiles once; a second image of the
    # same size reuses them all.
    params = DreamParams(layers=parse_layer_spec("mixed2/7"), octaves=2, steps=1, seed=0,
                         max_side=160, precision="float32")  # 106x160, then 76x114
    for seed in (0, 1):
        dream(cat_photo, params.replace(seed=seed), model=model)
    assert compiled_step(model, params).traces() == 2
