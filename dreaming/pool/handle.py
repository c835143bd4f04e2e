"""`JobHandle`: the submitter's view of one job in the `DreamPool`.

It lives on the pool's event loop: progress callbacks and `result()` are served there.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Callable

from dreaming.errors import DreamError
from dreaming.jobs import DreamJob, DreamResult, JobStatus, Progress

if TYPE_CHECKING:
    from dreaming.pool.pool import DreamPool

log = logging.getLogger(__name__)


class JobHandle:
    """The submitter's view of one job: its place, its progress, its outcome."""

    def __init__(self, job: DreamJob, pool: "DreamPool") -> None:
        self.job = job
        self.status = JobStatus.queued
        self.progress: Progress | None = None  #: latest progress, once running
        self.started_at: float | None = None  #: `time.monotonic()` when a worker took it
        self._pool = pool
        self._future: asyncio.Future = asyncio.get_running_loop().create_future()
        # Mark the outcome as seen, so that an unread error is not logged as "never retrieved".
        self._future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._callbacks: list[Callable[[Progress], object]] = []

    @property
    def job_id(self) -> str:
        return self.job.job_id

    @property
    def position(self) -> int:
        """1-based place in the queue while waiting (1 = next); 0 once a worker took it."""
        return self._pool._queue.position(self.job_id) or 0

    def on_progress(self, callback: Callable[[Progress], object]) -> None:
        """Call `callback(progress)` on the event loop for each progress message."""
        self._callbacks.append(callback)

    def done(self) -> bool:
        return self._future.done()

    async def result(self) -> DreamResult:
        """Wait for the dream. Raises a `DreamError` subclass: `Cancelled`, `DreamTimeout`,
        `WorkerCrashed`, `Interrupted`, or the engine's own (`BadImage`, ...)."""
        return await asyncio.shield(self._future)

    def cancel(self) -> bool:
        return self._pool.cancel(self.job_id)

    def _report(self, progress: Progress) -> None:
        self.progress = progress
        for callback in self._callbacks:
            try:
                callback(progress)
            except Exception:
                log.exception("progress callback of job %s failed", self.job_id)

    def _finish(self, status: JobStatus, result: DreamResult | None,
                error: DreamError | None) -> None:
        self.status = status
        if error is None:
            self._future.set_result(result)
        else:
            self._future.set_exception(error)
