"""Safe image handling for the engine, the CLI and the bot: bytes in, RGB out, bytes back.

The input pipeline, in order (`decode`):

1. open with Pillow, restricted to PNG, JPEG, WebP, GIF and BMP, so untrusted
   bytes never reach the decoders we don't need (EPS would even run Ghostscript);
2. check the size the header declares against `max_pixels` and `MAX_SIDE`
   before any pixel is decoded.  Pillow's own decompression-bomb guard
   (`Image.MAX_IMAGE_PIXELS`) is left as it is, a second fence: we never change
   it, since it is process-wide and other threads may be decoding;
3. `load()` eagerly, so truncated or corrupt files fail here and not later in a
   worker (`ImageFile.LOAD_TRUNCATED_IMAGES` must stay False); animated GIF and
   WebP give their first frame; the size is checked again, since a GIF frame
   can grow the canvas while loading;
4. `ImageOps.exif_transpose`, so phone photos come out upright;
5. `to_rgb`: 8-bit sRGB, transparency on white, metadata dropped;
6. `fit_within(max_side)` if asked (JPEGs are first decoded at 1/2, 1/4 or 1/8
   scale when that is still big enough, which is much faster).

Failures are `BadImage` or `ImageTooLarge`; no Pillow, OS, zlib or struct error
escapes.  The output side is in `encode`.
"""
from __future__ import annotations

import io
import logging
import os
import stat
from pathlib import Path

from PIL import (BmpImagePlugin, GifImagePlugin, Image, ImageOps, JpegImagePlugin,
                 PngImagePlugin, UnidentifiedImageError)

from dreaming.errors import BadImage, DreamError, ImageTooLarge
from dreaming.images.convert import fitted_size, to_rgb

log = logging.getLogger(__name__)

#: formats we decode; Pillow names
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
#: default cap on decoded pixels (width x height), checked before decoding
MAX_PIXELS = 40_000_000
#: longest side accepted at all: past this a file is a strip, not a picture
MAX_SIDE = 32_768
#: default cap on the bytes `load` reads from a file
MAX_BYTES = 50 * 2**20

# Leading bytes -> what the file is: to tell "corrupt PNG" and "TIFF is not
# supported" apart from "not an image" when Pillow can't identify a file.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"),
    (b"BM", "BMP"), (b"RIFF", "WEBP"),
    (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"8BPS", "PSD"), (b"%PDF", "PDF"),
)
_HEADER_READERS = (PngImagePlugin.PngImageFile, JpegImagePlugin.JpegImageFile,
                   BmpImagePlugin.BmpImageFile, GifImagePlugin.GifImageFile)
_FTYP_BRANDS = {b"avif": "AVIF", b"avis": "AVIF", b"heic": "HEIC", b"heix": "HEIC",
                b"mif1": "HEIC", b"msf1": "HEIC"}


