"""`python -m dreaming INPUT... [-o OUTPUT] [options]`: dream local images, no Discord needed.

INPUTs are image files or folders (their images, sorted by name). One input writes OUTPUT
(default INPUT.dream.png); several, or a folder, write into the folder OUTPUT (default:
beside each input) as NAME.dream.png. The model loads once, for the first readable image.
Each image ends with one line on stderr (what was written, its seconds and settings) or
one error line, and the rest go on; the exit code is 2 if any image or setting failed.
The outputs carry no metadata from the inputs (no EXIF, no GPS).
"""
from __future__ import annotations

import argparse
import logging
import re
import sys
import threading
import time
from pathlib import Path

from dreaming.errors import AnimationTooLong, BadImage, BadParam, DreamError
from dreaming.networks import NETWORKS
from dreaming.params import LIMITS, check_guidable, seeded
from dreaming.parsing import parse_number

#: CLI flags that set a DreamParams field (`--step-size` sets step_size). Their text is
#: parsed and range-checked by `presets.params_from_options`, as every front end's is.
PARAM_OPTIONS = ("layers", "octaves", "octave_scale", "steps", "step_size", "jitter", "jitter_grid", "tile",
                 "max_side", "smoothing", "objective", "precision", "seed", "frames", "zoom",
                 "frame_octaves", "frame_steps", "model", "target_class")
#: Flags that only mean something for an animation (`--frames` 2 or more).
ANIMATION_FLAGS = ("zoom", "frame_octaves", "frame_steps", "fps")
#: What a folder given as INPUT contributes: files with these extensions (any case).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="dreaming: %(message)s")
    try:
        if args.list_layers or args.list_presets:
            _print_lists(args)
            return 0
        if not args.input and args.from_noise is None:
            raise _UsageError("give an INPUT image, or --from-noise WxH (or --list-layers / --list-presets)")
        return _dream_files(args)
    except (DreamError, _UsageError) as exc:
        print(f"dreaming: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ndreaming: interrupted", file=sys.stderr)
        return 130


def _dream_files(args: argparse.Namespace) -> int:
    from dreaming import presets

    options = {name: getattr(args, name) for name in PARAM_OPTIONS}
    catalogue = presets.load_presets(*args.presets_file)
    params = presets.params_from_options({"preset": args.preset, **options}, catalogue)
    weights = args.weights or NETWORKS[params.model].weights_default  # each network has its usual source
    _check_classifier(params, weights)
    if args.guide is not None:
        check_guidable(params)  # before the model loads
    noise, inputs = _from_noise(args.from_noise, args.input)
    animated = params.frames > 1
    if not animated and (given := [f for f in ANIMATION_FLAGS if getattr(args, f) is not None]):
        raise _UsageError(f"--{given[0].replace('_', '-')} is for animations: add --frames N (2 or more)")
    fps = _fps(args.fps)
    # bad extensions are refused before the slow part
    jobs = _plan(inputs, args.output, animated) if inputs else [(None, _noise_output(args.output, animated))]
    dreamer = _Dreamer(weights, quiet=args.quiet, noise=noise, fps=fps, guide=args.guide)
    failed = 0
    for source, output in jobs:
        try:
            dreamer.dream_file(source, output, params)
        except (DreamError, OSError) as exc:  # OSError: the output could not be written
            failed += 1
            where = f"{source}: " if len(jobs) > 1 else ""
            reason = exc if isinstance(exc, DreamError) else f"can't write {output}: {exc.strerror or exc}"
            print(f"dreaming: error: {where}{reason}", file=sys.stderr)
            if dreamer.fatal:  # the model itself failed to load: no image can go on
                return 2
    return 2 if failed else 0


