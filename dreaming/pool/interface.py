"""`Pool`: the one interface of a dream pool, whichever backend runs it.

Two backends implement it: `DreamPool` (`local`: worker processes on this host) and
`RedisPool` (`redis`: workers on any host, through arq). Everything above the pool (the
bot's runner, its health and metrics) is written against this protocol only, so nothing
there knows which one runs. The guarantees are the same for both:

- **fair**: users take turns by work (`FairQueue`: one user's huge dreams don't crowd out
  another's many small ones), not first come, first served;
- **bounded**: at most `max_queue` jobs wait, at most `per_user` per user wait or run;
  more are refused at once (`QueueFull`, `UserLimit`), and a pool that cannot take jobs
  just now says so (`Interrupted` while closing, `Unavailable` while Redis is down);
- **cancellable**: `cancel(job_id)` ends a queued or running job at once; the worker
  stops the dream between two engine steps, wherever it runs;
- **progress and timeout**: the handle reports progress; `job_timeout` seconds after a
  worker took a job it ends `DreamTimeout`;
- every job ends exactly once, with one final `JobStatus` (`JobHandle.settle`).
"""
from __future__ import annotations

import contextlib
from typing import Protocol, runtime_checkable

from dreaming.jobs import DreamJob
from dreaming.pool.handle import JobHandle
from dreaming.pool.pool import PoolStats


@runtime_checkable
class Pool(Protocol):
    """A bounded, fair pool of warm dream workers, used from one event loop."""

    backend: str  #: "local" or "redis", as `PoolStats.backend`
    max_queue: int  #: most jobs waiting for a worker
    per_user: int  #: most jobs one user may have waiting or running
    job_timeout: float  #: seconds a job may run once a worker took it

    @property
    def size(self) -> int:
        """Workers that dream at once (configured, or alive now with `redis`), at least 1."""

    async def start(self) -> None:
        """Get ready to dream (workers warm, or the queue reachable); raises what stops it."""

    def submit(self, job: DreamJob) -> JobHandle:
        """Queue `job`, return its handle at once. Raises `QueueFull`, `UserLimit`,
        `Interrupted` (closing) or `Unavailable` (the queue can't be reached)."""

    def place(self) -> contextlib.AbstractContextManager[None]:
        """Hold a queue place while a request gets ready; refuses at once like `submit`."""

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job; False if the pool doesn't hold it (any more)."""

    def position(self, job_id: str) -> int:
        """1-based place of a waiting job (1 = next); 0 when it is not waiting."""

    def work_ahead(self, job_id: str) -> float:
        """Estimated units of work (`dreaming.cost`) before the job `job_id` can start."""

    async def close(self, grace: float = 30.0) -> None:
        """Stop taking jobs, give running ones `grace` seconds, interrupt the rest."""

    def stats(self) -> PoolStats:
        """The pool's figures now: workers alive (by host), queue depth, outcomes."""
