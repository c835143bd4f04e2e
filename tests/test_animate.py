"""Zoom animations: the frames (`dreaming.animate`), their encodings, and fitting an upload limit."""
from __future__ import annotations

import io
import threading

import av
import numpy as np
import pytest
from PIL import Image

from dreaming.errors import BadParam, Cancelled
from dreaming.images import animation_format_for_path, encode_animation, fit_animation
from dreaming.images.animation import MIN_QUALITY
from dreaming.jobs import Progress
from dreaming.layers import parse_layer_spec
from dreaming.params import LIMITS, Clamp, DreamParams, validate
from dreaming.presets import load_presets
from dreaming.resolve import resolve_request


def frame_count(data: bytes, fmt: str) -> tuple[int, tuple[int, int]]:
    """(frames, (width, height)) of an encoded animation, read back by its own decoder."""
    if fmt == "mp4":
        with av.open(io.BytesIO(data)) as container:
            frames = list(container.decode(video=0))
        return len(frames), (frames[0].width, frames[0].height)
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == fmt.upper()
        return im.n_frames, im.size


@pytest.fixture(scope="module")
def busy_frames(cat_photo) -> list[np.ndarray]:
    """Eight 240x160 frames of a real photo, each shifted and with its own grain, so that
    they compress about as badly as dreams do (predictable sizes for the fit tests)."""
    rng = np.random.default_rng(0)
    base = np.asarray(Image.fromarray(cat_photo).resize((240, 160)), dtype=np.int16)
    return [np.clip(np.roll(base, 6 * k, axis=1) + rng.integers(-24, 25, base.shape), 0, 255).astype(np.uint8)
            for k in range(8)]


# -- encoding ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["webp", "gif", "mp4"])
def test_each_format_decodes_back_with_every_frame_at_its_size(busy_frames, fmt):
    data = encode_animation(busy_frames[:5], fmt, fps=10)
    assert frame_count(data, fmt) == (5, (240, 160))


def test_the_format_follows_the_extension_and_others_get_one_line():
    assert [animation_format_for_path(f"a{ext}") for ext in (".webp", ".GIF", ".mp4")] == ["webp", "gif", "mp4"]
    with pytest.raises(BadParam) as info:
        animation_format_for_path("zoom.png")
    assert ".webp, .gif or .mp4" in str(info.value) and "\n" not in str(info.value)


def test_an_mp4_of_odd_sides_repeats_the_last_row_and_column(busy_frames):
    odd = [f[:151, :233] for f in busy_frames[:3]]
    assert frame_count(encode_animation(odd, "mp4"), "mp4") == (3, (234, 152))


def test_an_mp4_of_a_one_pixel_banner_still_encodes(busy_frames):
    # A thin image is dreamt padded and cropped back to 1 px; its video must not fail after the dream.
    banner = [f[:1, :120] for f in busy_frames[:2]]
    assert frame_count(encode_animation(banner, "mp4"), "mp4") == (2, (120, 2))


