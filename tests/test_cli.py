"""`python -m dreaming`: one line and exit 2 for every bad input; real dreams otherwise."""
from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "docs" / "sample-cat.jpg"


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dreaming", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)


def assert_one_line_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("dreaming: error: ")
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + _png_chunk(b"IEND", b""))


def _photo_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.open(SAMPLE).save(out, fmt)
    return out.getvalue()


BAD_FILES = {
    "zero.png": (b"", "Can't read that image"),
    "notes.png": (b"just some text, not a picture\n" * 10, "Can't read that image"),
    "truncated.png": (_photo_bytes("PNG")[:5000], "truncated or corrupt"),
    "truncated.jpg": (_photo_bytes("JPEG")[:3000], "truncated or corrupt"),
    "bomb.png": (_png_claiming(60000, 60000), "Image too large"),
    "absurd.png": (_png_claiming(200000, 1), "Image too large"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_image_files(tmp_path, name):
    data, fragment = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    assert_one_line_error(run_cli(path, "-o", tmp_path / "out.png"), fragment)
    assert not (tmp_path / "out.png").exists()


def test_missing_file(tmp_path):
    assert_one_line_error(run_cli(tmp_path / "nope.jpg"), "no such file")


@pytest.mark.parametrize("args, fragment", [
    (["--layers", "mixed4z"], "Unknown layer 'mixed4z'"),
    (["--preset", "clasic"], "Did you mean 'classic'"),
    (["--steps", "1000"], "steps"),
    (["--octaves", "0"], "octaves"),
    (["--step-size", "lots"], "number"),
    (["--layers", "mixed4/9999"], "channel"),
    (["-o", "out.tiff"], ".png, .jpg or .webp"),
    (["--bogus"], "unrecognized"),
])
def test_bad_options(args, fragment):
    assert_one_line_error(run_cli(SAMPLE, *args), fragment)


def test_lists_describe_every_layer_and_preset():
    layers = run_cli("--list-layers")
    presets = run_cli("--list-presets")
    assert layers.returncode == presets.returncode == 0
    assert all(f"mixed{i} " in layers.stdout for i in range(11)) and "mixed4c" in layers.stdout
    for name in ("classic", "textures", "patterns", "creatures", "nightmare", "subtle"):
        assert any(line.startswith(name) and len(line.split()) > 2 for line in presets.stdout.splitlines())


@pytest.mark.slow
def test_dream_writes_the_format_of_the_extension_without_metadata(tmp_path):
    source = tmp_path / "cat.jpg"
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0)}  # GPS IFD
    Image.open(SAMPLE).save(source, exif=exif)
    common = ["--max-side", "160", "--octaves", "2", "--steps", "3", "--seed", "5", "-q"]
    for ext, fmt in ((".webp", "WEBP"), (".jpg", "JPEG")):
        done = run_cli(source, "-o", tmp_path / f"out{ext}", *common)
        assert done.returncode == 0, done.stderr
        with Image.open(tmp_path / f"out{ext}") as out:
            assert out.format == fmt and out.size == (160, 106)
            assert not out.getexif() and "exif" not in out.info
    done = run_cli(source, *common)  # default output: beside the input
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cat.dream.png").is_file()
    assert "seed=5" in done.stderr and "layers=" in done.stderr


@pytest.mark.slow
def test_same_seed_gives_identical_files(tmp_path):
    common = [SAMPLE, "--max-side", "128", "--octaves", "1", "--steps", "3", "--seed", "11", "-q"]
    assert run_cli(*common, "-o", tmp_path / "a.png").returncode == 0
    assert run_cli(*common, "-o", tmp_path / "b.png").returncode == 0
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


@pytest.mark.slow
def test_progress_bar_reaches_the_end(tmp_path):
    done = run_cli(SAMPLE, "-o", tmp_path / "p.png", "--max-side", "96", "--octaves", "1", "--steps", "2")
    assert done.returncode == 0, done.stderr
    assert "octave 1/1" in done.stderr and "100%" in done.stderr and "ETA" in done.stderr


# -- many images per run ----------------------------------------------------------------------

#: small, yet not padded: the sample (3:2) fits 120x80, above the network's 75 px minimum
TINY = ["--max-side", "120", "--octaves", "1", "--steps", "1", "--seed", "1", "-q"]


@pytest.fixture
def counted_model(model, monkeypatch):
    """`main()` in this process, its model the session's: `loads` counts load_model calls."""
    import dreaming.model
    loads = []

    def load_model(weights="inception-2015", precision="auto", **network):  # network: model=...
        loads.append(weights)
        return model
    monkeypatch.setattr(dreaming.model, "load_model", load_model)
    return loads


@pytest.mark.slow
def test_many_images_load_the_model_once_and_a_bad_one_does_not_stop_the_rest(
        tmp_path, capsys, counted_model):
    from dreaming.__main__ import main

    photos = tmp_path / "photos"
    photos.mkdir()
    Image.open(SAMPLE).save(photos / "b.png")
    Image.open(SAMPLE).save(photos / "c.webp")
    (photos / "notes.txt").write_text("not an image, and not picked up from a folder")
    (tmp_path / "broken.jpg").write_bytes(_photo_bytes("JPEG")[:3000])
    out = tmp_path / "out"
    code = main([str(SAMPLE), str(tmp_path / "broken.jpg"), str(photos), "-o", str(out), *TINY])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert counted_model == ["inception-2015"]
    assert sorted(p.name for p in out.iterdir()) == ["b.dream.png", "c.dream.png", "sample-cat.dream.png"]
    wrote = [line for line in lines if line.startswith("wrote ")]
    assert len(wrote) == 3 and all(" s): " in line and "seed=1" in line for line in wrote)
    errors = [line for line in lines if line.startswith("dreaming: error: ")]
    assert errors == [line for line in errors if "broken.jpg" in line and "truncated or corrupt" in line]
    assert len(errors) == 1 and len(lines) == 4
    assert lines.index(errors[0]) == 1  # in input order: the rest went on after it


