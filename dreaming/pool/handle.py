"""`JobHandle`: the submitter's view of one job in the `DreamPool`, and the pool's lever on it.

Two sides, both public:
- the submitter reads `status`, `position`, `progress`, `started_at`, registers
  `on_progress` callbacks, awaits `result()` and may `cancel()`;
- the pool, which alone moves the job along, calls `mark_running()` once a worker took
  it, `report(progress)` for each step, and `settle(...)` exactly once at the end.

A handle knows no pool: it is given two callables, `position(job_id)` and
`cancel(job_id)`. It lives on the pool's event loop, where callbacks and `result()`
are served.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from dreaming.errors import DreamError
from dreaming.jobs import DreamJob, DreamResult, JobStatus, Progress

log = logging.getLogger(__name__)


class JobHandle:
    """One job's place, progress and outcome.

    Args:
        job: the job as submitted.
        position: returns the 1-based queue place of a job id, 0 when not waiting
            (e.g. `DreamPool.position`).
        cancel: cancels a job id, False if it was over already (e.g. `DreamPool.cancel`).

    Must be made on the running event loop.
    """

    def __init__(self, job: DreamJob, *, position: Callable[[str], int],
                 cancel: Callable[[str], bool]) -> None:
        self.job = job
        self.status = JobStatus.queued  #: `queued`, `running`, then one final status
        self.progress: Progress | None = None  #: latest progress, once running
        self.started_at: float | None = None  #: `time.monotonic()` when a worker took it
        self._position, self._cancel = position, cancel
        self._future: asyncio.Future[DreamResult] = asyncio.get_running_loop().create_future()
        # Mark the outcome as seen, so that an unread error is not logged as "never retrieved".
        self._future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._callbacks: list[Callable[[Progress], object]] = []
        self._on_running: list[Callable[[], object]] = []

    def __repr__(self) -> str:
        return f"<JobHandle {self.job_id} {self.status.value}>"

    # -- the submitter's side --

    @property
    def job_id(self) -> str:
        return self.job.job_id

    @property
    def position(self) -> int:
        """1-based place in the queue while waiting (1 = next); 0 once a worker took it."""
        return self._position(self.job_id)

    def on_progress(self, callback: Callable[[Progress], object]) -> None:
        """Call `callback(progress)` on the event loop for each progress message."""
        self._callbacks.append(callback)

    def on_running(self, callback: Callable[[], object]) -> None:
        """Call `callback()` on the event loop when a worker takes the job (at once if one has):
        the moment it can start costing, before it reports any progress."""
        if self.status is JobStatus.running:
            callback()
        else:
            self._on_running.append(callback)

    def done(self) -> bool:
        """Whether the job has its final status (and `result()` returns at once)."""
        return self._future.done()

    async def result(self) -> DreamResult:
        """Wait for the dream. Raises a `DreamError` subclass: `Cancelled`, `DreamTimeout`,
        `WorkerCrashed`, `Interrupted`, or the engine's own (`BadImage`, ...)."""
        return await asyncio.shield(self._future)

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` seconds (None: no limit) for the job to end, without its
        outcome; True if it has ended. Cancelling the wait leaves the job be."""
        if not self._future.done():
            await asyncio.wait([self._future], timeout=timeout)
        return self._future.done()

    def cancel(self) -> bool:
        """Cancel the job, queued or running; False if it had ended already."""
        return self._cancel(self.job_id)

    # -- the pool's side --

    def mark_running(self) -> None:
        """A worker took the job: status `running`, `started_at` now; `on_running` callbacks."""
        self.status, self.started_at = JobStatus.running, time.monotonic()
        for callback in self._on_running:
            try:
                callback()
            except Exception:
                log.exception("running callback of job %s failed", self.job_id)

    def report(self, progress: Progress) -> None:
        """Record `progress` and pass it to every callback; a failing callback is logged."""
        self.progress = progress
        for callback in self._callbacks:
            try:
                callback(progress)
            except Exception:
                log.exception("progress callback of job %s failed", self.job_id)

    def settle(self, *, result: DreamResult | None = None,
               error: DreamError | None = None) -> JobStatus:
        """End the job with `result` (status `done`) or `error` (`JobStatus.of_error`),
        and return the final status. Exactly once per job, with exactly one of the two."""
        if (result is None) == (error is None):
            raise ValueError("settle() takes a result or an error, not both or neither")
        if self._future.done():
            raise RuntimeError(f"job {self.job_id} was settled already")
        if error is None:
            self.status = JobStatus.done
            self._future.set_result(result)
        else:
            self.status = JobStatus.of_error(error)
            self._future.set_exception(error)
        return self.status