def test_the_fit_lowers_the_size_only_as_far_as_the_limit_needs(busy_frames):
    # Each shrink is measured from the original size: it must not compound and overshoot.
    frames = [np.asarray(Image.fromarray(f).resize((1024, 683))) for f in busy_frames[:3]]
    full = len(encode_animation(frames, "webp"))
    fitted = fit_animation(frames, full // 2, "webp")
    assert len(fitted.data) <= full // 2
    assert fitted.size[0] >= 512, fitted.lowered  # half the bytes needs about 0.7x the side, not 0.36x


def test_encodings_are_reproducible(busy_frames):
    for fmt in ("webp", "gif", "mp4"):
        assert encode_animation(busy_frames[:3], fmt) == encode_animation(busy_frames[:3], fmt), fmt


@pytest.mark.parametrize("frames, options, fragment", [
    ("none", {}, "at least one frame"),
    ("mixed", {}, "same size"),
    ("ok", {"fps": 0}, "fps"),
    ("ok", {"fps": 61}, "fps"),
    ("ok", {"quality": 0}, "1 to 100"),
    ("ok", {"fmt": "avi"}, "webp, gif or mp4"),
])
def test_bad_values_get_one_line(busy_frames, frames, options, fragment):
    frames = {"none": [], "ok": busy_frames[:2], "mixed": [busy_frames[0], busy_frames[1][:100]]}[frames]
    with pytest.raises(BadParam) as info:
        encode_animation(frames, **options)
    assert fragment in str(info.value) and "\n" not in str(info.value)


# -- fitting an upload limit: size, then quality, then frames ---------------------------------

def test_an_animation_within_the_limit_is_left_as_it_is(busy_frames):
    fitted = fit_animation(busy_frames, 10**8, "webp")
    assert fitted.lowered == () and fitted.size == (240, 160) and fitted.frames == 8
    assert fitted.data == encode_animation(busy_frames, "webp")


@pytest.mark.parametrize("fmt", ["webp", "mp4"])
def test_the_fit_lowers_the_size_first_then_the_quality_then_the_frames(busy_frames, fmt):
    # the limits are read off the encoder itself: just under each stage's floor
    small = [np.asarray(Image.fromarray(f).resize((120, 80), Image.Resampling.LANCZOS, reducing_gap=3.0))
             for f in busy_frames]
    at_floor = len(encode_animation(small, fmt))
    at_lowest_quality = len(encode_animation(small, fmt, quality=MIN_QUALITY))

    sized = fit_animation(busy_frames, at_floor + 1, fmt, min_side=120)
    assert [x.name for x in sized.lowered] == ["size"] and len(sized.data) <= at_floor + 1
    assert str(sized.lowered[0]).startswith("size 240x160→") and sized.quality == 80

    worse = fit_animation(busy_frames, at_floor - 1, fmt, min_side=120)
    assert [x.name for x in worse.lowered] == ["size", "quality"]
    assert worse.size == (120, 80) and worse.frames == 8 and MIN_QUALITY <= worse.quality < 80

    fewer = fit_animation(busy_frames, at_lowest_quality - 1, fmt, min_side=120)
    assert [str(x) for x in fewer.lowered][1:] == [f"quality 80→{MIN_QUALITY}", f"frames 8→{fewer.frames}"]
    assert fewer.frames < 8 and fewer.fps < 12 and len(fewer.data) < at_lowest_quality
    assert frame_count(fewer.data, fmt) == (fewer.frames, fewer.size)


def test_a_limit_too_small_for_one_frame_says_so(busy_frames):
    with pytest.raises(BadParam, match="too small for even one frame"):
        fit_animation(busy_frames, 200, "webp", min_side=120)


# -- settings and progress --------------------------------------------------------------------

def test_frames_have_a_limit_operators_narrow_and_requests_are_clamped_to():
    params, clamped = resolve_request({"frames": "100", "zoom": "1.1"}, load_presets(), caps={"frames": 24})
    assert params.frames == 24 and params.zoom == 1.1
    assert clamped == [Clamp("frames", 100, 24)]
    assert resolve_request({"frames": "0"}, load_presets())[1] == [Clamp("frames", 0, 1)]
    with pytest.raises(BadParam, match="whole number"):
        resolve_request({"frames": "lots"}, load_presets())
    with pytest.raises(BadParam, match=f"allowed {LIMITS['frames']}"):
        validate(DreamParams(frames=int(LIMITS["frames"].high) + 1))
    assert "frames=24 zoom=1.1" in params.describe() and "frames" not in DreamParams().describe()


def test_progress_of_a_still_is_frame_one_of_one():
    progress = Progress(octave=1, octaves=1, step=1, steps=1, done=1.0, eta_s=0.0, loss=0.0)
    assert (progress.frame, progress.frames) == (1, 1)


# -- the animation itself (real model) --------------------------------------------------------

TINY = DreamParams(layers=parse_layer_spec("mixed3"), octaves=1, steps=2, frame_octaves=1, frame_steps=1,
                   max_side=96, frames=4, zoom=1.2, seed=42)


def test_a_zoom_magnifies_the_centre_and_keeps_the_size():
    from dreaming.animate import zoom_in

    frame = np.zeros((100, 120, 3), np.uint8)
    frame[40:60, 50:70] = 255  # a 20 px square at the centre
    zoomed = zoom_in(frame, 1.5)
    assert zoomed.shape == frame.shape
    rows, cols = np.nonzero(zoomed[..., 0] > 127)
    assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (30, 30)
    assert abs(rows.mean() - 49.5) < 1 and abs(cols.mean() - 59.5) < 1


def test_each_frame_has_its_own_seed_derived_from_the_jobs():
    from dreaming.animate import frame_seed

    seeds = [frame_seed(42, k) for k in range(50)]
    assert seeds[0] == 42 and len(set(seeds)) == 50 and seeds == [frame_seed(42, k) for k in range(50)]
    assert frame_seed(43, 1) != seeds[1] and all(0 <= s < 2**32 for s in seeds)


@pytest.mark.slow
def test_an_animation_has_its_frames_at_the_dreams_size_and_its_first_is_the_still(model, cat_photo):
    from dreaming.animate import animate
    from dreaming.engine import dream

    seen: list[Progress] = []
    result = animate(cat_photo, TINY, model=model, progress=seen.append)

    assert len(result.frames) == 4 and result.image is result.frames[0]
    assert all(f.shape == (64, 96, 3) and f.dtype == np.uint8 for f in result.frames)
    assert np.array_equal(result.frames[0], dream(cat_photo, TINY, model=model).image)
    assert not any(np.array_equal(a, b) for a, b in zip(result.frames, result.frames[1:]))
    assert result.params.seed == 42 and len(result.losses) == 2 + 3 * 1
    # progress counts frames, and the fraction done only grows, to the end
    assert [p.frame for p in seen] == [1, 1, 2, 3, 4] and {p.frames for p in seen} == {4}
    assert all(a.done < b.done for a, b in zip(seen, seen[1:])) and seen[-1].done == pytest.approx(1.0)


@pytest.mark.slow
def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not(model, cat_photo):
    from dreaming.animate import animate

    def webp(params):
        return encode_animation(animate(cat_photo, params, model=model).frames, "webp")

    first = webp(TINY.replace(frames=3))
    assert webp(TINY.replace(frames=3)) == first
    assert webp(TINY.replace(frames=3, seed=43)) != first


@pytest.mark.slow
def test_cancel_lands_between_frames(model, cat_photo):
    from dreaming.animate import animate

    cancel = threading.Event()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if p.frame == 2 and p.octave == p.octaves and p.step == p.steps:  # frame 2's last step
            cancel.set()

    with pytest.raises(Cancelled):
        animate(cat_photo, TINY, model=model, progress=progress, cancel=cancel)
    assert max(p.frame for p in seen) == 2  # frame 2 finished; frame 3 never started

