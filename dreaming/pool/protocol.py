"""The messages between a `DreamPool` and its worker processes: the contract of the pipe.

One duplex pipe per worker carries these frozen dataclasses, pickled as they are; their
fields are plain picklable data (`DreamJob`, `Progress`, `DreamResult`, `PackedError`).

Parent -> worker:
- `RunJob(job)`: dream `job`. Sent only to a worker that is `idle`, so a worker has at
  most one job; it answers with exactly one final message for it (below).
- `CancelJob(job_id)`: stop that job between two engine steps; the final message is then
  `JobFailed` with `Cancelled`. A job the worker no longer runs is ignored.
- `Stop()`: take no further job; the worker exits once its current job has ended.
A worker logs and ignores any other message: only the parent can be wrong there.

Worker -> parent:
- `Ready()`: once, when the model is loaded; the first message of a healthy worker.
- `Fatal(error)`: instead of `Ready`, when the model cannot load; the worker then exits.
- `JobProgress(job_id, progress)`: while dreaming, at most every `PROGRESS_INTERVAL` s.
- then exactly one of, per `RunJob`:
  `JobDone(job_id, result)`: the dream;
  `JobFailed(job_id, error)`: a `DreamError` of the engine (`BadImage`, `UnknownLayer`,
  `Cancelled`...), the job's own fault; the worker stays warm;
  `JobCrashed(job_id, reason, details, exiting)`: any other exception, a bug or out of
  memory; `details` is the traceback, and `exiting` says the worker exits right after
  (its state is in doubt) instead of staying warm.
Any other object from a worker makes the parent kill it: it is no longer trustworthy.

Parent only (never on the pipe): `WorkerExited(exitcode)`, posted by the parent's reader
after the process has ended; it is the last message the pool receives of a worker.

Errors travel as `PackedError`: the `DreamError` classes take their own constructor
arguments, which plain exception pickling does not replay.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from dreaming.errors import DreamError
from dreaming.jobs import DreamJob, DreamResult, Progress

#: least time between two progress messages of one job; the bot edits even less often
PROGRESS_INTERVAL = 0.5


@dataclass(frozen=True)
class PackedError:
    """An exception as plain data; `unpack_error` rebuilds it without calling `__init__`."""

    module: str  #: the class's `__module__`
    qualname: str  #: the class's `__qualname__`
    args: tuple = ()  #: the exception's `args`
    state: dict[str, Any] = field(default_factory=dict)  #: its `vars()`: a DreamError's data


# -- parent -> worker --

@dataclass(frozen=True)
class RunJob:
    job: DreamJob


@dataclass(frozen=True)
class CancelJob:
    job_id: str


@dataclass(frozen=True)
class Stop:
    pass


# -- worker -> parent --

@dataclass(frozen=True)
class Ready:
    pass


@dataclass(frozen=True)
class Fatal:
    error: PackedError


@dataclass(frozen=True)
class JobProgress:
    job_id: str
    progress: Progress


@dataclass(frozen=True)
class JobDone:
    job_id: str
    result: DreamResult


@dataclass(frozen=True)
class JobFailed:
    job_id: str
    error: PackedError  #: always a packed `DreamError`


@dataclass(frozen=True)
class JobCrashed:
    job_id: str
    reason: str  #: one line: "out of memory", "internal error: TypeError"
    details: str  #: the worker's traceback, for the log
    exiting: bool  #: the worker exits after this message instead of staying warm


# -- parent only --

@dataclass(frozen=True)
class WorkerExited:
    exitcode: int | None  #: `Process.exitcode`: negative for a signal


#: what the parent may send (also an `isinstance` check)
ToWorker = RunJob | CancelJob | Stop
#: what a worker may send: the parent's reader lets nothing else through
FromWorker = Ready | Fatal | JobProgress | JobDone | JobFailed | JobCrashed
#: the final messages of a job: exactly one per `RunJob`
JobEnded = JobDone | JobFailed | JobCrashed


class WorkerState(str, Enum):
    """Where one worker process is, as the pool sees it; the messages above move it."""

    #: spawned, loading the model; takes no job until `Ready`
    starting = "starting"
    #: model warm, no job: the next `RunJob` may go to it
    idle = "idle"
    #: dreaming a job that is still wanted
    busy = "busy"
    #: told to drop its job (cancel, timeout); killed unless it ends it within the grace
    draining = "draining"
    #: will exit on its own (`Fatal`, or `JobCrashed` with `exiting`); waits for that
    dying = "dying"
    #: the process has ended (`WorkerExited`); a new one may take its slot
    dead = "dead"

    @property
    def warm(self) -> bool:
        """The process holds a loaded model and will go on taking jobs."""
        return self in (WorkerState.idle, WorkerState.busy, WorkerState.draining)


def pack_error(exc: BaseException) -> PackedError:
    """`exc` as plain data. Only `DreamError`s keep their fields; of anything else the
    message is enough."""
    cls = type(exc)
    if not isinstance(exc, DreamError):
        return PackedError(cls.__module__, cls.__qualname__, (str(exc),))
    return PackedError(cls.__module__, cls.__qualname__, exc.args, dict(vars(exc)))


def unpack_error(packed: PackedError) -> DreamError:
    """Rebuild a `pack_error` result; anything but a known DreamError becomes a DreamError.

    Only classes of modules this process has imported qualify: no caller can be waiting
    for any other type, and importing on demand could pull TensorFlow into the bot.
    """
    cls = getattr(sys.modules.get(packed.module), packed.qualname, None)
    if not (isinstance(cls, type) and issubclass(cls, DreamError)):
        return DreamError(f"{packed.qualname}: {packed.args[0] if packed.args else ''}")
    err = cls.__new__(cls)
    err.args = packed.args
    err.__dict__.update(packed.state)
    return err
