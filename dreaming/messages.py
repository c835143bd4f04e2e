"""Every word the engine says to a person, in one place: `explain(error)`.

Errors carry data (`dreaming.errors`); this module turns them into one line that says
what to do. It is looked up by class name, walking the class's bases, so it needs no
import of the error classes (they ask it for their `str()`), and a front end that
wants other words (a translation, the bot's voice) swaps a function here.
"""
from __future__ import annotations

from collections.abc import Callable


#: longest echo of something a user typed: a 6,000-character name must not become a reply
#: longer than Discord takes, nor drown the line that says what to do
ECHO_CHARS = 40


def explain(error: BaseException, *, echo: Callable[[str], str] | None = None) -> str:
    """The one-line, user-facing text for a `DreamError` (or any exception).

    With `echo` (the bot: it escapes Discord markdown and mentions), what the user typed
    comes back cut to `ECHO_CHARS` and made safe for where the line is shown.
    """
    quote = _quoter(echo)
    for cls in type(error).__mro__:
        if (describe := _TEXTS.get(cls.__name__)) is not None:
            return describe(error, quote)
    return str(error.args[0]) if error.args else type(error).__name__


def short(text: object) -> str:
    """`text` as one line of at most `ECHO_CHARS` characters, with … where it was cut."""
    line = " ".join(str(text).split())
    return line if len(line) <= ECHO_CHARS else line[:ECHO_CHARS - 1] + "…"


def _quoter(echo: Callable[[str], str] | None) -> Callable[[object], str]:
    """Chat front ends pass `echo`: what the user typed is cut short, then made safe. Without
    it (the CLI, an operator's file paths at start-up) it is shown whole."""
    return (lambda value: echo(short(value))) if echo else str


def size_text(n: int) -> str:
    """Bytes as people read them: `8 MiB`, `512 KiB`."""
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n / 2**10:g} KiB"


def _too_large(e, q) -> str:
    if e.limit_bytes is not None:
        what = f"the file is over the {size_text(e.limit_bytes)} limit"
    else:
        size = f"{e.width}x{e.height}" if e.width and e.height else "the image"
        what = (f"{size} has a side over the limit of {e.limit_side} px" if e.limit_side is not None
                else f"{size} is over the limit of {(e.limit_pixels or 0) / 1e6:g} megapixels")
    return f"Image too large: {what}. Send a smaller image."


def _unknown(kind: str, listing: str) -> Callable:
    def text(e, q) -> str:
        hint = f" Did you mean '{e.suggestion}'?" if e.suggestion else ""
        return f"Unknown {kind} '{q(e.name)}'.{hint} {listing}: {', '.join(e.valid)}."
    return text


_TEXTS: dict[str, Callable] = {
    "BadImage": lambda e, q: (f"Can't read that image: {e.reason}. "
                           "Try a PNG, JPEG, WebP, GIF or BMP file."),
    "ImageTooLarge": _too_large,
    "UnknownLayer": _unknown("layer", "Valid layers"),
    "UnknownPreset": _unknown("preset", "Presets"),
    "UnknownOption": _unknown("option", "Options"),
    "UnknownClass": lambda e, q: (f"Unknown ImageNet class '{q(e.name)}'." + (f" Did you mean "
                               f"'{e.suggestion}'?" if e.suggestion else "") + " Give a class name "
                               "such as banana or granny_smith, or a number 0-999."),
    "NoClassifier": lambda e, q: (f"The class objective needs {e.model}'s classifier head, which the "
                               f"weights '{q(e.weights)}' don't have: use --weights imagenet on a host "
                               "with internet access, or a path to an .h5 file saved with the top."),
    "BadParam": lambda e, q: f"Bad value for {q(e.name)}: {q(repr(e.value))} ({e.reason}).",
    "WeightsError": lambda e, q: f"Model weights unavailable: {e.reason}. {e.fix}",
    "Cancelled": lambda e, q: "The dream was cancelled.",
    "QueueFull": lambda e, q: (f"The queue is full ({e.limit} {plural(e.limit, 'dream')} waiting). "
                            "Try again in a few minutes."),
    "UserLimit": lambda e, q: (f"You already have {e.limit} {plural(e.limit, 'dream')} waiting or "
                            "running. Wait for one to finish, or cancel one."),
    "DreamTimeout": lambda e, q: (f"The dream took longer than {e.seconds:g} s and was stopped. "
                               "Try a smaller size or fewer steps."),
    "WorkerCrashed": lambda e, q: (f"The dream worker failed ({e.reason}). Try again; "
                                "a smaller size needs less memory."),
    "Interrupted": lambda e, q: ("Dreaming is restarting, so this dream was not finished. "
                              "Send it again in a minute."),
    "Unavailable": lambda e, q: ("Dreaming is temporarily unavailable (the dream queue can't be "
                              "reached). Try again in a few minutes."),
    "TooMuchWork": lambda e, q: (f"That dream is too much work for this bot ({e.units:.3g} units; "
                              f"the limit is {e.limit:.3g}), even at the smallest size. "
                              "Use fewer steps or octaves."),
    "AnimationTooLong": lambda e, q: (f"That animation is too much work ({e.frames} frames, {e.units:.3g} "
                                   f"units; the limit is {e.limit:.3g}). Use fewer frames, fewer frame "
                                   "steps or a smaller size."),
}


def plural(count: int, word: str) -> str:
    """`dream` or `dreams`, as `count` needs."""
    return word if count == 1 else word + "s"


def padded(out_size: tuple[int, int], canvas: tuple[int, int], minimum: int) -> str:
    """The line that says a thin or tiny image was padded for the network, and why."""
    (height, width), (c_height, c_width) = out_size, canvas
    return (f"Padded: at this size the image is {width}x{height} px, under the network's "
            f"{minimum} px minimum, so it was dreamt on a mirrored {c_width}x{c_height} canvas "
            f"and cropped back to {width}x{height}.")
