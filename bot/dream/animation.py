"""Zoom animations and dreams from noise, on the bot's side: the words that ask for them, what
they add to a job, and the reply's line on what the upload limit lowered.

- `!dream zoom` (or any of `frames`, `zoom`, `frame_octaves`, `frame_steps`) makes a zoom
  animation of `ZOOM_FRAMES` frames unless `frames=` says how many; `/dream-animate` is the
  slash command. The file is animated WebP (Discord plays it inline, at a quarter of a GIF's
  size), or GIF or MP4 with `format=`.
- `!dream noise` (or `/dream noise:True`) dreams from seeded noise instead of an image, a
  `NOISE_SIDE` square unless `size=` says otherwise; the `neuron` and `insects` presets are
  made for it.
- An animation is dreamt at `ANIMATION_SIDE` px unless `size=` asks for more: its frames add
  up (work and bytes), and the server's upload limit would shrink a bigger one anyway.

The worker encodes the animation within the upload limit (`dreaming.pool.execute`); what it
had to lower comes back with it, and `lowered_line` puts it in one line.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dreaming.cost import frame_work
from dreaming.errors import BadParam
from dreaming.images.animation import ANIMATION_FORMATS, Lowered
from dreaming.jobs import DreamResult
from dreaming.params import DreamParams

from bot.i18n import t

#: frames of `!dream zoom` when no count is given: two seconds at 12 frames a second
ZOOM_FRAMES = 24
#: longest side of an animation when the member names no size
ANIMATION_SIDE = 512
#: side of the square a dream from noise starts from, when the member names no size
NOISE_SIDE = 512
#: file formats of an animation, the first the default
FORMATS = ("webp", *(fmt for fmt in dict.fromkeys(ANIMATION_FORMATS.values()) if fmt != "webp"))
#: option words that only make sense in an animation: any of them asks for one
ANIMATION_OPTIONS = ("frames", "zoom", "frame_octaves", "frame_steps")
#: words `!dream` takes on their own: `!dream zoom`, `!dream noise`
BARE_WORDS = ("zoom", "noise")
#: the bot's own `!dream` keys, beside the engine's options
FORM_OPTIONS = ("noise", "format")
#: what a bare word's option holds
ON = "on"
#: the keys a stored job keeps its form under, beside its settings (`Store.add_job`)
_STORED_NOISE, _STORED_FORMAT = "from_noise", "animation_format"
#: an animation format's file extension
_EXTENSIONS = {fmt: ext for ext, fmt in ANIMATION_FORMATS.items()}


@dataclass(frozen=True)
class DreamForm:
    """What a request asks for beyond its settings: where the dream starts, and the file an
    animation becomes."""

    noise: bool = False  #: dream from seeded noise, with no image
    fmt: str = FORMATS[0]  #: an animation's file format

    def words(self, params: DreamParams) -> list[str]:
        """Its words in a result's settings line, so that pasting the line back (or Reroll and
        Tweak, which read it) asks for the same form: `noise=on`, an animation's `format=gif`."""
        words = [f"noise={ON}"] if self.noise else []
        if params.frames > 1 and self.fmt != FORMATS[0]:
            words.append(f"format={self.fmt}")
        return words

    def stored(self) -> dict[str, object]:
        """The keys a stored job keeps beside its settings, so a restart dreams it the same."""
        return {_STORED_NOISE: self.noise, _STORED_FORMAT: self.fmt}

    @classmethod
    def of_stored(cls, settings: Mapping[str, object]) -> DreamForm:
        """A stored job's form (`stored`); a dream of its image, as WebP, where none was kept."""
        fmt = settings.get(_STORED_FORMAT)
        return cls(noise=settings.get(_STORED_NOISE) is True, fmt=fmt if fmt in FORMATS else FORMATS[0])

    def job_fields(self, image_size: tuple[int, int], params: DreamParams, upload_limit: int) -> dict[str, object]:
        """What this form adds to the `DreamJob` of an image of `image_size` (the noise's, for
        a dream from noise): the noise to start from, the animation's format and byte limit,
        and its timeout's scale."""
        return dict(noise=image_size if self.noise else None, animation_format=self.fmt,
                    upload_limit=upload_limit, timeout_scale=timeout_scale(image_size, params))


def split_form(options: Mapping[str, object]) -> tuple[dict[str, object], DreamForm]:
    """The engine's options and the `DreamForm` of a request's options (`!dream`'s words or a
    slash command's). Any animation option without `frames` makes `ZOOM_FRAMES` frames."""
    rest = dict(options)
    noise, fmt = rest.pop("noise", None), rest.pop("format", None)
    if rest.get("zoom") == ON:  # `!dream zoom`: an animation at the default zoom
        del rest["zoom"]
        rest.setdefault("frames", ZOOM_FRAMES)
    if any(key in rest for key in ANIMATION_OPTIONS):
        rest.setdefault("frames", ZOOM_FRAMES)
    return rest, DreamForm(noise=_switch(noise), fmt=_format(fmt))


def sized(params: DreamParams, options: Mapping[str, object], form: DreamForm) -> DreamParams:
    """`params` at the default size of an animation or a dream from noise, where the member
    named no size (a smaller cap still wins)."""
    if "size" in options or (params.frames == 1 and not form.noise):
        return params
    side = NOISE_SIDE if params.frames == 1 else ANIMATION_SIDE
    return params.replace(max_side=min(params.max_side, side))


def noise_size(params: DreamParams) -> tuple[int, int]:
    """(height, width) of the noise a dream from noise starts from: a square of its size."""
    return params.max_side, params.max_side


def timeout_scale(image_size: tuple[int, int], params: DreamParams) -> float:
    """How many single dreams' time a job may take: its work over its first frame's."""
    costs = frame_work(image_size, params)
    return sum(costs) / costs[0] if costs[0] > 0 else 1.0


def encoded(result: DreamResult) -> tuple[bytes, str] | None:
    """An animation's file as its worker encoded it, and its extension; None for a still."""
    if result.animation is None:
        return None
    return result.animation.data, _EXTENSIONS[result.animation.fmt]


def lowered_line(result: DreamResult) -> str | None:
    """`Lowered to fit this server's upload limit: size 512x512→300x300, quality 80→50.`, or
    None when the animation fit as dreamt (or the result is a still)."""
    if result.animation is None or not result.animation.lowered:
        return None
    return t("animation_lowered", shown=", ".join(_shown(low) for low in result.animation.lowered))


def _shown(low: Lowered) -> str:
    return f"{t('lowered_' + low.name)} {low.before}→{low.after}"


def _switch(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    word = str(value).strip().lower()
    if word in (ON, "true", "yes", "1"):
        return True
    if word in ("off", "false", "no", "0"):
        return False
    raise BadParam("noise", value, "write noise, or noise=on / noise=off")


def _format(value: object) -> str:
    if value is None:
        return FORMATS[0]
    word = str(value).strip().lower().lstrip(".")
    if word not in FORMATS:
        raise BadParam("format", value, "use " + ", ".join(FORMATS))
    return word
