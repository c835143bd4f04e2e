"""What every pool backend decides the same way: who may queue, in which order (turns across
users weighted by each job's estimated work, `DreamJob.work`), the work ahead of a job, places
held while a request gets ready, and the one place a job ends.

`FairAdmission` is the base of `DreamPool` (local worker processes) and `RedisPool` (workers
anywhere); they add how a queued job reaches a worker. The bounds are attributes of the
pool (`max_queue`, `per_user`), read at every call, so an operator's change applies at once.
"""
from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Iterator

from dreaming.errors import Cancelled, DreamError, Interrupted, QueueFull, UserLimit
from dreaming.jobs import DreamJob, DreamResult, JobStatus
from dreaming.pool.fair_queue import FairQueue
from dreaming.pool.handle import JobHandle

log = logging.getLogger(__name__)


class FairAdmission:
    """The fair queue, the bounds and the outcome counts of a pool."""

    max_queue: int  #: most jobs waiting for a worker
    per_user: int  #: most jobs one user may have waiting or running

    def __init__(self) -> None:
        self._queue: FairQueue[JobHandle] = FairQueue()
        self._jobs: dict[str, JobHandle] = {}  # live handles, by job id
        self._reserved = 0  # places held by requests still getting ready (`place()`)
        self._closing = False
        self._outcomes: Counter[str] = Counter()

    @contextlib.contextmanager
    def place(self) -> Iterator[None]:
        """Hold a place in the queue while a request gets ready (downloads and checks its
        image), then `submit` inside the block. A busy pool refuses here, at once, before
        anything is downloaded: `QueueFull`, or why the pool takes nothing now.

        Places count against `max_queue` as waiting jobs do, less the workers free now.
        """
        self._check_open()
        if len(self._queue) + self._reserved - self._free_workers() >= self.max_queue:
            raise QueueFull(self.max_queue)
        self._reserved += 1
        try:
            yield
        finally:
            self._reserved -= 1

    def position(self, job_id: str) -> int:
        """1-based place of a waiting job in the running order (1 = next); 0 for a job
        that is not waiting (running, ended, or never here)."""
        return self._queue.position(job_id) or 0

    def work_ahead(self, job_id: str) -> float:
        """Estimated units of work before the job `job_id` can start: the waiting jobs ahead
        of it in the running order, and what is left of the jobs the workers hold."""
        held = sum(h.job.work * (1 - (h.progress.done if h.progress else 0.0))
                   for h in self._jobs.values() if h.job_id != job_id and h.job_id not in self._queue)
        return self._queue.work_ahead(job_id) + held

    def _line_up(self, handle: JobHandle) -> None:
        """Put an admitted job in the fair queue, weighted by its estimated work."""
        self._queue.push(handle.job_id, handle.job.user_id, handle, work=handle.job.work)

    def _free_workers(self) -> int:
        """Workers that would take a job now, without it waiting."""
        raise NotImplementedError

    def _check_open(self) -> None:
        """Raise why the pool takes no job now (`Interrupted` while it closes)."""
        if self._closing:
            raise Interrupted()

    def _admit(self, job: DreamJob, *, queue_bound: bool = True) -> JobHandle:
        """Check `job` against the bounds and give it a handle (not queued yet). Raises
        `UserLimit` (first: the more useful answer to that user), then `QueueFull`."""
        self._check_open()
        if job.job_id in self._jobs:
            raise ValueError(f"job id {job.job_id!r} is already in the pool")
        if sum(h.job.user_id == job.user_id for h in self._jobs.values()) >= self.per_user:
            raise UserLimit(self.per_user)
        if queue_bound and len(self._queue) >= self.max_queue:
            raise QueueFull(self.max_queue)
        handle = JobHandle(job, position=self.position, cancel=self.cancel)
        self._jobs[job.job_id] = handle
        return handle

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job, wherever it runs; False if the pool doesn't hold
        it (any more). The member's answer is at once; the worker is told to stop."""
        handle = self._jobs.get(job_id)
        if handle is None:
            return False
        self._queue.remove(job_id)
        self._finish(handle, error=Cancelled())
        self._stop_running(job_id)
        return True

    def _stop_running(self, job_id: str) -> None:
        """Tell the worker dreaming `job_id` (if one is) to drop it."""

    def _finish(self, handle: JobHandle, *, result: DreamResult | None = None,
                error: DreamError | None = None) -> None:
        raise NotImplementedError

    def _settle(self, handle: JobHandle, result: DreamResult | None, error: DreamError | None) -> JobStatus:
        """The job leaves the pool: its handle settled, its outcome counted and logged once."""
        self._jobs.pop(handle.job_id, None)
        status = handle.settle(result=result, error=error)
        self._outcomes[status.value] += 1
        ran = time.monotonic() - handle.started_at if handle.started_at else 0.0
        log.info("job %s of user %s: %s after %.1fs running%s", handle.job_id, handle.job.user_id,
                 status.value, ran, f" ({error})" if error else "")
        return status
