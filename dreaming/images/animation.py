"""Encoding animations: frames to animated WebP, GIF or MP4 bytes, and fitting an upload limit.

Part of the `dreaming.images` pipeline (import these from there). As with stills, every
frame is built from raw pixels, so nothing an input carried reaches the output.

- WebP and GIF go through Pillow. WebP is lossy at `quality` and a quarter of a GIF's size
  or less; GIF plays everywhere but has 256 colours, so `quality` sets its palette size.
- MP4 is H.264 (yuv420p, the profile every browser and Discord play inline) through PyAV,
  whose wheels bundle FFmpeg with libx264: no system package, and frames are encoded in
  this process into memory, with no temporary file and no ffmpeg child process to manage
  (imageio-ffmpeg, the other PyPI option, pipes frames to a bundled ffmpeg binary and
  writes to a path). PyAV is imported only when an MP4 is written.

`fit_animation` brings an animation under a byte limit (a Discord server's upload limit):
it lowers the frame size first (down to `min_side`), then the quality (down to
`MIN_QUALITY`), then the frame count (keeping the animation's length), and says which.
"""
from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from PIL import Image

from dreaming.errors import BadParam
from dreaming.images.encode import pixels_only

#: output extension -> animation format
ANIMATION_FORMATS = {".webp": "webp", ".gif": "gif", ".mp4": "mp4"}
#: frames a second, when not told: smooth enough for a slow zoom, and half the frames of 24
DEFAULT_FPS = 12
FPS_RANGE = (1, 60)
#: quality (1-100) when not told: WebP and H.264 show no blocking on dream textures at 80
DEFAULT_QUALITY = 80
#: lowest quality `fit_animation` goes to before it drops frames
MIN_QUALITY = 30
#: `fit_animation` shrinks frames no further than this longest side (px) before lowering quality
MIN_FIT_SIDE = 256
#: the qualities `fit_animation` tries, in order, after the frame size is as low as it goes
_QUALITY_STEPS = (65, 50, 40, MIN_QUALITY)


@dataclass(frozen=True)
class Lowered:
    """One thing `fit_animation` lowered to fit: `size` (WxH), `quality` or `frames`."""

    name: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.name} {self.before}→{self.after}"


@dataclass(frozen=True)
class FittedAnimation:
    """An encoded animation within a byte limit, and what was lowered to get there."""

    data: bytes
    fmt: str
    size: tuple[int, int]  #: (width, height)
    frames: int
    fps: float
    quality: int
    lowered: tuple[Lowered, ...] = ()


