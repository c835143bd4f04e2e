"""The cost model and the plan it counts (`dreaming.cost`, `dreaming.plan`), without TensorFlow.

Every shape, however extreme, plans within the network's minimum and costs at most what a
`max_side` square costs; the bound lowers the size of a dream over it, or refuses one that
can't fit at all, with one line that says what to do.
"""
from __future__ import annotations

import numpy as np
import pytest

from dreaming.cost import LAYER_COST, WorkRate, bound, estimate, fit, frame_work, step_units
from dreaming.errors import AnimationTooLong, TooMuchWork
from dreaming.layers import LayerTerm
from dreaming.params import Clamp, DreamParams
from dreaming.plan import MIN_INPUT_SIDE, plan_dream

#: (height, width): strips both ways, a hostile 6000x4, tiny and 1x1 images, and ordinary photos
SHAPES = [(1, 5000), (5000, 1), (2, 6000), (6000, 2), (4, 6000), (1, 1), (3, 7), (40, 60), (74, 300),
          (75, 75), (400, 600), (1000, 1000), (1024, 96)]


def one_layer(layer: str, **fields) -> DreamParams:
    return DreamParams(layers=(LayerTerm(layer, 1.0),), **fields)


@pytest.mark.parametrize("size", SHAPES)
@pytest.mark.parametrize("max_side", [75, 128, 512, 1024])
def test_every_shape_plans_within_the_network_and_costs_at_most_a_square(size, max_side):
    params = DreamParams(max_side=max_side, octaves=4, steps=3)
    plan = plan_dream(size, params)

    assert max(plan.out_size) <= max_side and min(plan.out_size) >= 1
    assert all(min(shape) >= MIN_INPUT_SIDE for shape in plan.shapes)
    assert max(plan.work_size) <= max(max_side, MIN_INPUT_SIDE), "the canvas never grows past the size"
    assert plan.shapes[-1] == plan.work_size
    square = estimate((max_side, max_side), params).units
    assert 0 < estimate(size, params).units <= square


def test_a_6000x4_strip_is_padded_not_stretched():
    # The hostile image: stretched to 75 px tall it was 38,400 px wide, 2.1x a 512 px photo.
    params = DreamParams(max_side=512, octaves=1, steps=3)
    plan = plan_dream((4, 6000), params)

    assert plan.out_size == (1, 512) and plan.work_size == (75, 512) and plan.padded
    assert estimate((4, 6000), params).units < estimate((512, 512), params).units / 4
    assert plan.note == ("Padded: at this size the image is 512x1 px, under the network's 75 px minimum, "
                         "so it was dreamt on a mirrored 512x75 canvas and cropped back to 512x1.")


def test_canvas_mirrors_the_image_around_it_and_crop_gives_it_back():
    image = np.random.default_rng(0).integers(0, 255, (3, 40, 3), dtype=np.uint8)
    plan = plan_dream(image.shape[:2], DreamParams(max_side=512))

    canvas = plan.canvas(image)

    assert canvas.shape == (75, 75, 3) and plan.offset == (36, 17)
    np.testing.assert_array_equal(plan.crop(canvas), image)
    np.testing.assert_array_equal(canvas[35, 17:57], image[0])  # mirrored: the edge row repeats first
    assert plan_dream((300, 400), DreamParams()).note is None


def test_a_photo_is_neither_padded_nor_noted():
    plan = plan_dream((400, 600), DreamParams(max_side=224))
    image = np.zeros((*plan.out_size, 3), np.uint8)
    assert not plan.padded and plan.canvas(image) is image and plan.crop(image) is image


def test_work_grows_with_each_thing_that_multiplies_it():
    base = one_layer("mixed4", max_side=512, octaves=3, steps=10)
    units = estimate((512, 512), base).units

    assert estimate((512, 512), base.replace(steps=20)).units == pytest.approx(2 * units)
    light = estimate((512, 512), base.replace(octaves=base.frame_octaves, steps=base.frame_steps)).units
    assert estimate((512, 512), base, frames=30).units == pytest.approx(units + 29 * light)  # later frames are light
    assert estimate((512, 512), base.replace(octave_scale=1.1)).units > units  # more pixels per octave
    assert estimate((512, 512), base.replace(octaves=4)).units > units
    assert estimate((1024, 1024), base.replace(max_side=1024)).units > 3 * units
    assert estimate((512, 512), base.replace(tile=96)).units > 1.5 * units  # a tile has its own overhead
    deeper = [estimate((512, 512), base.replace(layers=(LayerTerm(f"mixed{i}", 1.0),))).units for i in range(11)]
    assert deeper == sorted(deeper), "a deeper layer never costs less: the network runs through the ones before"


