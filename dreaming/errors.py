"""Every failure a user can cause or meet, as types that carry data.

Front ends turn these into words: the CLI prints `str(error)`, the bot maps the
types to its own replies. `str()` is always one line that says what to do.
"""
from __future__ import annotations


class DreamError(Exception):
    """Base of every expected failure; anything else is a bug."""


class BadImage(DreamError):
    """The input is not an image we can read (missing, empty, corrupt, wrong type)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"Can't read that image: {reason}. Try a PNG, JPEG, WebP, GIF or BMP file.")


class ImageTooLarge(DreamError):
    """The image (or its header's claim) is bigger than the pixel, side or byte limit."""

    def __init__(self, width: int | None = None, height: int | None = None,
                 limit_pixels: int | None = None, size_bytes: int | None = None,
                 limit_bytes: int | None = None, limit_side: int | None = None):
        self.width, self.height, self.limit_pixels = width, height, limit_pixels
        self.size_bytes, self.limit_bytes, self.limit_side = size_bytes, limit_bytes, limit_side
        super().__init__(f"Image too large: {self._what()}. Send a smaller image.")

    def _what(self) -> str:
        if self.limit_bytes is not None:
            return f"the file is over the {_size(self.limit_bytes)} limit"
        size = f"{self.width}x{self.height}" if self.width and self.height else "the image"
        if self.limit_side is not None:
            return f"{size} has a side over the limit of {self.limit_side} px"
        return f"{size} is over the limit of {(self.limit_pixels or 0) / 1e6:g} megapixels"


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n / 2**10:g} KiB"


class UnknownLayer(DreamError):
    """A layer name that is neither an InceptionV3 layer nor a known alias."""

    def __init__(self, layer: str, suggestion: str | None, valid: list[str]):
        self.layer, self.suggestion, self.valid = layer, suggestion, valid
        hint = f" Did you mean '{suggestion}'?" if suggestion else ""
        super().__init__(f"Unknown layer '{layer}'.{hint} Valid layers: {', '.join(valid)}.")


class UnknownPreset(DreamError):
    def __init__(self, preset: str, suggestion: str | None, valid: list[str]):
        self.preset, self.suggestion, self.valid = preset, suggestion, valid
        hint = f" Did you mean '{suggestion}'?" if suggestion else ""
        super().__init__(f"Unknown preset '{preset}'.{hint} Presets: {', '.join(valid)}.")


class BadParam(DreamError):
    """A setting that is malformed or out of its allowed range."""

    def __init__(self, name: str, value: object, reason: str):
        self.name, self.value, self.reason = name, value, reason
        super().__init__(f"Bad value for {name}: {value!r} ({reason}).")


class WeightsError(DreamError):
    """Model weights are missing, corrupt or cannot be fetched."""

    def __init__(self, reason: str, fix: str):
        self.reason, self.fix = reason, fix
        super().__init__(f"Model weights unavailable: {reason}. {fix}")


class Cancelled(DreamError):
    def __init__(self) -> None:
        super().__init__("The dream was cancelled.")


class UnknownOption(DreamError):
    """A request option (`key=value`) that does not exist."""

    def __init__(self, key: str, suggestion: str | None, valid: list[str]):
        self.key, self.suggestion, self.valid = key, suggestion, valid
        hint = f" Did you mean '{suggestion}'?" if suggestion else ""
        super().__init__(f"Unknown option '{key}'.{hint} Options: {', '.join(valid)}.")


# -- the worker pool's outcomes ------------------------------------------------

class QueueFull(DreamError):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"The queue is full ({limit} dreams waiting). Try again in a few minutes.")


class UserLimit(DreamError):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"You already have {limit} dream(s) waiting or running. "
                         "Wait for one to finish, or cancel one.")


class DreamTimeout(DreamError):
    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"The dream took longer than {seconds:g} s and was stopped. "
                         "Try a smaller size or fewer steps.")


class WorkerCrashed(DreamError):
    def __init__(self, reason: str, details: str | None = None):
        self.reason, self.details = reason, details  # details: the worker's traceback
        super().__init__(f"The dream worker failed ({reason}). Try again; "
                         "a smaller size needs less memory.")


class Interrupted(DreamError):
    """The pool shut down before the job finished (or was asked to take a job while closing)."""

    def __init__(self) -> None:
        super().__init__("Dreaming is restarting, so this dream was not finished. "
                         "Send it again in a minute.")
