"""Encoding results: PNG, JPEG or WebP with no metadata, and fitting an upload limit.

Part of the `dreaming.images` pipeline (import these from there).  Every encoder
starts from a fresh image built from raw pixels, so nothing the input carried
(EXIF with GPS, XMP, ICC profile, PNG text chunks, comments) can reach the output.
"""
from __future__ import annotations

import io
import logging
import math
import os

import numpy as np
from PIL import Image

from dreaming.errors import BadParam
from dreaming.images.convert import from_array, to_rgb

log = logging.getLogger(__name__)

#: format name (as accepted by `encode`) -> Pillow's name for it
FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}
_EXTENSIONS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}

#: JPEG quality `encode_within` falls back to when PNG is too big: high enough
#: that dream textures keep their detail, about a fifth of a PNG's size on photos
FALLBACK_QUALITY = 92
#: smallest limit `encode_within` accepts; a 1x1 JPEG (about 300 bytes) always fits
MIN_LIMIT_BYTES = 1024
#: most a downscale step keeps of each side, so the loop always makes progress
_MAX_STEP = 0.8


def encode(img: Image.Image | np.ndarray, fmt: str = "png", *, quality: int = 95) -> bytes:
    """Encode pixels as `fmt` ("png", "jpeg"/"jpg" or "webp") with no metadata.

    `img` is a Pillow image of any mode (converted as `to_rgb` does, which also
    applies its ICC profile, since the profile is not written) or an array as
    `from_array` takes.  `quality` (1-100) applies to JPEG and WebP.
    """
    name = _pillow_format(fmt)
    if not 1 <= quality <= 100:
        raise BadParam("quality", quality, "use 1 to 100")
    clean = pixels_only(img)
    buf = io.BytesIO()
    if name == "PNG":
        clean.save(buf, "PNG")
    elif name == "JPEG":
        # optimize: Huffman tables fitted to the image, a few % smaller for free
        clean.save(buf, "JPEG", quality=quality, optimize=True)
    else:
        clean.save(buf, "WEBP", quality=quality)
    return buf.getvalue()


def encode_within(img: Image.Image | np.ndarray,
                  limit_bytes: int) -> tuple[bytes, str, tuple[int, int]]:
    """Encode to at most `limit_bytes`, e.g. a Discord server's upload limit.

    Tries lossless PNG, then JPEG at `FALLBACK_QUALITY` (JPEG rather than WebP:
    every client and image editor opens it), then the JPEG at smaller sizes,
    always resized from the original.  Returns (data, format, (width, height)).
    Raises BadParam if `limit_bytes` is under `MIN_LIMIT_BYTES`.
    """
    if limit_bytes < MIN_LIMIT_BYTES:
        raise BadParam("limit_bytes", limit_bytes, f"must be at least {MIN_LIMIT_BYTES} bytes")
    rgb = pixels_only(img)
    data = encode(rgb, "png")
    if len(data) <= limit_bytes:
        return data, "png", rgb.size
    size = rgb.size
    while True:
        scaled = rgb if size == rgb.size else rgb.resize(
            size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        data = encode(scaled, "jpeg", quality=FALLBACK_QUALITY)
        if len(data) <= limit_bytes:
            if size != rgb.size:
                log.info("downscaled %dx%d to %dx%d to fit %d bytes",
                         *rgb.size, *size, limit_bytes)
            return data, "jpeg", size
        if size == (1, 1):  # unreachable while MIN_LIMIT_BYTES holds a 1x1 JPEG
            raise BadParam("limit_bytes", limit_bytes, "too small for any image")
        # JPEG bytes grow roughly with pixels: aim just under the limit in one
        # jump when far over, but always shrink by at least _MAX_STEP.
        step = min(_MAX_STEP, 0.95 * math.sqrt(limit_bytes / len(data)))
        size = (max(1, int(size[0] * step)), max(1, int(size[1] * step)))


def format_for_path(path: str | os.PathLike[str]) -> str:
    """The `encode` format for an output path's extension (.png, .jpg/.jpeg, .webp)."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in _EXTENSIONS:
        raise BadParam("output", os.fspath(path), "use .png, .jpg or .webp")
    return _EXTENSIONS[ext]


def extension_for(fmt: str) -> str:
    """File extension for an `encode` format, e.g. "jpeg" -> ".jpg"."""
    return {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}[_pillow_format(fmt)]


def _pillow_format(fmt: str) -> str:
    name = FORMATS.get(fmt.lower())
    if name is None:
        raise BadParam("format", fmt, "use png, jpeg or webp")
    return name


def pixels_only(img: Image.Image | np.ndarray) -> Image.Image:
    """A new RGB image holding only the pixels: no info, no EXIF, no palette."""
    rgb = to_rgb(img) if isinstance(img, Image.Image) else from_array(img)
    return Image.frombytes("RGB", rgb.size, rgb.tobytes())
