"""A bounded, fair pool of warm worker processes that dream for an asyncio program.

The interface is narrow on purpose, so that a later backend (arq, Celery, Ray) can
stand in: `submit(job) -> JobHandle` (position, progress, `result()`), `cancel(job_id)`,
`close()`, `stats()`. Nothing here imports TensorFlow; only the workers do.

Every job ends with one final `JobStatus`, sorted by `JobStatus.of_error` from how it
ended: `done` with a result; `refused` for the request's own fault (`BadImage`,
`UnknownLayer`...); `crashed` (`WorkerCrashed`) when its worker died or hit a bug;
`cancelled`, `timed_out` (`DreamTimeout`), or `interrupted` (`Interrupted`) by `close()`.
`stats().outcomes` counts them by status value.

Policies, chosen once here:
- A job whose worker dies (crash, out of memory, kill -9) ends `crashed` and is not
  retried: what killed one worker (most often memory) would likely kill the
  next, and the user is told at once and can send it again. The worker is restarted.
- `job_timeout` counts from the moment a worker takes the job, not the time queued. It is
  the time of one dream: an animation gets it times its `DreamJob.timeout_scale`.
- Cancel and timeout answer the handle at once. The worker is told to stop (the engine
  checks between steps) and keeps its warm model; it is killed and restarted only if
  it has not stopped within `cancel_grace` seconds.
- `per_user` bounds a user's queued plus running jobs; `max_queue` bounds waiting jobs.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import socket
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from dreaming.errors import (
    DreamError, DreamTimeout, Interrupted, WorkerCrashed,
)
from dreaming.jobs import DreamJob, DreamResult
from dreaming.pool.admission import FairAdmission
from dreaming.pool.handle import JobHandle
from dreaming.pool.process import Message, WorkerProcess, visible_gpus
from dreaming.pool.protocol import (
    Fatal, JobCrashed, JobDone, JobEnded, JobFailed, JobProgress, Ready, WorkerExited, WorkerState,
    unpack_error,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PoolStats:
    """The pool's figures at one moment, from one `DreamPool.stats()` call."""

    workers: int  #: worker processes configured
    alive: int  #: workers with a warm model (idle, busy or stopping a job)
    idle: int  #: workers with a warm model and no job: the next job starts at once
    busy: int  #: workers dreaming a job that is still wanted
    queued: int  #: jobs waiting for a worker
    restarts: int  #: worker processes started again after one ended
    outcomes: dict[str, int]  #: finished jobs by final `JobStatus` value
    backend: str = "local"  #: which pool: "local" (processes here) or "redis" (workers anywhere)
    hosts: dict[str, int] = field(default_factory=dict)  #: workers alive, by host name

    @property
    def settled(self) -> bool:
        """Nothing queued or running, and every worker idle and warm (none still stopping
        a cancelled job, none starting): a new job would start at once."""
        return self.busy == 0 and self.queued == 0 and self.idle == self.workers