def test_a_blend_costs_what_its_deepest_layer_costs():
    blend = DreamParams(layers=(LayerTerm("mixed3", 1.0), LayerTerm("mixed7", 0.5)))
    assert estimate((300, 300), blend).units == estimate((300, 300), one_layer("mixed7")).units


def test_one_unit_is_a_step_over_a_megapixel_at_mixed4_with_its_overhead():
    params = one_layer("mixed4", tile=2048)
    assert step_units((1000, 1000), params) == pytest.approx(1.0, rel=0.02)
    assert step_units((1000, 1000), params.replace(layers=(LayerTerm("mixed0", 1.0),))) < 0.6
    assert step_units((75, 75), params) > 3 * 75 * 75 / 1e6, "a small image costs mostly its calls"
    assert set(LAYER_COST) == {f"mixed{i}" for i in range(11)}
    deeper = [LAYER_COST[f"mixed{i}"] for i in range(11)]
    assert all(a.pixel < b.pixel and a.convolutions < b.convolutions for a, b in zip(deeper, deeper[1:]))


def test_the_bound_is_a_square_at_the_caps_or_the_operators_lower_max_work():
    caps, floors = {"max_side": 1024, "octaves": 6, "steps": 40}, {"octave_scale": 1.2}
    worst = one_layer("mixed10", max_side=1024, octaves=6, steps=40, octave_scale=1.2)

    assert bound(caps, floors) == estimate((1024, 1024), worst).units
    assert bound(caps, floors, max_work=50.0) == 50.0
    assert bound(caps, floors, max_work=1e9) == bound(caps, floors)
    assert bound({**caps, "max_side": 512}, floors) < bound(caps, floors) / 3


@pytest.mark.parametrize("size", SHAPES)
def test_within_the_caps_no_shape_is_ever_shrunk(size):
    caps, floors = {"max_side": 512, "octaves": 6, "steps": 40}, {"octave_scale": 1.2}
    params = DreamParams(max_side=512, octaves=6, steps=40, octave_scale=1.2)
    assert fit(size, params, bound(caps, floors))[2] is None


def test_fit_lowers_the_size_to_the_largest_within_the_bound():
    params = one_layer("mixed10", max_side=1024, tile=96)  # tiny tiles: more work than a square at the caps
    limit = bound({"max_side": 1024, "octaves": 4, "steps": 12}, {"octave_scale": 1.4})
    assert estimate((1000, 1500), params).units > limit

    fitted, work, clamp = fit((1000, 1500), params, limit)

    assert work.units <= limit and work == estimate((1000, 1500), fitted)
    assert estimate((1000, 1500), fitted.replace(max_side=fitted.max_side + 1)).units > limit
    assert (clamp.name, clamp.asked, clamp.used) == ("max_side", 1024, fitted.max_side)
    assert fitted.replace(max_side=1024) == params, "only the size changes"


def test_fit_leaves_a_dream_within_the_bound_alone():
    params = DreamParams(max_side=512)
    assert fit((300, 400), params, 1000.0) == (params, estimate((300, 400), params), None)


def test_a_dream_that_fits_at_no_size_is_refused_with_what_to_do():
    with pytest.raises(TooMuchWork) as refused:
        fit((600, 600), DreamParams(steps=200), 0.5)
    assert str(refused.value).startswith("That dream is too much work for this bot (")
    assert "the limit is 0.5" in str(refused.value) and "Use fewer steps or octaves." in str(refused.value)
    assert "\n" not in str(refused.value)


def test_work_rate_is_recent_seconds_per_unit():
    rate = WorkRate(keep=2)
    assert rate.seconds_per_unit() is None
    rate.record(10.0, 5.0)
    rate.record(0.0, 3.0)  # never ran: not a measure of speed
    assert rate.seconds_per_unit() == 2.0
    rate.record(4.0, 1.0)
    rate.record(6.0, 1.0)  # only the last two count
    assert rate.seconds_per_unit() == 5.0


def test_an_animation_over_the_bound_keeps_as_many_frames_as_fit():
    params = one_layer("mixed4", max_side=256, octaves=3, steps=10, frames=40)
    first, later = frame_work((256, 256), params)[:2]
    assert later < first / 2, "later frames are lighter dreams than the first"
    limit = first + 9.5 * later  # room for the first and nine more

    fitted, work, clamp = fit((256, 256), params, limit)

    assert (fitted.frames, fitted.max_side, clamp) == (10, 256, Clamp("frames", 40, 10))
    assert work.units <= limit < estimate((256, 256), fitted.replace(frames=11)).units
    with pytest.raises(AnimationTooLong) as refused:  # not even two frames at the smallest size
        fit((256, 256), params.replace(steps=200), 0.5)
    assert "Use fewer frames" in str(refused.value) and "\n" not in str(refused.value)
