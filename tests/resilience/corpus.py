"""A corpus of malformed and hostile requests, generated from real photos at test time.

Each `Case` is what a user sends (`!dream` text and maybe a file) and what the one-line
reply must say. Nothing here is committed as a file: every byte is made from the cat photo
in docs/ and scikit-image's coffee cup, cut, bit-flipped or forged.

`DREAMS` as the expected text means the input is odd but valid (a real photo with a wrong
content type, a strange but harmless option value): the right answer is a dream.
"""
from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from functools import cache

from PIL import Image

from discordlocal import FileSpec
from tests.botkit.files import cat_jpeg, coffee_jpeg

TINY = "size=96 octaves=1 steps=2 layer=mixed2"
#: the expectation for inputs that are odd but valid: the bot dreams them
DREAMS = "<a dream>"
#: What each error type says first (dreaming/errors.py): the reply must at least say which.
NOT_READABLE = "Can't read that image"
TOO_LARGE = "Image too large"
#: The corpus bot's `limits.max_attachment_mb`; files over it must be refused by size.
LIMIT_MB = 4
#: A zip bomb: 30000x30000 RGB inflates to 2.7 GB from about 2.6 MB of deflate.
BOMB_SIDE = 30_000


@dataclass(frozen=True)
class Case:
    name: str
    text: str  #: the message, e.g. "!dream size=96"
    file: FileSpec | None  #: the attachment, if any
    expect: str  #: a substring of the one-line reply, or DREAMS


def corpus() -> list[Case]:
    """Every case, images first, then commands."""
    return image_cases() + command_cases()