@pytest.mark.slow
def test_many_good_images_exit_zero(tmp_path, capsys, counted_model):
    from dreaming.__main__ import main

    for name in ("a.jpg", "b.jpg"):
        Image.open(SAMPLE).save(tmp_path / name)
    code = main([str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg"), *TINY])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "a.dream.png").is_file() and (tmp_path / "b.dream.png").is_file()
    assert counted_model == ["inception-2015"]


def test_only_bad_images_never_load_the_model(tmp_path, capsys, monkeypatch):
    import dreaming.model
    from dreaming.__main__ import main

    monkeypatch.setattr(dreaming.model, "load_model", lambda *a, **k: pytest.fail("model loaded"))
    for name in ("x.png", "y.png"):
        (tmp_path / name).write_bytes(b"no picture here")
    code = main([str(tmp_path / "x.png"), str(tmp_path / "y.png"), "-q"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 2
    assert all(line.startswith("dreaming: error: ") and "Can't read that image" in line for line in lines)


def test_several_images_need_a_folder_to_write_into(tmp_path):
    assert_one_line_error(run_cli(SAMPLE, SAMPLE, "-o", tmp_path / "one.png"), "folder")


def test_an_empty_folder_is_an_error(tmp_path):
    assert_one_line_error(run_cli(tmp_path), "no images")


@pytest.mark.parametrize("args, fragment", [
    (["--precision", "float16"], "precision"),
    (["--objective", "max"], "objective"),
])
def test_bad_word_options(args, fragment):
    assert_one_line_error(run_cli(SAMPLE, *args), fragment)


# -- zoom animations and dreams from noise ----------------------------------------------------

ANIMATION = ["--max-side", "96", "--octaves", "1", "--steps", "1", "--frame-octaves", "1",
             "--frame-steps", "1", "--seed", "3", "-q"]


@pytest.mark.parametrize("args, fragment", [
    ([SAMPLE, "--frames", "0"], "Bad value for frames"),
    ([SAMPLE, "--frames", "many"], "whole number"),
    ([SAMPLE, "--frames", "3", "--zoom", "3"], "Bad value for zoom"),
    ([SAMPLE, "--frames", "3", "--fps", "0"], "Bad value for fps"),
    ([SAMPLE, "--frames", "3", "-o", "zoom.png"], ".webp, .gif or .mp4"),
    ([SAMPLE, "--zoom", "1.1"], "add --frames"),
    ([SAMPLE, "-o", "still.gif"], ".png, .jpg or .webp"),
    (["--from-noise", "10x10"], "WIDTHxHEIGHT"),
    (["--from-noise", "512"], "WIDTHxHEIGHT"),
    (["--from-noise", "100x100", SAMPLE], "give no INPUT"),
    (["--from-noise"], "--from-noise needs a size"),
    # 360 frames of 8192 px with 200 steps each: far over the engine's bound, refused at once
    (["--from-noise", "8192x8192", "--max-side", "8192", "--frames", "360", "--frame-steps", "200",
      "-o", "huge.mp4"], "too much work (360 frames"),
])
def test_bad_animation_and_noise_options_get_one_line_and_load_no_model(args, fragment, capsys, monkeypatch):
    import dreaming.model
    from dreaming.__main__ import main

    monkeypatch.setattr(dreaming.model, "load_model", lambda *a, **k: pytest.fail("model loaded"))
    code = main([str(a) for a in args])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("dreaming: error: ") and fragment in lines[0]


@pytest.mark.slow
def test_the_cli_writes_a_zoom_animation_in_the_format_of_the_extension(tmp_path):
    done = run_cli(SAMPLE, "--frames", "3", "-o", tmp_path / "zoom.gif", *ANIMATION)
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / "zoom.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames == 3 and gif.size == (96, 64)
    assert "3 frames at 12 fps" in done.stderr and "frames=3 zoom=1.05" in done.stderr


@pytest.mark.slow
def test_animations_and_noise_dreams_in_process(tmp_path, capsys, counted_model):
    import av

    from dreaming.__main__ import main

    assert main([str(SAMPLE), "--frames", "4", "--fps", "8", "-o", str(tmp_path / "z.mp4"), *ANIMATION]) == 0
    with av.open(str(tmp_path / "z.mp4")) as video:
        frames = list(video.decode(video=0))
    assert len(frames) == 4 and (frames[0].width, frames[0].height) == (96, 64)

    # default output of an animation: INPUT.dream.webp beside the input
    (tmp_path / "cat.jpg").write_bytes(SAMPLE.read_bytes())
    assert main([str(tmp_path / "cat.jpg"), "--frames", "2", *ANIMATION]) == 0
    with Image.open(tmp_path / "cat.dream.webp") as webp:
        assert webp.n_frames == 2

    # from noise of a given size, and of an input's size (a bare --from-noise before it)
    still = ["--max-side", "96", "--octaves", "1", "--steps", "1", "--seed", "3", "-q"]
    for name in ("a.png", "b.png"):
        assert main(["--from-noise", "120x90", "-o", str(tmp_path / name), *still]) == 0
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()  # the seed remakes it
    assert Image.open(tmp_path / "a.png").size == (96, 72)
    assert main(["--from-noise", str(SAMPLE), "-o", str(tmp_path / "c.png"), *still]) == 0
    assert Image.open(tmp_path / "c.png").size == (96, 64)
    assert capsys.readouterr().err.count("wrote ") == 5