def encode_animation(frames: Sequence[np.ndarray | Image.Image], fmt: str = "webp", *,
                     fps: float = DEFAULT_FPS, quality: int = DEFAULT_QUALITY) -> bytes:
    """`frames` (same-size HxWx3 uint8 arrays or images) as a looping `fmt` animation."""
    fmt = _check_format(fmt)
    if not frames:
        raise BadParam("frames", 0, "an animation needs at least one frame")
    check_fps(fps)
    if not 1 <= quality <= 100:
        raise BadParam("quality", quality, "use 1 to 100")
    images = [pixels_only(f) for f in frames]
    if len({im.size for im in images}) > 1:
        raise BadParam("frames", len(images), "every frame must have the same size")
    if fmt == "mp4":
        return _encode_mp4(images, fps, quality)
    buf = io.BytesIO()
    # Pillow takes whole milliseconds per frame; loop=0 repeats forever, as a zoom should.
    options = dict(save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
    if fmt == "webp":
        images[0].save(buf, "WEBP", quality=quality, method=4, **options)
    else:
        # GIF's only quality knob is its palette: all 256 colours at the default, fewer below
        colours = max(16, min(256, round(256 * quality / DEFAULT_QUALITY)))
        paletted = [im.quantize(colours, dither=Image.Dither.FLOYDSTEINBERG) for im in images]
        paletted[0].save(buf, "GIF", optimize=False, **{**options, "append_images": paletted[1:]})
    return buf.getvalue()


def fit_animation(frames: Sequence[np.ndarray | Image.Image], limit_bytes: int, fmt: str = "mp4", *,
                  fps: float = DEFAULT_FPS, quality: int = DEFAULT_QUALITY,
                  min_side: int = MIN_FIT_SIDE) -> FittedAnimation:
    """Encode `frames` as `fmt` within `limit_bytes`, lowering as little as it can.

    In order: the frame size (down to `min_side` px on the longest side, never up), then the
    quality (down to `MIN_QUALITY`), then the frame count (every other frame, at half the
    frame rate, so the animation lasts as long). `lowered` says what changed, for the reply.
    Raises `BadParam` if not even one frame fits.
    """
    images = [pixels_only(f) for f in frames]
    width, height = images[0].size if images else (0, 0)
    size, kept = (width, height), images
    data = encode_animation(images, fmt, fps=fps, quality=quality)
    floor = min(1.0, min_side / max(width, height, 1))
    while len(data) > limit_bytes and size != _scaled((width, height), floor):
        # bytes grow roughly with pixels: aim just under the limit, but shrink at least 20%
        step = min(0.8, 0.95 * math.sqrt(limit_bytes / len(data)))
        size = _scaled((width, height), max(floor, step * size[0] / width))  # of the original
        kept = [im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0) for im in images]
        data = encode_animation(kept, fmt, fps=fps, quality=quality)
    used_quality = quality
    for lower in (q for q in _QUALITY_STEPS if q < quality):
        if len(data) <= limit_bytes:
            break
        used_quality = lower
        data = encode_animation(kept, fmt, fps=fps, quality=lower)
    used_fps, count = fps, len(kept)
    while len(data) > limit_bytes and len(kept) > 1:
        kept, used_fps = kept[::2], used_fps * len(kept[::2]) / len(kept)
        data = encode_animation(kept, fmt, fps=max(FPS_RANGE[0], used_fps), quality=used_quality)
    if len(data) > limit_bytes:
        raise BadParam("limit_bytes", limit_bytes, "too small for even one frame of the animation")
    lowered = [Lowered(name, before, after) for name, before, after in (
        ("size", f"{width}x{height}", f"{size[0]}x{size[1]}"),
        ("quality", str(quality), str(used_quality)),
        ("frames", str(count), str(len(kept)))) if before != after]
    return FittedAnimation(data, _check_format(fmt), size, len(kept), max(FPS_RANGE[0], used_fps),
                           used_quality, tuple(lowered))


def check_fps(fps: float) -> float:
    """`fps` if it is a frame rate animations can have, else `BadParam`."""
    if not FPS_RANGE[0] <= fps <= FPS_RANGE[1]:
        raise BadParam("fps", fps, f"allowed {FPS_RANGE[0]}..{FPS_RANGE[1]}")
    return fps


def animation_format_for_path(path: str | os.PathLike[str]) -> str:
    """The animation format for an output path's extension (.webp, .gif or .mp4)."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in ANIMATION_FORMATS:
        raise BadParam("output", os.fspath(path), "use .webp, .gif or .mp4 for an animation")
    return ANIMATION_FORMATS[ext]


def _encode_mp4(images: list[Image.Image], fps: float, quality: int) -> bytes:
    import av  # FFmpeg's libraries load only for MP4s

    # yuv420p halves the chroma planes, so both sides must be even (and at least 2): repeat the
    # last row or column rather than drop it, so that a 1 px banner still makes a video
    width, height = images[0].width, images[0].height
    pads = ((0, max(2, height + height % 2) - height), (0, max(2, width + width % 2) - width), (0, 0))
    width, height = width + pads[1][1], height + pads[0][1]
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        # quality 1-100 onto x264's constant rate factor: 80 -> 20 (visually clean), 30 -> 39
        crf = round(12 + (100 - quality) * 0.39)
        rate = Fraction(fps).limit_denominator(1001)  # a frame rate PyAV takes exactly
        stream = container.add_stream("libx264", rate=rate, options={"crf": str(crf)})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for im in images:
            frame = av.VideoFrame.from_ndarray(np.pad(np.asarray(im), pads, mode="edge"), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())  # flush the frames x264 still holds
    return buf.getvalue()


def _scaled(size: tuple[int, int], factor: float) -> tuple[int, int]:
    return max(2, round(size[0] * factor)), max(2, round(size[1] * factor))


def _check_format(fmt: str) -> str:
    name = fmt.lower()
    if name not in ANIMATION_FORMATS.values():
        raise BadParam("format", fmt, "use webp, gif or mp4 for an animation")
    return name
