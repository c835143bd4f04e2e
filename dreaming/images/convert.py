"""Pixel conversions: any decoded Pillow image to plain 8-bit sRGB, resizing, numpy.

Part of the `dreaming.images` pipeline (import these from there). Every function
takes an image and returns a new one, so they chain: `fit_within(to_rgb(im), 1024)`.

Choices made by `to_rgb`, in the order it applies them:

1. 16-bit greyscale (`I;16*`, `I`) becomes 8-bit by rounding v/257, so 65535
   maps to 255 and mid-grey stays mid-grey (Pillow's own `convert("L")` clips
   everything above 255 to white).  16-bit RGB PNGs already arrive as 8-bit RGB:
   Pillow keeps the high byte while decoding.
2. Transparency (alpha channels, palette or colour-key `tRNS`) is composited
   onto white: the network sees a flat picture, and white matches how most
   viewers show a transparent logo.
3. An embedded ICC profile is applied, converting to sRGB, because the output is
   written without any profile: skipping this would shift the colours of Display
   P3 phone photos, Adobe RGB scans and CMYK JPEGs.  A profile that LittleCMS
   can't use is ignored (logged), never fatal.
4. Whatever remains (CMYK, L, 1, P, YCbCr) uses Pillow's `convert("RGB")`.
"""
from __future__ import annotations

import io
import logging

import numpy as np
from PIL import Image, ImageCms

log = logging.getLogger(__name__)

#: colour that transparent pixels are composited onto
BACKGROUND = (255, 255, 255)

_SIXTEEN_BIT = {"I;16", "I;16L", "I;16B", "I;16N", "I"}
_SRGB = ImageCms.createProfile("sRGB")


def to_rgb(img: Image.Image, *, icc: bytes | None = None) -> Image.Image:
    """Return a new 8-bit RGB image in sRGB with an empty `info` (no metadata).

    `icc` is the source's ICC profile; by default it is taken from `img.info`.
    See the module docstring for how each kind of input is handled.
    """
    if icc is None:
        icc = img.info.get("icc_profile")
    out = img
    if out.mode in _SIXTEEN_BIT:
        out = _sixteen_to_l(out)
    if "transparency" in out.info and out.mode in ("1", "L", "P", "RGB"):
        out = out.convert("RGBA")  # applies the palette or colour-key transparency
    if out.mode in ("LA", "La"):
        out = _flatten(out.convert("LA"), "L")
    elif out.mode in ("RGBA", "RGBa", "PA"):
        out = _flatten(out.convert("RGBA"), "RGB")
    if icc and out.mode in ("RGB", "L", "CMYK"):
        out = _to_srgb(out, icc)
    if out.mode != "RGB":
        out = out.convert("RGB")
    if out is img:
        out = img.copy()
    out.info = {}
    return out


def fit_within(img: Image.Image, max_side: int) -> Image.Image:
    """Downscale so the longest side is at most `max_side` px; never upscales.

    Keeps the aspect ratio (each side at least 1 px) and uses LANCZOS.  An image
    that already fits comes back as is (not copied).
    """
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
    size = fitted_size(img.size, max_side)
    if size == img.size:
        return img
    # reducing_gap=3 first shrinks by an integer factor with a box filter: much
    # faster on big photos and, per Pillow's docs, indistinguishable at >= 3.
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def fitted_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The (width, height) `fit_within` would produce for an image of `size`."""
    width, height = size
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def to_array(img: Image.Image) -> np.ndarray:
    """Pixels as a new, writable uint8 array of shape (height, width, 3)."""
    return np.array(to_rgb(img), dtype=np.uint8)


def from_array(arr: np.ndarray) -> Image.Image:
    """An RGB image from an HxWx3 or HxW (grey) array.

    Non-uint8 arrays are read on the 0..255 scale: rounded, clipped, NaN as 0,
    which is what the engine's float output needs.
    """
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 3)) or a.size == 0:
        raise ValueError(f"expected an HxWx3 or HxW array, got shape {a.shape}")
    if a.dtype != np.uint8:
        a = np.clip(np.rint(np.nan_to_num(a.astype(np.float64))), 0, 255).astype(np.uint8)
    img = Image.fromarray(np.ascontiguousarray(a))
    return img if img.mode == "RGB" else img.convert("RGB")


def _sixteen_to_l(img: Image.Image) -> Image.Image:
    """16-bit (or 32-bit integer holding 16-bit values) grey to 8-bit 'L'."""
    wide = np.clip(np.asarray(img).astype(np.int64), 0, 65535)
    # (v * 255 + 32767) // 65535 is round(v / 257) in integers: 0->0, 65535->255
    narrow = ((wide * 255 + 32767) // 65535).astype(np.uint8)
    out = Image.fromarray(narrow)
    out.info = dict(img.info)
    return out


def _flatten(img: Image.Image, mode: str) -> Image.Image:
    """Composite an LA or RGBA image onto `BACKGROUND`, returning `mode` (L or RGB)."""
    fill = BACKGROUND if mode == "RGB" else round(sum(BACKGROUND) / 3)
    out = Image.new(mode, img.size, fill)
    out.paste(img.convert(mode), mask=img.getchannel("A"))
    out.info = dict(img.info)
    return out


def _to_srgb(img: Image.Image, icc: bytes) -> Image.Image:
    """Convert from the embedded profile to sRGB, or leave as is if it can't be used."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(img, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        log.info("ignoring an unusable ICC profile (%s)", exc)
        return img
    return converted if converted is not None else img


def side_by_side(before: Image.Image, after: Image.Image, *, gap: int = 8) -> Image.Image:
    """`before` and `after` next to each other at `after`'s height, on white, for a
    before/after comparison; `before` is resized to match (aspect ratio kept)."""
    height = after.height
    width = max(1, round(before.width * height / before.height))
    left = to_rgb(before).resize((width, height), Image.Resampling.LANCZOS)
    pair = Image.new("RGB", (width + gap + after.width, height), BACKGROUND)
    pair.paste(left, (0, 0))
    pair.paste(to_rgb(after), (width + gap, 0))
    return pair
