"""Plain, picklable records that cross process boundaries: jobs, progress and results."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from dreaming.params import DreamParams


@dataclass(frozen=True)
class Progress:
    """Where a running dream is. Sent after every gradient step."""

    octave: int  #: 1-based
    octaves: int
    step: int  #: 1-based within the octave
    steps: int
    done: float  #: fraction of all work done, 0..1, weighted by pixels
    eta_s: float | None  #: seconds left, once it can be estimated
    loss: float  #: objective value at this step


@dataclass(frozen=True)
class DreamResult:
    """A finished dream: the image and the exact settings that made it (seed included)."""

    image: np.ndarray  #: uint8 HxWx3 RGB, same size as the input to `dream`
    params: DreamParams
    losses: tuple[float, ...] = field(default=())  #: objective at every step, in order
    seconds: float = 0.0


class JobStatus(str, Enum):
    """Where a job is in the pool. The last four are final."""

    #: waiting in the fair queue for a free worker
    queued = "queued"
    #: a worker is dreaming it
    running = "running"
    #: finished; the result holds the image
    done = "done"
    #: ended with an error (bad image, unknown layer, worker crash, pool shut down)
    failed = "failed"
    #: cancelled by the user, while queued or while running
    cancelled = "cancelled"
    #: ran longer than the pool's job timeout
    timed_out = "timed_out"


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
