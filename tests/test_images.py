"""dreaming.images: decoding every supported kind of file right, refusing bad ones
with one-line errors, writing no metadata, and fitting upload limits.

Format cases use images made here; photographic ones use scikit-image's bundled
cat (`chelsea`) and coffee cup (`coffee`).
"""
from __future__ import annotations

import io
import random
import struct
import zlib

import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from dreaming import images
from dreaming.errors import BadImage, BadParam, ImageTooLarge

# ---------------------------------------------------------------- helpers


def save(img: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img).astype(int)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def raw_png(width: int, height: int, depth: int = 8, colour: int = 2, rows: bytes = b"") -> bytes:
    """A PNG built by hand, so headers can say anything (16-bit RGB, lies)."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b""))


def webp_canvas(width: int, height: int) -> bytes:
    """A WebP header (VP8X) claiming a canvas of width x height, and nothing else."""
    vp8x = bytes(4) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x
    return b"RIFF" + struct.pack("<I", len(body)) + body


def png_chunk_types(data: bytes) -> list[bytes]:
    kinds, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        kinds.append(kind)
        pos += 12 + length
    return kinds


def jpeg_markers(data: bytes) -> list[int]:
    """Markers of the segments before the image data (APPn, DQT, SOF...)."""
    markers, pos = [], 2
    while data[pos + 1] != 0xDA:  # start of scan: entropy-coded data follows
        markers.append(data[pos + 1])
        pos += 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
    return markers


def riff_chunks(data: bytes) -> list[bytes]:
    kinds, pos = [], 12
    while pos < len(data):
        kind, length = struct.unpack("<4sI", data[pos:pos + 8])
        kinds.append(kind)
        pos += 8 + length + (length & 1)
    return kinds


def linear_rgb_profile() -> bytes:
    """An ICC v2 profile with sRGB's primaries but linear (gamma 1.0) curves."""
    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + bytes(4) + b"".join(struct.pack(">i", round(v * 65536)) for v in (x, y, z))
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0100) + bytes(2)
    tags = [(b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
            (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)), (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    start = 128 + 4 + 12 * len(tags)
    table = body = b""
    for sig, data in tags:
        table += sig + struct.pack(">II", start + len(body), len(data))
        body += data + bytes(-len(data) % 4)
    header = (struct.pack(">I", start + len(body)) + bytes(4) + struct.pack(">I", 0x02100000)
              + b"mntrRGB XYZ " + bytes(12) + b"acsp" + bytes(28)
              + xyz(0.9642, 1.0, 0.8249)[8:] + bytes(48))
    return header + struct.pack(">I", len(tags)) + table + body


@pytest.fixture(scope="module")
def cat() -> Image.Image:
    return Image.fromarray(skimage.data.chelsea())


@pytest.fixture(scope="module")
def noisy_coffee() -> Image.Image:
    """A photo with sensor-like noise: PNG can't compress it, so it is big."""
    rng = np.random.default_rng(7)
    pixels = skimage.data.coffee().astype(int) + rng.normal(0, 12, (400, 600, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def assert_one_line(err: Exception) -> None:
    text = str(err)
    assert text and "\n" not in text and "\r" not in text, text


# ---------------------------------------------------------------- decoding formats


@pytest.mark.parametrize("fmt,params", [("PNG", {}), ("BMP", {}), ("WEBP", {"lossless": True})])
def test_lossless_formats_decode_exactly(cat, fmt, params):
    out = images.decode(save(cat, fmt, **params))
    assert out.mode == "RGB" and out.size == cat.size
    np.testing.assert_array_equal(np.asarray(out), np.asarray(cat))


def test_jpeg_photo_decodes_close_to_source(cat):
    out = images.decode(save(cat, "JPEG", quality=95))
    assert out.size == (451, 300)
    assert np.abs(arr(out) - arr(cat)).mean() < 3


def test_cmyk_jpeg_becomes_rgb():
    cmyk = Image.new("CMYK", (32, 16), (255, 0, 0, 0))  # cyan
    cmyk.paste((0, 255, 0, 0), (16, 0, 32, 16))  # magenta
    data = save(cmyk, "JPEG", quality=100)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    out = arr(images.decode(data))
    assert np.abs(out[8, 4] - (0, 255, 255)).max() <= 8
    assert np.abs(out[8, 28] - (255, 0, 255)).max() <= 8


def test_16bit_grey_png_maps_to_8bit_without_clipping():
    values = np.array([[0, 257, 32768, 32896, 50000, 65280, 65535, 1000]], dtype=np.uint16)
    gradient = np.repeat(np.concatenate([values, np.arange(0, 65536, 256, dtype=np.uint16)[None]],
                                        axis=1), 3, axis=0)
    data = save(Image.fromarray(gradient), "PNG")
    assert data[24] == 16  # IHDR bit depth: the file really is 16-bit
    out = arr(images.decode(data))
    assert out.shape == (3, gradient.shape[1], 3)
    expected = np.rint(gradient / 257.0)
    assert np.abs(out[..., 0] - expected).max() <= 1
    assert (out[..., 0] == out[..., 2]).all()  # grey stays grey
    assert out[0, 0, 0] == 0 and out[0, 2, 0] == 128 and out[0, 6, 0] == 255


def test_16bit_rgb_png_keeps_colour_levels():
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 65536, (6, 5, 3), dtype=np.uint16)
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in pixels)
    out = arr(images.decode(raw_png(5, 6, depth=16, colour=2, rows=rows)))
    assert out.shape == (6, 5, 3)
    assert np.abs(out - np.rint(pixels / 257.0)).max() <= 1


def test_palette_png_with_transparent_entry():
    palette = [255, 0, 0, 0, 0, 255, 0, 200, 0]  # red, blue, green
    img = Image.new("P", (3, 2))
    img.putpalette(palette)
    img.putdata([0, 1, 2, 2, 1, 0])
    opaque = arr(images.decode(save(img, "PNG")))
    assert opaque[0].tolist() == [[255, 0, 0], [0, 0, 255], [0, 200, 0]]
    holey = arr(images.decode(save(img, "PNG", transparency=1)))  # blue is transparent
    assert holey[0].tolist() == [[255, 0, 0], [255, 255, 255], [0, 200, 0]]


def test_alpha_is_composited_onto_white():
    rgba = Image.new("RGBA", (3, 1))
    rgba.putdata([(255, 0, 0, 255), (255, 0, 0, 128), (0, 0, 255, 0)])
    out = arr(images.decode(save(rgba, "PNG")))[0]
    assert out[0].tolist() == [255, 0, 0]
    assert np.abs(out[1] - (255, 127, 127)).max() <= 1
    assert out[2].tolist() == [255, 255, 255]
    grey = Image.new("LA", (2, 1))
    grey.putdata([(0, 255), (0, 0)])
    assert arr(images.decode(save(grey, "PNG")))[0].tolist() == [[0, 0, 0], [255, 255, 255]]


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animation_gives_first_frame(fmt):
    frames = [Image.new("RGB", (20, 10), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    params = {"lossless": True} if fmt == "WEBP" else {}
    data = save(frames[0], fmt, save_all=True, append_images=frames[1:], duration=50, **params)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    out = images.decode(data)
    assert out.size == (20, 10)
    assert {tuple(p) for p in arr(out).reshape(-1, 3)} == {(255, 0, 0)}


def test_icc_profile_is_applied():
    # Pixels tagged as linear light: 128 is 50% light, which sRGB encodes as 188.
    img = Image.new("RGB", (4, 4), (128, 128, 128))
    out = images.decode(save(img, "PNG", icc_profile=linear_rgb_profile()))
    assert np.abs(arr(out) - 188).max() <= 2
    assert out.info == {}  # so encoding it can't apply the profile a second time
    assert np.abs(arr(images.decode(images.encode(out))) - 188).max() <= 2
    unusable = images.decode(save(img, "PNG", icc_profile=b"not a profile" * 20))
    assert (arr(unusable) == 128).all()


@pytest.mark.parametrize("orientation,stored", [
    (3, Image.Transpose.ROTATE_180), (6, Image.Transpose.ROTATE_90),
    (8, Image.Transpose.ROTATE_270)])
def test_exif_orientation_is_applied(orientation, stored):
    upright = Image.new("RGB", (60, 40), "white")
    upright.paste((255, 0, 0), (0, 0, 12, 12))  # red: top left
    upright.paste((0, 0, 255), (48, 0, 60, 12))  # blue: top right
    sideways = upright.transpose(stored)
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = arr(images.decode(save(sideways, "JPEG", quality=95, exif=exif)))
    assert out.shape == (40, 60, 3)
    assert np.abs(out[5, 5] - (255, 0, 0)).max() < 30
    assert np.abs(out[5, 54] - (0, 0, 255)).max() < 30
    assert np.abs(out[30, 30] - (255, 255, 255)).max() < 30


def test_decode_with_max_side_matches_fit_within(cat):
    for data in (save(cat, "PNG"), save(cat, "JPEG", quality=95)):  # JPEG uses draft()
        small = images.decode(data, max_side=100)
        reference = images.fit_within(images.decode(data), 100)
        assert small.size == reference.size == (100, 67)
        assert np.abs(arr(small) - arr(reference)).mean() < 4


# ---------------------------------------------------------------- bad input


def _truncated(fmt: str) -> bytes:
    data = save(Image.fromarray(skimage.data.chelsea()), fmt)
    return data[:len(data) // 2]


def _corrupt_png() -> bytes:
    data = bytearray(save(Image.fromarray(skimage.data.chelsea()), "PNG"))
    for i in range(200, len(data) - 20, 997):  # flip bits inside the compressed data
        data[i] ^= 0x5A
    return bytes(data)


BAD_INPUTS = {
    "zero bytes": (lambda: b"", BadImage, "empty"),
    "text": (lambda: b"Hello! This is a text file, not a picture.\n" * 5, BadImage, "not an image"),
    "truncated png": (lambda: _truncated("PNG"), BadImage, "PNG"),
    "truncated jpeg": (lambda: _truncated("JPEG"), BadImage, "JPEG"),
    "png header only": (lambda: save(Image.new("RGB", (9, 9)), "PNG")[:30], BadImage, "PNG"),
    "corrupt png": (_corrupt_png, BadImage, "corrupt"),
    "tiff": (lambda: save(Image.new("RGB", (9, 9)), "TIFF"), BadImage, "TIFF"),
    "zero width": (lambda: raw_png(0, 5), BadImage, "PNG"),
    "bomb 100000x100000": (lambda: raw_png(100_000, 100_000), ImageTooLarge, "100000x100000"),
    "webp bomb": (lambda: webp_canvas(16_384, 16_384), ImageTooLarge, "Image too large"),
    "absurd 100000x1": (lambda: raw_png(100_000, 1), ImageTooLarge, "100000x1"),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_raises_typed_one_line_error(name):
    make, kind, words = BAD_INPUTS[name]
    data = make()
    with pytest.raises(kind) as info:
        images.decode(data)
    assert words in str(info.value)
    assert_one_line(info.value)


def test_too_many_pixels_checked_before_decoding():
    data = raw_png(3000, 2000)  # no pixel data at all: decoding would fail as corrupt
    with pytest.raises(ImageTooLarge) as info:
        images.decode(data, max_pixels=5_000_000)
    err = info.value
    assert (err.width, err.height, err.limit_pixels) == (3000, 2000, 5_000_000)
    assert_one_line(err)


def test_pillow_global_guards_untouched():
    limit = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageTooLarge):
        images.decode(raw_png(100_000, 100_000))
    assert Image.MAX_IMAGE_PIXELS == limit and limit is not None
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "BMP"])
def test_mangled_files_only_raise_dream_errors(fmt):
    """Random truncations and byte changes: a picture or BadImage/ImageTooLarge, nothing else."""
    base = save(Image.fromarray(skimage.data.chelsea()[:64, :64]), fmt)
    rng = random.Random(fmt)
    outcomes = set()
    for _ in range(150):
        data = bytearray(base)
        if rng.random() < 0.3:
            data = data[:rng.randrange(1, len(data))]
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            out = images.decode(bytes(data))
        except (BadImage, ImageTooLarge) as err:
            assert_one_line(err)
            outcomes.add("refused")
        else:
            assert out.mode == "RGB"
            outcomes.add("decoded")
    assert "refused" in outcomes


# ---------------------------------------------------------------- load()


def test_load_reads_a_file(tmp_path, cat):
    path = tmp_path / "cat.png"
    path.write_bytes(save(cat, "PNG"))
    np.testing.assert_array_equal(np.asarray(images.load(path)), np.asarray(cat))
    assert images.load(str(path), max_side=50).size == (50, 33)


def test_load_missing_file(tmp_path):
    with pytest.raises(BadImage) as info:
        images.load(tmp_path / "nope\n.png")
    assert "no such file" in str(info.value) and "nope" in str(info.value)
    assert_one_line(info.value)


def test_load_directory(tmp_path):
    with pytest.raises(BadImage) as info:
        images.load(tmp_path)
    assert "directory" in str(info.value)
    assert_one_line(info.value)


def test_load_caps_bytes(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(raw_png(10, 10) + bytes(2 * 2**20))
    with pytest.raises(ImageTooLarge) as info:
        images.load(path, max_bytes=2**20)
    assert info.value.limit_bytes == 2**20 and info.value.size_bytes > 2**20
    assert_one_line(info.value)


# ---------------------------------------------------------------- metadata


def _tagged_source(fmt: str) -> bytes:
    """A photo carrying EXIF (camera, GPS position), an ICC profile, XMP and text."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 13.0, 7.5), 3: "E", 4: (13.0, 24.0, 1.0)}  # GPS IFD
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/>SecretXMP</x:xmpmeta>'
    photo = Image.fromarray(skimage.data.chelsea())
    if fmt == "JPEG":
        return save(photo, "JPEG", exif=exif, icc_profile=icc, xmp=xmp, comment=b"SecretNote")
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "SecretNote")
    text.add_itxt("XML:com.adobe.xmp", xmp.decode())
    return save(photo, "PNG", exif=exif, icc_profile=icc, pnginfo=text)


@pytest.mark.parametrize("source", ["JPEG", "PNG"])
@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp"])
def test_encode_writes_no_metadata(source, fmt):
    data = _tagged_source(source)
    opened = Image.open(io.BytesIO(data))
    assert opened.getexif().get_ifd(0x8825)[2] == (52.0, 13.0, 7.5)  # the input has GPS
    assert "icc_profile" in opened.info
    for img in (opened, images.decode(data)):  # raw Pillow image with info, and decoded
        out = images.encode(img, fmt)
        for secret in (b"SecretCam", b"SecretNote", b"SecretXMP", b"Exif", b"ICC_PROFILE"):
            assert secret not in out
        reopened = Image.open(io.BytesIO(out))
        assert reopened.format == {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}[fmt]
        assert len(reopened.getexif()) == 0 and not reopened.getexif().get_ifd(0x8825)
        assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & set(reopened.info)
        if fmt == "png":
            assert set(png_chunk_types(out)) <= {b"IHDR", b"IDAT", b"IEND"}
            assert reopened.text == {}
        elif fmt == "jpeg":  # only JFIF (APP0), tables and frame: no APP1 EXIF/XMP, APP2 ICC
            assert set(jpeg_markers(out)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xC2}
        else:
            assert set(riff_chunks(out)) <= {b"VP8 ", b"VP8L"}
        assert np.abs(arr(reopened.convert("RGB")) - skimage.data.chelsea()).mean() < 4


# ---------------------------------------------------------------- encode, arrays, paths


@pytest.mark.parametrize("fmt", ["png", "jpeg", "jpg", "webp", "PNG"])
def test_encode_round_trip(cat, fmt):
    data = images.encode(images.to_array(cat), fmt)
    out = images.decode(data)
    assert out.size == cat.size
    assert np.abs(arr(out) - arr(cat)).mean() < (0.01 if fmt.lower() == "png" else 3)


def test_encode_rejects_unknown_format_and_quality(cat):
    with pytest.raises(BadParam):
        images.encode(cat, "gif")
    with pytest.raises(BadParam):
        images.encode(cat, "jpeg", quality=0)


def test_format_for_path():
    assert [images.format_for_path(p) for p in ("a.png", "b.JPG", "c.jpeg", "d/e.webp")] == [
        "png", "jpeg", "jpeg", "webp"]
    with pytest.raises(BadParam) as info:
        images.format_for_path("out.gif")
    assert info.value.name == "output" and ".png, .jpg or .webp" in str(info.value)
    assert images.extension_for("jpeg") == ".jpg" and images.extension_for("webp") == ".webp"


def test_arrays_round_trip(cat):
    a = images.to_array(cat)
    assert a.dtype == np.uint8 and a.shape == (300, 451, 3) and a.flags.writeable
    np.testing.assert_array_equal(np.asarray(images.from_array(a)), a)
    floats = images.from_array(np.array([[[-5.0, 127.6, 300.0], [np.nan, 0.4, 255.0]]]))
    assert arr(floats).tolist() == [[[0, 128, 255], [0, 0, 255]]]
    assert images.from_array(np.full((2, 3), 7, np.uint8)).getpixel((0, 0)) == (7, 7, 7)
    with pytest.raises(ValueError):
        images.from_array(np.zeros((4, 4, 4), np.uint8))


# ---------------------------------------------------------------- fitting


def test_fit_within_downscales_only(cat):
    small = images.fit_within(cat, 100)
    assert small.size == (100, 67)
    assert np.abs(arr(small).mean(axis=(0, 1)) - arr(cat).mean(axis=(0, 1))).max() < 3
    assert images.fit_within(cat, 451) is cat and images.fit_within(cat, 5000) is cat
    assert images.fit_within(Image.new("RGB", (1000, 2)), 10).size == (10, 1)
    assert images.fit_within(Image.new("RGB", (3, 900)), 9).size == (1, 9)
    with pytest.raises(ValueError):
        images.fit_within(cat, 0)


def test_encode_within_png_when_it_fits(noisy_coffee):
    png = images.encode(noisy_coffee, "png")
    data, fmt, size = images.encode_within(noisy_coffee, len(png))
    assert (fmt, size) == ("png", (600, 400)) and data == png


def test_encode_within_falls_back_to_jpeg(noisy_coffee):
    png_len = len(images.encode(noisy_coffee, "png"))
    jpeg_len = len(images.encode(noisy_coffee, "jpeg", quality=92))
    assert jpeg_len < png_len - 1000
    data, fmt, size = images.encode_within(noisy_coffee, png_len - 1)
    assert (fmt, size) == ("jpeg", (600, 400)) and len(data) == jpeg_len
    assert images.decode(data).size == (600, 400)


@pytest.mark.parametrize("divisor", [3, 40])
def test_encode_within_downscales_until_it_fits(noisy_coffee, divisor):
    limit = len(images.encode(noisy_coffee, "jpeg", quality=92)) // divisor
    data, fmt, size = images.encode_within(noisy_coffee, limit)
    assert fmt == "jpeg" and len(data) <= limit
    assert size[0] < 600 and abs(size[0] / size[1] - 1.5) < 0.1
    assert images.decode(data).size == size


def test_encode_within_smallest_limit(noisy_coffee):
    data, fmt, size = images.encode_within(images.to_array(noisy_coffee), 1024)
    assert len(data) <= 1024 and images.decode(data).size == size
    with pytest.raises(BadParam):
        images.encode_within(noisy_coffee, 1000)


def test_side_by_side_puts_the_original_at_the_dreams_height():
    before = Image.new("RGB", (400, 200), (255, 0, 0))
    after = Image.new("RGB", (150, 100), (0, 0, 255))
    pair = images.side_by_side(before, after, gap=4)
    assert pair.size == (200 + 4 + 150, 100)
    assert pair.getpixel((10, 50)) == (255, 0, 0) and pair.getpixel((202, 50)) == (255, 255, 255)
    assert pair.getpixel((300, 50)) == (0, 0, 255)