def image_cases() -> list[Case]:
    cmd = f"!dream {TINY}"
    png, jpeg, gif, webp = (photo_as(fmt) for fmt in ("PNG", "JPEG", "GIF", "WEBP"))
    cases = [
        Case("truncated-png", cmd, ("t.png", png[: len(png) // 2], "image/png"), "PNG data is truncated"),
        Case("truncated-jpeg", cmd, ("t.jpg", jpeg[: len(jpeg) // 2], "image/jpeg"), "JPEG data is truncated"),
        Case("truncated-gif", cmd, ("t.gif", gif[: len(gif) // 2], "image/gif"), "GIF data is truncated"),
        Case("truncated-webp", cmd, ("t.webp", webp[: len(webp) // 2], "image/webp"), NOT_READABLE),
        Case("png-signature-only", cmd, ("sig.png", png[:8], "image/png"), NOT_READABLE),
        Case("png-header-only", cmd, ("head.png", png[:33], "image/png"), NOT_READABLE),
        Case("jpeg-soi-only", cmd, ("soi.jpg", b"\xff\xd8\xff", "image/jpeg"), NOT_READABLE),
        Case("bitflip-png-ihdr", cmd, ("f.png", flip(png, 17), "image/png"), NOT_READABLE),
        Case("bitflip-png-idat", cmd, ("f2.png", flip_run(png, idat_offset(png) + 40, 64), "image/png"),
             NOT_READABLE),
        Case("bitflip-png-signature", cmd, ("f3.png", flip(png, 1), "image/png"), NOT_READABLE),
        Case("bitflip-jpeg-sof", cmd, ("f.jpg", flip(jpeg, jpeg.index(b"\xff\xc0") + 1), "image/jpeg"),
             NOT_READABLE),
        Case("bitflip-gif-header", cmd, ("f.gif", flip(gif, 3), "image/gif"), NOT_READABLE),
        Case("bitflip-webp-riff", cmd, ("f.webp", flip(webp, 8), "image/webp"), NOT_READABLE),
        Case("zip-bomb-png", cmd, ("holiday.png", zip_bomb_png(), "image/png"), f"{BOMB_SIDE}x{BOMB_SIDE}"),
        Case("huge-dims-png", cmd, ("tiny.png", png_claiming(60_000, 60_000), "image/png"), TOO_LARGE),
        Case("huge-dims-jpeg", cmd, ("tiny.jpg", jpeg_claiming(jpeg, 65_000, 65_000), "image/jpeg"), TOO_LARGE),
        Case("huge-dims-gif", cmd, ("tiny.gif", gif_claiming(gif, 65_535, 65_535), "image/gif"), TOO_LARGE),
        Case("strip-png", cmd, ("strip.png", png_claiming(1, 40_000), "image/png"), TOO_LARGE),
        Case("zero-bytes", cmd, ("empty.png", b"", "image/png"), "the file is empty"),
        Case("html-as-png", cmd, ("photo.png", b"<!doctype html><title>404</title>" * 8, "image/png"),
             "not an image"),
        Case("pdf-as-jpeg", cmd, ("scan.jpg", b"%PDF-1.7\n" + b"0" * 500, "image/jpeg"), NOT_READABLE),
        Case("tiff-as-png", cmd, ("x.png", photo_as("TIFF"), "image/png"), NOT_READABLE),
        Case("photo-labelled-text", cmd, ("cat.txt", cat_jpeg(), "text/plain"), DREAMS),
        Case("over-the-size-limit", cmd, ("big.png", oversized_png(), "image/png"), f"over the {LIMIT_MB} MiB limit"),
    ]
    return cases


def command_cases() -> list[Case]:
    photo = ("cat.jpg", cat_jpeg(), "image/jpeg")
    return [
        Case("huge-argument", "!dream " + "x" * 1990, photo, "at most 500 characters"),
        Case("huge-value", "!dream size=96 octaves=1 layer=mixed2 steps=" + "9" * 400, photo, DREAMS),  # clamped
        Case("many-options", "!dream " + " ".join(["steps=2"] * 60), photo, "given twice"),
        Case("rtl-and-zero-width-key", "!dream \u202estep\u200bs=2", photo, "Unknown option"),
        Case("unicode-layer", "!dream layer=ｍｉｘｅｄ４ｃ", photo, "Unknown layer"),
        Case("emoji-preset", "!dream preset=🌀🌀🌀", photo, "Unknown preset"),
        Case("sql-in-layer", "!dream layer=mixed4;DROP TABLE jobs", photo, "Unknown"),
        Case("path-in-preset", "!dream preset=../../etc/passwd", photo, "Unknown preset"),
        Case("everyone-mention", "!dream @everyone", photo, "Unknown option"),
        Case("here-in-value", "!dream seed=@here", photo, "Bad value for seed"),
        Case("role-mention-value", "!dream steps=<@&123456789012345678>", photo, "Bad value for steps"),
        Case("user-mention-key", "!dream <@123456789012345678>", photo, "Unknown option"),
        Case("markdown-backticks", "!dream layer=```mixed4```", photo, "Unknown layer"),
        Case("unbalanced-quote", '!dream layer="mixed4 steps=2', photo, "Unknown"),
        Case("nan-strength", "!dream strength=nan", photo, "Bad value for strength"),
        Case("negative-size", "!dream size=-5 octaves=1 steps=2 layer=mixed2", photo, DREAMS),  # clamped to 75, and told
    ]


# -- generators -----------------------------------------------------------------------------

@cache
def photo_as(fmt: str) -> bytes:
    """The coffee photo (scaled to 160 px) saved as `fmt`."""
    im = Image.open(io.BytesIO(coffee_jpeg(160))).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def flip(data: bytes, offset: int, mask: int = 0x10) -> bytes:
    """`data` with one bit flipped at `offset`."""
    return data[:offset] + bytes([data[offset] ^ mask]) + data[offset + 1:]


def flip_run(data: bytes, offset: int, length: int) -> bytes:
    """`data` with every byte of a run inverted: a burst of line noise."""
    return data[:offset] + bytes(b ^ 0xFF for b in data[offset:offset + length]) + data[offset + length:]


def idat_offset(png: bytes) -> int:
    return png.index(b"IDAT") + 4


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_from(width: int, height: int, idat: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims `width` x `height`."""
    return png_from(width, height, zlib.compress(b"\x00" * (1 + 3 * min(width, 4096)), 9))


@cache
def zip_bomb_png() -> bytes:
    """A valid PNG whose IDAT really inflates to BOMB_SIDE² x 3 bytes (2.7 GB) of black.

    Rows are compressed once, after a full flush, and repeated: the deflate state is reset
    at each flush point, so the repeated bytes are a valid stream and generating it is fast.
    """
    row = b"\x00" * (1 + 3 * BOMB_SIDE)
    block_rows = 1000
    comp = zlib.compressobj(9)
    head = comp.compress(b"")
    body = comp.compress(row * block_rows) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(row * block_rows) + comp.flush(zlib.Z_FULL_FLUSH)
    assert again == body, "deflate output after a full flush should repeat"
    adler = 1
    for _ in range(BOMB_SIDE // block_rows):
        adler = zlib.adler32(row * block_rows, adler)
    tail = comp.flush()[:-4] + struct.pack(">I", adler)  # close the stream with the whole image's checksum
    return png_from(BOMB_SIDE, BOMB_SIDE, head + body * (BOMB_SIDE // block_rows) + tail)


def jpeg_claiming(jpeg: bytes, width: int, height: int) -> bytes:
    """A real JPEG whose frame header (SOF0) claims another size."""
    at = jpeg.index(b"\xff\xc0") + 5  # marker, length (2), precision (1), then height, width
    return jpeg[:at] + struct.pack(">HH", height, width) + jpeg[at + 4:]


def gif_claiming(gif: bytes, width: int, height: int) -> bytes:
    """A real GIF whose logical screen claims another size."""
    return gif[:6] + struct.pack("<HH", width, height) + gif[10:]


@cache
def oversized_png() -> bytes:
    """A valid PNG a little over LIMIT_MB: noise does not compress."""
    import numpy as np
    side = 1300
    noise = np.random.default_rng(5).integers(0, 256, (side, side, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "PNG", compress_level=1)
    data = buf.getvalue()
    assert len(data) > LIMIT_MB * 2**20, len(data)
    return data