class DreamPool(FairAdmission):
    """N worker processes, each keeping a model warm, fed from a bounded fair queue.

    Args (keyword-only):
        workers: number of processes; "auto" = one per visible GPU, else 1.
        max_queue: most jobs waiting for a worker; more raise `QueueFull` at once.
        per_user: most jobs one user may have waiting or running; more raise `UserLimit`.
        job_timeout: seconds a job may run before it fails with `DreamTimeout`.
        weights: passed to the workers' `load_model`.
        start_method: multiprocessing start method; "spawn" keeps TensorFlow out of
            the parent and works the same on every OS.
        cancel_grace: seconds a cancelled or timed-out job may take to stop before its
            worker is killed and restarted.

    Use from one event loop: `await start()`, `submit()`, `cancel()`, `await close()`.
    Jobs submitted before `start()` wait in the queue. `repr()` shows `stats()`.
    """

    backend = "local"  #: `PoolStats.backend`

    def __init__(self, *, workers: int | Literal["auto"] = "auto", max_queue: int = 20,
                 per_user: int = 2, job_timeout: float = 300.0,
                 weights: str = "inception-2015", start_method: str = "spawn",
                 cancel_grace: float = 10.0) -> None:
        super().__init__()
        self._gpus = visible_gpus()
        self.size = max(1, len(self._gpus)) if workers == "auto" else int(workers)
        if self.size < 1:
            raise ValueError(f"workers must be at least 1, not {workers!r}")
        self.max_queue, self.per_user, self.job_timeout = max_queue, per_user, job_timeout
        self.weights, self.cancel_grace = weights, cancel_grace
        self._ctx = multiprocessing.get_context(start_method)
        self._workers: dict[int, WorkerProcess] = {}  # by slot
        self._timers: dict[int, asyncio.TimerHandle] = {}  # by slot: job timeout or kill
        self._respawns: dict[int, asyncio.TimerHandle] = {}
        self._failures: Counter[int] = Counter()  # by slot: deaths before becoming ready
        self._started: asyncio.Future | None = None
        self._restarts = 0

    def __repr__(self) -> str:
        return f"<DreamPool {self.stats()}>"

    async def start(self) -> None:
        """Start the workers and wait until every one has loaded its model.

        Raises the workers' load error (e.g. `WeightsError`), after stopping them all.
        """
        if self._started is not None:
            raise RuntimeError("DreamPool.start() was already called")
        self._started = asyncio.get_running_loop().create_future()
        for slot in range(self.size):
            self._spawn(slot)
        try:
            await self._started
        except BaseException:
            await self.close(grace=0)
            raise
        # Each worker logs what its framework really computes on; here, only the slots given.
        log.info("dream pool started: %d worker(s)%s", self.size,
                 f" for CUDA_VISIBLE_DEVICES {','.join(self._gpus)}" if self._gpus else "")

    def submit(self, job: DreamJob) -> JobHandle:
        """Queue `job` and return its handle at once; never waits.

        Raises `QueueFull`, `UserLimit`, or `Interrupted` when the pool is closing.
        """
        handle = self._admit(job)
        self._line_up(handle)
        self._dispatch()
        return handle

    def _free_workers(self) -> int:
        return sum(w.state is WorkerState.idle for w in self._workers.values())

    def _stop_running(self, job_id: str) -> None:
        for worker in self._workers.values():
            if worker.job_id == job_id and worker.state is WorkerState.busy:
                self._stop_job(worker)

    async def close(self, grace: float = 30.0) -> None:
        """Stop taking jobs, give running ones `grace` seconds, then interrupt them and
        stop the workers. Queued jobs fail with `Interrupted` at once."""
        self._closing = True
        if self._started is not None:
            _settle(self._started, Interrupted())  # a start() still waiting gives up
        for handle in self._queue.drain():
            self._finish(handle, error=Interrupted())
        if self._jobs and grace > 0:
            await asyncio.gather(*(h.wait(grace) for h in self._jobs.values()))
        for handle in list(self._jobs.values()):
            self._finish(handle, error=Interrupted())
        for timer in [*self._respawns.values(), *self._timers.values()]:
            timer.cancel()
        workers = list(self._workers.values())
        for worker in workers:
            worker.stop()
        if workers:
            await asyncio.wait([w.exited for w in workers], timeout=self.cancel_grace)
            for worker in workers:
                worker.kill()
            await asyncio.wait([w.exited for w in workers])
        log.info("dream pool closed: %s", self.stats())

    def stats(self) -> PoolStats:
        states = Counter(w.state for w in self._workers.values())
        alive = sum(n for s, n in states.items() if s.warm)
        hosts = {socket.gethostname(): alive} if alive else {}
        return PoolStats(workers=self.size, alive=alive,
                         idle=states[WorkerState.idle], busy=states[WorkerState.busy],
                         queued=len(self._queue), restarts=self._restarts,
                         outcomes=dict(self._outcomes), backend=self.backend, hosts=hosts)

    # -- worker events, all on the event loop --

    def _spawn(self, slot: int) -> None:
        self._respawns.pop(slot, None)
        gpu = self._gpus[slot % len(self._gpus)] if self._gpus else None
        self._workers[slot] = WorkerProcess(slot, ctx=self._ctx, weights=self.weights, gpu=gpu,
                                            on_message=self._on_message)

    def _on_message(self, worker: WorkerProcess, msg: Message) -> None:
        match msg:
            case Ready():
                self._worker_ready(worker)
            case Fatal(error=error):
                self._worker_failed(worker, unpack_error(error))
            case JobProgress(job_id=job_id, progress=progress) if job_id == worker.job_id:
                if (handle := self._jobs.get(job_id)) is not None:
                    handle.report(progress)
            case JobDone() | JobFailed() | JobCrashed() if msg.job_id == worker.job_id:
                self._job_ended(worker, msg)
            case WorkerExited():
                self._worker_exited(worker)
        self._dispatch()

    def _worker_ready(self, worker: WorkerProcess) -> None:
        worker.state = WorkerState.idle
        self._failures[worker.slot] = 0
        if self._started and all(w.state is not WorkerState.starting
                                 for w in self._workers.values()):
            _settle(self._started, None)

    def _worker_failed(self, worker: WorkerProcess, error: DreamError) -> None:
        log.error("worker %d could not start: %s", worker.slot, error)
        worker.state = WorkerState.dying
        self._failures[worker.slot] += 1
        if self._started:
            _settle(self._started, error)

    def _job_ended(self, worker: WorkerProcess, msg: JobEnded) -> None:
        exiting = isinstance(msg, JobCrashed) and msg.exiting
        worker.state, worker.job_id = WorkerState.dying if exiting else WorkerState.idle, None
        self._cancel_timer(worker.slot)
        handle = self._jobs.get(msg.job_id)
        if handle is None:
            return  # cancelled or timed out already; the worker is free again
        match msg:
            case JobDone(result=result):
                self._finish(handle, result=result)
            case JobFailed(error=error):
                self._finish(handle, error=unpack_error(error))
            case JobCrashed(reason=reason, details=details):
                log.error("job %s crashed in worker %d: %s\n%s", msg.job_id, worker.slot,
                          reason, details)
                self._finish(handle, error=WorkerCrashed(reason, details))

    def _worker_exited(self, worker: WorkerProcess) -> None:
        was = worker.state
        worker.state = WorkerState.dead
        self._cancel_timer(worker.slot)
        reason = worker.describe_exit()
        if worker.job_id and (handle := self._jobs.get(worker.job_id)) is not None:
            log.error("worker %d died running job %s: %s", worker.slot, worker.job_id, reason)
            self._finish(handle, error=WorkerCrashed(reason))
        if self._closing or self._workers.get(worker.slot) is not worker:
            return
        if self._started and not self._started.done():
            _settle(self._started, WorkerCrashed(f"{reason} while loading the model"))
            return
        # A worker that dies before it is ready would die again at once: back off.
        if was is WorkerState.starting:
            self._failures[worker.slot] += 1
        delay = min(60.0, 2.0 ** self._failures[worker.slot] - 1)
        log.warning("worker %d ended (%s); restarting in %.0fs", worker.slot, reason, delay)
        self._restarts += 1
        self._respawns[worker.slot] = asyncio.get_running_loop().call_later(
            delay, self._spawn, worker.slot)

    def _dispatch(self) -> None:
        if self._closing:
            return
        for worker in self._workers.values():
            if worker.state is not WorkerState.idle or not self._queue:
                continue
            handle = self._queue.pop()
            handle.mark_running()
            worker.run(handle.job)
            self._timers[worker.slot] = asyncio.get_running_loop().call_later(
                handle.job.timeout(self.job_timeout), self._timed_out, worker)  # longer for animations

    def _timed_out(self, worker: WorkerProcess) -> None:
        self._timers.pop(worker.slot, None)
        if (handle := self._jobs.get(worker.job_id or "")) is not None:
            self._finish(handle, error=DreamTimeout(handle.job.timeout(self.job_timeout)))
        self._stop_job(worker)

    def _stop_job(self, worker: WorkerProcess) -> None:
        """Ask the worker to drop its job; kill it if it hasn't within `cancel_grace`."""
        worker.drop_job()
        self._cancel_timer(worker.slot)
        self._timers[worker.slot] = asyncio.get_running_loop().call_later(
            self.cancel_grace, self._kill_stuck, worker)

    def _cancel_timer(self, slot: int) -> None:
        if (timer := self._timers.pop(slot, None)) is not None:
            timer.cancel()

    def _kill_stuck(self, worker: WorkerProcess) -> None:
        self._timers.pop(worker.slot, None)
        if worker.state is WorkerState.draining:
            log.warning("worker %d did not stop job %s in %gs; killing it",
                        worker.slot, worker.job_id, self.cancel_grace)
            worker.kill(f"it did not stop a job within {self.cancel_grace:g}s")

    def _finish(self, handle: JobHandle, *, result: DreamResult | None = None,
                error: DreamError | None = None) -> None:
        """The one place a job ends: out of the pool, its handle settled, its outcome counted."""
        self._settle(handle, result, error)


def _settle(future: asyncio.Future, error: BaseException | None) -> None:
    if not future.done():
        future.set_result(None) if error is None else future.set_exception(error)
