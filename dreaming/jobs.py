"""Plain, picklable records that cross process boundaries: jobs, progress and results."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np

from dreaming.errors import (Cancelled, DreamError, DreamTimeout, Interrupted, QueueFull, Unavailable,
                             UserLimit, WorkerCrashed)
from dreaming.params import DreamParams

if TYPE_CHECKING:  # only annotated here: results carry one, unpickled where Pillow is loaded anyway
    from dreaming.images.animation import FittedAnimation


@dataclass(frozen=True)
class Progress:
    """Where a running dream is. Sent after every gradient step."""

    octave: int  #: 1-based, within the frame
    octaves: int
    step: int  #: 1-based within the octave
    steps: int
    done: float  #: fraction of all work done (all frames), 0..1, weighted by each step's estimated work (dreaming.cost)
    eta_s: float | None  #: seconds left, once it can be estimated
    loss: float  #: objective value at this step
    frame: int = 1  #: 1-based frame of an animation (a still image is frame 1 of 1)
    frames: int = 1


#: what `dream` and `animate` call with each `Progress`
ProgressFn = Callable[[Progress], None]


@dataclass(frozen=True)
class DreamResult:
    """A finished dream: the image and the exact settings that made it (seed included)."""

    image: np.ndarray  #: uint8 HxWx3 RGB, same size as the input to `dream`
    params: DreamParams
    losses: tuple[float, ...] = field(default=())  #: objective at every step, in order
    seconds: float = 0.0
    #: an animation's frames in order, each like `image` (which is the first); () for a still
    frames: tuple[np.ndarray, ...] = field(default=())
    #: an animation as a pool's worker returns it: encoded within the job's `upload_limit`
    #: (its raw frames, 75 MB for 24 frames of 1024 px, never cross the pipe); None for a still
    animation: FittedAnimation | None = None


class JobStatus(str, Enum):
    """Where a job is, and how it ended: the one vocabulary of the pool, the store, the
    metrics and the replies. `queued` and `running` are live; every other member is final."""

    #: waiting in the fair queue for a free worker
    queued = "queued"
    #: a worker is dreaming it
    running = "running"
    #: kept by a graceful shutdown (a deploy); it runs again at the next start, uncounted
    paused = "paused"
    #: finished; the result holds the image
    done = "done"
    #: cancelled by the user (or a moderator), while queued or while running
    cancelled = "cancelled"
    #: ran longer than the pool's job timeout
    timed_out = "timed_out"
    #: the worker process died or raised a bug while dreaming it
    crashed = "crashed"
    #: the pool or the bot shut down (or restarted too often) before it finished
    interrupted = "interrupted"
    #: turned away at once: the queue or the user's allowance was full, or the queue unreachable
    busy = "busy"
    #: the request itself was bad (image, layer, value) or a server rule refused it
    refused = "refused"
    #: anything else: a failure on our side (Discord errors, bugs)
    failed = "failed"

    @property
    def final(self) -> bool:
        return self not in (JobStatus.queued, JobStatus.running, JobStatus.paused)

    @classmethod
    def of_error(cls, error: BaseException) -> JobStatus:
        """The final status of a job that ended with `error`."""
        for kind, status in _STATUS_OF_ERROR:
            if isinstance(error, kind):
                return status
        return cls.refused if isinstance(error, DreamError) else cls.failed


_STATUS_OF_ERROR = (
    (Cancelled, JobStatus.cancelled), (DreamTimeout, JobStatus.timed_out),
    (WorkerCrashed, JobStatus.crashed), (Interrupted, JobStatus.interrupted),
    ((QueueFull, UserLimit, Unavailable), JobStatus.busy),
)
#: the live statuses and the final ones, as the store's SQL lists them
LIVE = tuple(s.value for s in JobStatus if not s.final)
FINAL = tuple(s.value for s in JobStatus if s.final)


@dataclass(frozen=True)
class DreamJob:
    """One request for a dream, as it crosses to a worker process.

    The image stays as uploaded (compressed bytes): it is small to hold while the job
    waits, and only the worker decodes it, so a bad file fails there with `BadImage`.
    """

    job_id: str  #: unique while the job is known to the pool
    user_id: str | int  #: whose job it is: fairness and per-user limits go by this
    image: bytes  #: the file as uploaded (PNG, JPEG, ...)
    params: DreamParams
    created_at: float = field(default_factory=time.time)  #: wall-clock seconds (time.time)
    max_pixels: int = 40_000_000  #: decoded-size limit the submitter checked against (bomb guard)
    #: estimated units of work (`dreaming.cost.estimate`): fair turns, the line's estimates
    #: and the metrics count by it; 1 where the submitter did not estimate it
    work: float = 1.0
    #: (height, width) of the seeded noise (`dreaming.images.noise_image`, the params' seed)
    #: to dream from instead of `image`, which is then empty
    noise: tuple[int, int] | None = None
    #: an animation's file format (webp, gif or mp4), and the most bytes it may take (a
    #: Discord server's upload limit): the worker encodes it to fit, lowering what it must
    animation_format: str = "webp"
    upload_limit: int | None = None
    #: how many single dreams' time the job may take (the pool's `job_timeout` is for one):
    #: an animation's work over its first frame's, so the timeout grows with its frames
    timeout_scale: float = 1.0
    #: a guide image as uploaded (`dreaming/guide.py`): the dream's features are steered
    #: toward its features; None for a plain dream
    guide: bytes | None = None

    @property
    def upload_bytes(self) -> int:
        """Bytes of uploaded files the job carries (image and guide): what a byte limit counts."""
        return len(self.image) + len(self.guide or b"")

    def timeout(self, job_timeout: float) -> float:
        """Seconds this job may run, for a pool whose timeout for one dream is `job_timeout`."""
        return job_timeout * max(1.0, self.timeout_scale)
