"""Safe image handling for the engine, the CLI and the bot: bytes in, RGB out, bytes back.

- `decode`: untrusted bytes or files to an upright 8-bit RGB image, within pixel limits;
- `convert`: colour, size and array conversions (to_rgb, fit_within, to_array, from_array),
  and `side_by_side` for before/after comparisons;
- `encode`: pixels to PNG/JPEG/WebP bytes with no metadata, or fitted under an upload limit;
- `animation`: frames to animated WebP, GIF or MP4 bytes, or fitted under an upload limit;
- `noise`: a seeded, smooth noise picture around grey, to dream from nothing.
"""
from __future__ import annotations

from dreaming.images.animation import animation_format_for_path, encode_animation, fit_animation
from dreaming.images.convert import fit_within, fitted_size, from_array, side_by_side, to_array, to_rgb
from dreaming.images.decode import MAX_BYTES, MAX_PIXELS, MAX_SIDE, decode, load
from dreaming.images.encode import MIN_LIMIT_BYTES, encode, encode_within, extension_for, format_for_path
from dreaming.images.noise import noise_image

__all__ = [
    "MAX_BYTES", "MAX_PIXELS", "MAX_SIDE", "MIN_LIMIT_BYTES", "decode", "load", "to_rgb",
    "fit_within", "fitted_size", "side_by_side", "to_array", "from_array", "encode", "encode_within",
    "format_for_path", "extension_for", "encode_animation", "fit_animation", "animation_format_for_path",
    "noise_image",
]