def _plan(inputs: list[str], output: str | None, animated: bool = False) -> list[tuple[Path, Path]]:
    """(source, output) pairs: folders expand to their images; several go into a folder."""
    from dreaming import images

    sources: list[Path] = []
    for given in map(Path, inputs):
        if given.is_dir():
            sources += sorted(p for p in given.iterdir()
                              if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            sources.append(given)
    if not sources:
        raise _UsageError(f"no images in {', '.join(inputs)}")
    into_folder = len(sources) > 1 or any(Path(i).is_dir() for i in inputs)
    if not into_folder:
        target = Path(output) if output else _default_output(sources[0], animated)
        _output_format(target, animated)
        return [(sources[0], target)]
    folder = Path(output) if output else None
    if folder is not None and folder.suffix and not folder.is_dir():  # a file name, not a folder
        raise _UsageError(f"-o {output}: several images need a folder to write into")
    return [(src, (folder or src.parent) / _default_output(src, animated).name) for src in sources]


def _from_noise(value: str | None, inputs: list[str]) -> tuple[tuple[int, int] | bool, list[str]]:
    """`--from-noise`: (the noise's (width, height), or True for each input's size, or False
    for no noise) and the inputs. A bare `--from-noise` before an INPUT reads it as its value,
    so a value that is not a size is an input."""
    if value is None:
        return False, inputs
    if not value:
        if not inputs:
            raise _UsageError("--from-noise needs a size (e.g. --from-noise 512x512) when no INPUT is given")
        return True, inputs
    if not re.fullmatch(r"[\d\s]*[x×X][\d\s]*|\d+", value):  # not meant as a size: an INPUT
        return True, [value, *inputs]
    size = _noise_size(value)
    if inputs:
        raise _UsageError(f"--from-noise {value} makes its own picture: give no INPUT, or give "
                          "--from-noise without a size to use each input's size")
    return size, inputs


def _noise_size(text: str) -> tuple[int, int]:
    """`512x384` -> (512, 384): each side within the range of --max-side."""
    width, _, height = text.lower().replace("×", "x").partition("x")
    reason = f"write WIDTHxHEIGHT, e.g. 512x512, each side {LIMITS['max_side']}"
    try:
        sides = tuple(parse_number("from-noise", side, whole=True) for side in (width, height))
    except DreamError:
        raise BadParam("from-noise", text, reason) from None
    if not all(side in LIMITS["max_side"] for side in sides):
        raise BadParam("from-noise", text, reason)
    return sides


def _fps(value: str | None) -> float:
    from dreaming.images import animation

    return animation.DEFAULT_FPS if value is None else animation.check_fps(parse_number("fps", value, whole=False))


def _guide(path: str | None):
    """`--guide PATH`: the guide's pixels, read by the inputs' safe decoder; None without one."""
    from dreaming import images

    if path is None:
        return None
    try:
        return images.to_array(images.load(path))
    except BadImage as exc:  # say which file was bad: the input or the guide
        raise BadImage(f"the guide ({exc.reason})") from None


def _check_classifier(params, weights: str) -> None:
    """Refuse `--class` before the model loads when the weights have no classifier head."""
    from dreaming.errors import NoClassifier
    from dreaming.networks import has_classifier

    if params.target_class is not None and not has_classifier(params.model, weights):
        raise NoClassifier(params.model, weights)


def _check_work(size: tuple[int, int], params) -> None:
    """Refuse an animation over the work bound of the engine's own limits (`dreaming.cost`):
    no animation may cost more than the largest still dream."""
    from dreaming import cost

    units, limit = cost.estimate(size, params).units, cost.bound({})
    if units > limit:
        raise AnimationTooLong(units, limit, params.frames)


def _output_format(path: Path, animated: bool) -> str:
    from dreaming import images

    return images.animation_format_for_path(path) if animated else images.format_for_path(path)


def _noise_output(output: str | None, animated: bool) -> Path:
    target = Path(output) if output else Path("noise.dream" + (".webp" if animated else ".png"))
    _output_format(target, animated)
    return target


class _Dreamer:
    """Loads the model for the first readable image, then dreams each file with it."""

    def __init__(self, weights: str, quiet: bool, noise: tuple[int, int] | bool = False,
                 fps: float = 12, guide: str | None = None):
        self.weights, self.quiet, self.noise, self.fps = weights, quiet, noise, fps
        self.guide_path, self.guide = guide, _guide(guide)  #: `--guide` and its pixels, or None
        self.model = None
        self.fatal = False

    def dream_file(self, source: Path | None, output: Path, params) -> None:
        from dreaming import images

        animated = params.frames > 1
        fmt = _output_format(output, animated)
        picture, params = self._start(source, params, animated)
        from dreaming.plan import plan_dream

        if (note := plan_dream(picture.shape[:2], params).note) is not None:  # a thin or tiny image
            print(f"dreaming: {source or 'noise'}: {note}", file=sys.stderr, flush=True)
        from dreaming.animate import animate  # TensorFlow loads here, after the cheap checks passed
        from dreaming.engine import dream

        if self.model is None:
            self.model = self._load_model(params.model)
        bar = _ProgressBar(enabled=not self.quiet)
        run = animate if animated else dream
        result = run(picture, params, model=self.model, progress=bar, cancel=threading.Event(),
                     guide=self.guide)
        bar.close()
        data = (images.encode_animation(result.frames, fmt, fps=self.fps) if animated
                else images.encode(result.image, fmt))
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
        height, width = result.image.shape[:2]
        frames = f", {len(result.frames)} frames at {self.fps:g} fps" if animated else ""
        print(f"wrote {output} ({width}x{height}{frames}, {result.seconds:.1f} s): "
              f"{result.params.describe()}{f' guide={self.guide_path}' if self.guide_path else ''}",
              file=sys.stderr, flush=True)

    def _start(self, source: Path | None, params, animated: bool):
        """The picture to dream: the input, or seeded noise of its size or of --from-noise's.
        Noise takes the dream's seed (picked here if none was given), so one seed remakes both.
        An animation's work is checked first, before any noise is made."""
        from dreaming import images

        picture = None if source is None else images.to_array(images.load(source))
        width, height = self.noise if source is None else picture.shape[1::-1]
        if animated:
            _check_work((height, width), params)
        if not self.noise:
            return picture, params
        params = seeded(params)
        width, height = images.fitted_size((width, height), params.max_side)
        return images.noise_image((height, width), params.seed), params

    def _load_model(self, network: str):
        from dreaming.model import load_model

        try:
            return load_model(self.weights, model=network)
        except DreamError:
            self.fatal = True
            raise


def _print_lists(args: argparse.Namespace) -> None:
    from dreaming import layers, presets

    if args.list_layers:
        for name, description in layers.describe_layers(args.model or layers.DEFAULT_MODEL):
            print(f"{name:24} {description}")
    if args.list_presets:
        for name, preset in presets.load_presets(*args.presets_file).items():
            print(f"{name:12} {preset.description}")


def _default_output(source: Path, animated: bool = False) -> Path:
    return source.with_name(source.stem + (".dream.webp" if animated else ".dream.png"))


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        print(f"dreaming: error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m dreaming", description="Dream images with DeepDream: photos, zoom animations, noise, guides.",
                epilog="Layer specs: mixed5 | mixed3:1,mixed5:1.5 | mixed4/97 (channel 97) | "
                       "GoogLeNet names such as mixed4c. Output format follows OUTPUT's extension.")
    p.add_argument("input", nargs="*", help="image files (PNG, JPEG, WebP, GIF, BMP) or folders of them")
    p.add_argument("-o", "--output", help="where to write (.png, .jpg, .webp; animations .webp, .gif, .mp4), "
                                          "default INPUT.dream.png (animations INPUT.dream.webp); "
                                          "with several inputs or a folder: the folder to write into")
    p.add_argument("--preset", help="named bundle of settings (default: classic); see --list-presets")
    p.add_argument("--layers", help="layer spec, e.g. mixed5 or mixed3:1,mixed5:1.5 or mixed4/97")
    p.add_argument("--octaves", help="number of scales (1-8)")
    p.add_argument("--octave-scale", dest="octave_scale", help="size ratio between octaves")
    p.add_argument("--steps", help="gradient steps per octave")
    p.add_argument("--step-size", dest="step_size", help="strength of each step")
    p.add_argument("--jitter", help="largest random shift per step, px")
    p.add_argument("--jitter-grid", dest="jitter_grid",
                   help="shifts are multiples of this, px (0 = the network's stride, default; 1 = any)")
    p.add_argument("--tile", help="tile side for gradients, px (bounds memory)")
    p.add_argument("--max-side", dest="max_side", help="scale the image to fit this side first, px")
    p.add_argument("--smoothing", help="gradient smoothing sigma, px (0 = off)")
    p.add_argument("--objective", help="l2 (mean of squared activations, default) or mean")
    p.add_argument("--precision", help="auto (bfloat16 where the hardware has it, default), "
                                       "float32 or bfloat16")
    p.add_argument("--seed", help="random seed; same input + settings + seed = same image")
    p.add_argument("--frames", help="make a zoom animation of this many frames (output .webp, .gif "
                                    "or .mp4); each zooms into the last and dreams it again")
    p.add_argument("--zoom", help="zoom per frame (default 1.05: 5%% closer each frame)")
    p.add_argument("--frame-octaves", dest="frame_octaves",
                   help="octaves of each frame after the first (default 2)")
    p.add_argument("--frame-steps", dest="frame_steps", help="steps of each frame after the first (default 6)")
    p.add_argument("--fps", help="frames per second of the animation (default 12)")
    p.add_argument("--from-noise", dest="from_noise", nargs="?", const="", metavar="WxH",
                   help="dream from seeded noise instead of a photo: of size WxH, or without a "
                        "size of each INPUT's size")
    p.add_argument("--guide", metavar="PATH",
                   help="a guide image: the dream grows toward its features at the chosen layers")
    p.add_argument("--model", choices=tuple(NETWORKS),
                   help="the network: inception_v3 (default) or vgg16 (layers conv3_1 ... conv5_3)")
    p.add_argument("--class", dest="target_class", metavar="CLASS",
                   help="dream of an ImageNet class (banana, 'Granny Smith', 954) instead of layers; "
                        "needs weights with the classifier head: --weights imagenet or an .h5 with the top")
    p.add_argument("--weights",
                   help="inception-2015 (inception_v3's default), imagenet (Keras download; vgg16's "
                        "default), or a .weights.h5 / .h5 path")
    p.add_argument("--presets-file", action="append", default=[], metavar="PATH",
                   help="extra presets YAML (may repeat); same names override built-ins")
    p.add_argument("--list-layers", action="store_true", help="list layers and aliases (of --model), then exit")
    p.add_argument("--list-presets", action="store_true", help="list presets, then exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


class _ProgressBar:
    """`octave 2/4  step 7/10  [#####.....]  45%  ETA 0:12` on stderr, redrawn at most 10x/s."""

    def __init__(self, enabled: bool, width: int = 24):
        self.enabled, self.width, self.last, self.drawn = enabled, width, 0.0, False

    def __call__(self, p) -> None:
        now = time.monotonic()
        interval = 0.1 if sys.stderr.isatty() else 2.0  # logs get a line every 2 s, not a flood
        if not self.enabled or (now - self.last < interval and p.done < 1):
            return
        self.last, self.drawn = now, True
        filled = int(p.done * self.width)
        eta = "--:--" if p.eta_s is None else f"{int(p.eta_s // 60)}:{int(p.eta_s % 60):02d}"
        frame = f"frame {p.frame}/{p.frames}  " if p.frames > 1 else ""
        line = (f"{frame}octave {p.octave}/{p.octaves}  step {p.step}/{p.steps}  "
                f"[{'#' * filled}{'.' * (self.width - filled)}] {p.done:4.0%}  ETA {eta}")
        end = "\r" if sys.stderr.isatty() else "\n"
        print(line, end=end, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.drawn and sys.stderr.isatty():
            print(file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
