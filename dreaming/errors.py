"""Every failure a user can cause or meet, as types that carry data, not prose.

The words live in `dreaming.messages` (one place, where localisation plugs in);
`str(error)` asks it, so every front end, log line and test reads the same
one-line text that says what to do. Front ends with their own voice (the bot)
map the types to their replies instead.
"""
from __future__ import annotations

from dreaming import messages


class DreamError(Exception):
    """Base of every expected failure; anything else is a bug."""

    def __str__(self) -> str:
        return messages.explain(self)


class BadImage(DreamError):
    """The input is not an image we can read (missing, empty, corrupt, wrong type)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class ImageTooLarge(DreamError):
    """The image (or its header's claim) is bigger than the pixel, side or byte limit."""

    def __init__(self, width: int | None = None, height: int | None = None,
                 limit_pixels: int | None = None, size_bytes: int | None = None,
                 limit_bytes: int | None = None, limit_side: int | None = None):
        self.width, self.height, self.limit_pixels = width, height, limit_pixels
        self.size_bytes, self.limit_bytes, self.limit_side = size_bytes, limit_bytes, limit_side
        super().__init__(width, height, limit_pixels, size_bytes, limit_bytes, limit_side)


class UnknownName(DreamError):
    """A name (layer, preset, option) that doesn't exist; `suggestion` is the nearest valid one."""

    def __init__(self, name: str, suggestion: str | None, valid: list[str]):
        self.name, self.suggestion, self.valid = name, suggestion, valid
        super().__init__(name, suggestion, valid)


class UnknownLayer(UnknownName):
    """A layer name that is neither an InceptionV3 layer nor a known alias."""

    @property
    def layer(self) -> str:
        return self.name


class UnknownClass(UnknownName):
    """An ImageNet class name that doesn't exist (`valid` is left empty: 1000 names)."""


class NoClassifier(DreamError):
    """The class objective asked of weights without the classifier head (`model`, `weights`)."""

    def __init__(self, model: str, weights: str):
        self.model, self.weights = model, weights
        super().__init__(model, weights)


class UnknownPreset(UnknownName):
    @property
    def preset(self) -> str:
        return self.name


class UnknownOption(UnknownName):
    """A request option (`key=value`) that does not exist."""

    @property
    def key(self) -> str:
        return self.name


class BadParam(DreamError):
    """A setting that is malformed or out of its allowed range."""

    def __init__(self, name: str, value: object, reason: str):
        self.name, self.value, self.reason = name, value, reason
        super().__init__(name, value, reason)


class WeightsError(DreamError):
    """Model weights are missing, corrupt or cannot be fetched (an operator's problem)."""

    def __init__(self, reason: str, fix: str):
        self.reason, self.fix = reason, fix
        super().__init__(reason, fix)


class Cancelled(DreamError):
    """The user (or a moderator) stopped the dream."""


# -- the worker pool's outcomes ------------------------------------------------

class QueueFull(DreamError):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(limit)


class UserLimit(DreamError):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(limit)


class DreamTimeout(DreamError):
    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(seconds)


class WorkerCrashed(DreamError):
    def __init__(self, reason: str, details: str | None = None):
        self.reason, self.details = reason, details  # details: the worker's traceback
        super().__init__(reason, details)


class Interrupted(DreamError):
    """The pool shut down before the job finished (or was asked to take a job while closing)."""


class Unavailable(DreamError):
    """The pool's shared queue (Redis) cannot be reached just now; nothing was queued."""


class TooMuchWork(DreamError):
    """A dream over the work bound (`dreaming.cost.bound`) even at the smallest size."""

    def __init__(self, units: float, limit: float):
        self.units, self.limit = units, limit
        super().__init__(units, limit)


class AnimationTooLong(TooMuchWork):
    """An animation whose frames add up to more work than the bound allows."""

    def __init__(self, units: float, limit: float, frames: int):
        self.frames = frames
        super().__init__(units, limit)
        self.args = (units, limit, frames)
