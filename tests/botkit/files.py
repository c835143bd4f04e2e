"""What users upload in the bot tests: real photos, and the bad files people really send.

Dream inputs are always real photos (the cat in docs/, scikit-image's coffee cup), never
generated patterns: the model behaves differently on noise.
"""
from __future__ import annotations

import io
import struct
import zlib
from functools import cache
from pathlib import Path

from PIL import ExifTags, Image

from discordlocal import FileSpec

REPO = Path(__file__).resolve().parents[2]
CAT_PATH = REPO / "docs" / "sample-cat.jpg"

#: Where the GPS tag says the photo was taken; must never reach a posted image.
GPS = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (48.0, 51.0, 29.5),
       ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (2.0, 17.0, 40.2)}
CAMERA = "DreambotTestCam"


@cache
def cat_jpeg() -> bytes:
    """The real cat photo (451x300 JPEG) as it sits in docs/."""
    return CAT_PATH.read_bytes()


@cache
def cat_jpeg_with_gps() -> bytes:
    """The cat photo re-saved the way a phone saves it: EXIF with a camera make and GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    buf = io.BytesIO()
    with Image.open(CAT_PATH) as im:
        im.save(buf, "JPEG", quality=92, exif=exif)
    return buf.getvalue()


@cache
def coffee_jpeg(max_side: int | None = None) -> bytes:
    """scikit-image's coffee photo (600x400) as a JPEG, optionally scaled to `max_side`."""
    import skimage.data
    im = Image.fromarray(skimage.data.coffee())
    if max_side:
        im.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def cat(name: str = "cat.jpg") -> FileSpec:
    return (name, cat_jpeg(), "image/jpeg")


def coffee(name: str = "coffee.jpg") -> FileSpec:
    return (name, coffee_jpeg(), "image/jpeg")


# -- bad inputs ---------------------------------------------------------------------------

def truncated_jpeg() -> FileSpec:
    """A real photo cut off halfway, as a failed upload leaves it."""
    data = cat_jpeg()
    return ("broken.jpg", data[: len(data) // 2], "image/jpeg")


def empty_file() -> FileSpec:
    return ("empty.png", b"", "image/png")


def text_named_png() -> FileSpec:
    return ("notes.png", b"shopping list: milk, eggs, cat food\n" * 20, "image/png")


def png_bomb(width: int = 30_000, height: int = 30_000) -> FileSpec:
    """A PNG of a few hundred bytes whose header claims 900 megapixels of zeros."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = zlib.compress(b"\x00" * (1 + 3 * width) * 4, 9)  # a few rows; the header is the lie
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))
    return ("bomb.png", data, "image/png")


def image_of(data: bytes) -> Image.Image:
    """Open posted bytes fully (raises if they are not a complete image)."""
    im = Image.open(io.BytesIO(data))
    im.load()
    return im