def decode(data: bytes, *, max_pixels: int = MAX_PIXELS,
           max_side: int | None = None) -> Image.Image:
    """Decode an uploaded image to an upright 8-bit RGB image without metadata.

    `max_pixels` caps width x height (checked on the header, before decoding);
    `max_side`, if given, downscales the result to fit (see `fit_within`).
    Raises `BadImage` (empty, not an image, unsupported, truncated, corrupt) or
    `ImageTooLarge` (over `max_pixels`, or a side over `MAX_SIDE`).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode() needs bytes, not {type(data).__name__}")
    if not data:
        raise BadImage("the file is empty")
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as im:
            _check_size(im.size, max_pixels)
            target = None if max_side is None else fitted_size(im.size, max_side)
            if target is not None:
                # JPEG only (a no-op elsewhere): DCT-scaled decoding to a size
                # still at least as big as the target, so quality is kept.
                im.draft(None, target)
            im.load()
            _check_size(im.size, max_pixels)
            icc = im.info.get("icc_profile")
            upright = _upright(im)
            if target is not None and upright.size != im.size:
                target = target[::-1]  # the EXIF orientation swapped the sides
        rgb = to_rgb(upright, icc=icc)
        if target is None or rgb.size == target:
            return rgb
        # to the size computed from the header, not from a drafted size, so the
        # result is the same with or without draft's rounding
        return rgb.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    except (DreamError, MemoryError):
        raise
    except UnidentifiedImageError:
        raise BadImage(_unidentified_reason(bytes(data[:16]))) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's fence, hit by claims far over any sane max_pixels (the
        # warning is an exception under -W error).  It doesn't say the size.
        width, height = _claimed_size(bytes(data)) or (None, None)
        raise ImageTooLarge(width=width, height=height, limit_pixels=max_pixels) from None
    except Exception as exc:  # every decoder error means "corrupt" to the user
        log.debug("decode failed: %r", exc)
        kind = _signature(bytes(data[:16])) or "image"
        raise BadImage(f"the {kind} data is truncated or corrupt") from None


def load(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES,
         max_pixels: int = MAX_PIXELS, max_side: int | None = None) -> Image.Image:
    """Read and `decode` an image file, reading at most `max_bytes` bytes.

    Raises `BadImage` for a missing, unreadable or non-regular file (e.g. a
    directory) and `ImageTooLarge(size_bytes=, limit_bytes=)` past `max_bytes`.
    """
    p = Path(path)
    shown = _printable(str(p))
    try:
        st = p.stat()
        if stat.S_ISDIR(st.st_mode):
            raise BadImage(f"{shown} is a directory, not a file")
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device could block or never end
            raise BadImage(f"{shown} is not a regular file")
        if st.st_size > max_bytes:
            raise ImageTooLarge(size_bytes=st.st_size, limit_bytes=max_bytes)
        with p.open("rb") as f:
            data = f.read(max_bytes + 1)  # the file may have grown since stat()
    except FileNotFoundError:
        raise BadImage(f"no such file: {shown}") from None
    except IsADirectoryError:
        raise BadImage(f"{shown} is a directory, not a file") from None
    except PermissionError:
        raise BadImage(f"permission denied: {shown}") from None
    except OSError as exc:
        raise BadImage(f"cannot read {shown}: {exc.strerror or type(exc).__name__}") from None
    if len(data) > max_bytes:
        raise ImageTooLarge(size_bytes=len(data), limit_bytes=max_bytes)
    return decode(data, max_pixels=max_pixels, max_side=max_side)


def _check_size(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise BadImage(f"its header says it is {width}x{height} pixels")
    if max(width, height) > MAX_SIDE:
        raise ImageTooLarge(width=width, height=height, limit_side=MAX_SIDE)
    if width * height > max_pixels:
        raise ImageTooLarge(width=width, height=height, limit_pixels=max_pixels)


def _claimed_size(data: bytes) -> tuple[int, int] | None:
    """The size a PNG, JPEG, BMP or GIF header claims, without Pillow's bomb check.

    Only parses the header (no pixels are decoded).  WebP's and some GIFs' own
    parsers run the check themselves, so for those this returns None.
    """
    for reader in _HEADER_READERS:
        try:
            with reader(io.BytesIO(data)) as im:
                return im.size
        except Exception:  # not this format, or a bomb check inside the plugin
            continue
    return None


def _upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a detached copy either way."""
    try:
        return ImageOps.exif_transpose(im)
    except (SyntaxError, ValueError, TypeError, KeyError, OSError) as exc:
        # Broken EXIF with good pixels: show it as stored rather than refuse it.
        log.info("ignoring unreadable EXIF orientation (%s)", exc)
        return im.copy()


def _signature(head: bytes) -> str | None:
    """The format that a file's first 16 bytes claim, if we know it."""
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12])
    for prefix, name in _SIGNATURES:
        if head.startswith(prefix) and (name != "WEBP" or head[8:12] == b"WEBP"):
            return name
    return None


def _unidentified_reason(head: bytes) -> str:
    kind = _signature(head)
    if kind is None:
        return "the file is not an image"
    if kind in FORMATS:
        return f"the {kind} header is corrupt"
    return f"{kind} files are not supported"


def _printable(text: str) -> str:
    """`text` with control characters escaped, so error messages stay one line."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
