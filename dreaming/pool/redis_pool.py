"""`RedisPool`: the pool's `redis` backend. Workers on any host take jobs through arq.

It keeps `DreamPool`'s contract (`dreaming.pool.interface.Pool`) with workers that run
`python -m dreaming.worker --redis URL` anywhere. arq does the distributed part: the job
queue in Redis, one worker per job (its in-progress claim), abort of queued and running
jobs, results with a time to live, and a second try when a worker dies. What arq has no
policy for stays here, in the one bot that feeds the queue:

- **Fair.** Jobs wait in the bot, in the same `FairQueue` as the local pool, and go to arq
  only as workers free up: at most as many jobs sit in arq as workers are alive (their
  heartbeats, `dreaming.pool.remote`). arq's own queue is first come, first served, so it
  is never let to hold a backlog; the fair order (by work) is decided here, at the last moment.
- **Bounded.** `max_queue` counts the jobs waiting here, `per_user` a user's waiting and
  running jobs: both are counted in one place, whatever the number of workers or hosts.
- **Cancel.** A job still here leaves the fair queue; one in arq is aborted (arq's abort
  set): a worker that has not started it drops it, one dreaming it cancels the dream
  between two steps. The handle ends `cancelled` at once; the abandoned arq job is
  followed until its end so that its result is deleted.
- **Progress and timeout.** Workers publish `running` and throttled `progress` events;
  `job_timeout` counts from `running` (again from a second try), then the job is aborted
  and ends `timed_out`.
- **A worker killed mid-job.** Its claim on the job is a lease it renews every few
  seconds (`LEASE_S`); once it lapses another worker takes the job (arq's retry, try 2 of
  `MAX_TRIES`). Should that one die too, arq ends the job and it fails `crashed`, with
  one clear line. Never lost (the job stays in arq until it ends), never posted twice
  (the result is read, and deleted, once).
- **A bot restarted mid-queue.** arq job ids are the pool's job ids (`arq_id`), which the
  store keeps. On `start()` the pool lists the jobs its last run left in Redis; when the
  bot's recovery submits one of them again it is *adopted*: the pool follows the arq job
  (or reads its stored result) instead of dreaming it again. The store's delivery claim
  keeps the answer to one. Leftovers nobody adopts within `adopt_window` s are aborted
  and deleted.
- **Redis down.** Every Redis call failing marks the pool unavailable: `submit` and
  `place` refuse with `Unavailable` (one line to the member), nothing raises elsewhere,
  jobs already accepted wait (here, or in arq if Redis keeps its data: the compose file
  turns AOF on), and the pool goes on by itself once Redis answers again. A job that
  Redis lost meanwhile (no persistence) is enqueued again, at most `MAX_TRIES` times.

Background tasks, all on the pool's event loop: `_listen` (the events channel), `_watch`
(heartbeats and arq job status every `poll_interval` s), `_feed` (fair queue -> arq).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from arq.connections import ArqRedis
from arq.constants import abort_jobs_ss, in_progress_key_prefix, result_key_prefix
from arq.jobs import deserialize_result
from arq.worker import JobExecutionFailed
from redis.exceptions import RedisError

from dreaming.errors import (
    Cancelled, DreamError, DreamTimeout, ImageTooLarge, Interrupted, Unavailable, WorkerCrashed,
)
from dreaming.jobs import DreamJob, DreamResult
from dreaming.pool.admission import FairAdmission
from dreaming.pool.handle import JobHandle
from dreaming.pool.pool import PoolStats
from dreaming.pool.protocol import JobCrashed, JobDone, JobFailed, unpack_error
from dreaming.pool.remote import (
    EVENTS, FUNCTION, HEARTBEAT_PREFIX, JOB_TTL_S, MAX_IMAGE_BYTES, MAX_TRIES, QUEUE, Event,
    WorkerInfo, arq_id, job_id_of, redact, redis_settings,
)

log = logging.getLogger(__name__)

#: jobs whose result was collected, remembered to drop a late second result (a worker that
#: was paused past its lease and came back); more than ever run at once
ENDED_KEPT = 1000
#: what a failing Redis call raises: the server gone, a timeout, a refused connection
REDIS_DOWN = (RedisError, OSError, asyncio.TimeoutError)


@dataclass
class _Remote:
    """A job that is in arq: wanted (`handle`), or abandoned (cancelled, timed out, a
    leftover) and followed only to clean up after it."""

    job: DreamJob | None
    handle: JobHandle | None
    worker_id: str | None = None
    attempt: int = 0  #: the latest try a worker reported
    lost: int = 0  #: times Redis lost it and it was enqueued again
    aborted: bool = False  #: the abort reached Redis (abandoned jobs only)
    in_redis: bool = True  #: False while the enqueue is on its way: not lost, not there yet
    enqueued_at: float = field(default_factory=time.monotonic)


class RedisPool(FairAdmission):
    """The `redis` backend of the dream pool: jobs go through arq to workers on any host.

    Args (keyword-only):
        url: `redis://[:password@]host[:port][/db]`, or `rediss://` for TLS.
        max_queue, per_user, job_timeout: as `DreamPool`'s. (How long a cancelled dream
            may take to stop is the worker's business: `dreambot-worker`.)
        poll_interval: seconds between two looks at heartbeats and job status.
        adopt_window: seconds after `start()` during which jobs of a previous run may be
            adopted; leftovers are then aborted and deleted.
        max_image_bytes: largest image (with its guide) sent through Redis; larger ones `ImageTooLarge`.

    Use from one event loop: `await start()`, `submit()`, `cancel()`, `await close()`.
    """

    backend = "redis"  #: `PoolStats.backend`

    def __init__(self, *, url: str, max_queue: int = 20, per_user: int = 2,
                 job_timeout: float = 300.0, poll_interval: float = 0.5, adopt_window: float = 120.0,
                 max_image_bytes: int = MAX_IMAGE_BYTES) -> None:
        super().__init__()
        self.settings = redis_settings(url)  # raises ValueError for a bad URL
        self.url = redact(url)
        self.max_queue, self.per_user, self.job_timeout = max_queue, per_user, job_timeout
        self.poll_interval = poll_interval
        self.adopt_window, self.max_image_bytes = adopt_window, max_image_bytes
        self._redis: ArqRedis | None = None
        self._remote: dict[str, _Remote] = {}  # jobs in arq, by the pool's job id
        self._leftover: set[str] = set()  # jobs a previous run left in arq, not adopted yet
        self._workers: dict[str, WorkerInfo] = {}  # alive, by worker id
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: list[asyncio.Task] = []
        self._feeding = asyncio.Event()
        self._available = False
        self._ended: OrderedDict[str, None] = OrderedDict()  # recently collected, oldest first

    def __repr__(self) -> str:
        return f"<RedisPool {self.url} {self.stats()}>"

    # -- the interface --

    async def start(self) -> None:
        """Connect and start following Redis. Never waits for workers (they come and go);
        an unreachable Redis is not fatal either: the pool refuses jobs until it answers."""
        if self._redis is not None:
            raise RuntimeError("RedisPool.start() was already called")
        s = self.settings
        self._redis = ArqRedis(host=s.host, port=s.port, db=s.database, username=s.username,
                               password=s.password, ssl=s.ssl, ssl_cert_reqs=s.ssl_cert_reqs,
                               ssl_ca_certs=s.ssl_ca_certs, ssl_check_hostname=s.ssl_check_hostname,
                               socket_connect_timeout=s.conn_timeout, socket_timeout=10,
                               default_queue_name=QUEUE)
        try:
            await self._look()
            self._leftover = await self._leftovers()
        except REDIS_DOWN as exc:
            log.warning("Redis at %s is unreachable (%s); dreams are refused until it answers",
                        self.url, exc)
        else:
            log.info("dream pool on Redis %s: %d worker(s) alive%s", self.url, len(self._workers),
                     f", {len(self._leftover)} job(s) of the last run to adopt" if self._leftover
                     else "")
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(coro, name=f"redis-pool-{coro.__name__}")
                       for coro in (self._listen(), self._watch(), self._feed(),
                                    self._sweep_leftovers())]

    def submit(self, job: DreamJob) -> JobHandle:
        """Queue `job` and return its handle at once; never waits.

        Raises `QueueFull`, `UserLimit`, `Interrupted` when closing, `Unavailable` while
        Redis can't be reached, `ImageTooLarge` for an image over `max_image_bytes`.
        """
        if job.upload_bytes > self.max_image_bytes:  # the guide travels with the image
            raise ImageTooLarge(size_bytes=job.upload_bytes, limit_bytes=self.max_image_bytes)
        adopted = job.job_id in self._leftover  # the last run's: it holds no place in our queue
        handle = self._admit(job, queue_bound=not adopted)
        if adopted:  # the last run's job, still in arq: follow it, don't dream it again
            self._leftover.discard(job.job_id)
            self._remote[job.job_id] = _Remote(job, handle)
            log.info("job %s: adopted from the last run, still in Redis", job.job_id)
        else:
            self._line_up(handle)
            self._feeding.set()
        return handle

    def _check_open(self) -> None:
        super()._check_open()
        if not self._available:
            raise Unavailable()

    async def close(self, grace: float = 30.0) -> None:
        """Stop taking jobs; jobs waiting here end `Interrupted` at once, those in arq get
        `grace` s, then end `Interrupted` too. Those are left running in arq: the next run
        of the bot adopts them (its recovery submits them again), else they are swept."""
        self._closing = True
        for handle in self._queue.drain():
            self._finish(handle, error=Interrupted())
        if self._jobs and grace > 0:
            await asyncio.gather(*(h.wait(grace) for h in list(self._jobs.values())))
        for handle in list(self._jobs.values()):
            self._finish(handle, error=Interrupted(), abandon=False)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for timer in self._timers.values():
            timer.cancel()
        if self._redis is not None:
            await self._redis.aclose()
        log.info("dream pool closed: %s", self.stats())

    def stats(self) -> PoolStats:
        alive = len(self._workers)
        busy = sum(r.handle is not None for r in self._remote.values())
        return PoolStats(workers=alive, alive=alive, idle=self._free_workers(), busy=busy,
                         queued=len(self._queue), restarts=0, outcomes=dict(self._outcomes),
                         backend=self.backend,
                         hosts=dict(Counter(w.host for w in self._workers.values())))

    @property
    def size(self) -> int:
        """Workers that dream at once: those alive now (they come and go), at least 1."""
        return max(1, len(self._workers))

    @property
    def available(self) -> bool:
        """Whether Redis answered the last call."""
        return self._available

    # -- feeding arq from the fair queue --

    def _free_workers(self) -> int:
        """Workers alive that no job of ours holds: how many more jobs arq may get now."""
        return max(0, len(self._workers) - len(self._remote))

    async def _feed(self) -> None:
        while True:
            await self._feeding.wait()
            self._feeding.clear()
            try:
                await self._feed_some()
            except Exception:  # a bug must not stop the queue for good
                log.exception("feeding arq failed; trying again")

    async def _feed_some(self) -> None:
        """Move jobs from the fair queue to arq while workers are free."""
        while self._queue and self._available and self._free_workers() > 0 and not self._closing:
            handle = self._queue.pop()
            job = handle.job
            remote = self._remote[job.job_id] = _Remote(job, handle, in_redis=False)
            try:
                await self._enqueue(job)
            except REDIS_DOWN as exc:
                self._down(exc)
                self._remote.pop(job.job_id, None)
                if not handle.done():  # back in line; its turn comes again soon
                    self._line_up(handle)
                break
            remote.in_redis = True

    async def _enqueue(self, job: DreamJob) -> None:
        """Give `job` to arq; an arq job of that id already there is the same job."""
        enqueued = await self._redis.enqueue_job(FUNCTION, job, _job_id=arq_id(job.job_id),
                                                 _queue_name=QUEUE, _expires=JOB_TTL_S)
        if enqueued is None:
            log.info("job %s: already in Redis; following it", job.job_id)
        self._up()

    # -- following the workers and the jobs --

    async def _watch(self) -> None:
        """Every `poll_interval` s: heartbeats, and the status of every job in arq."""
        while True:
            try:
                await self._look()
                await self._check_jobs()
            except REDIS_DOWN as exc:
                self._down(exc)
            except Exception:
                log.exception("following Redis failed; trying again")
            self._feeding.set()
            await asyncio.sleep(self.poll_interval)

    async def _look(self) -> None:
        """Read every worker's heartbeat (the ones that stopped beating have expired)."""
        keys = [k async for k in self._redis.scan_iter(match=HEARTBEAT_PREFIX + "*", count=200)]
        values = await self._redis.mget(keys) if keys else []
        workers = {}
        for raw in values:
            if raw:
                with contextlib.suppress(ValueError, TypeError):
                    info = WorkerInfo.loads(raw)
                    workers[info.worker_id] = info
        for gone in self._workers.keys() - workers.keys():
            log.warning("worker %s (%s) stopped beating", gone, self._workers[gone].device)
        for new in workers.keys() - self._workers.keys():
            log.info("worker %s on %s (%s) is alive", new, workers[new].host, workers[new].device)
        self._workers = workers
        self._up()

    async def _check_jobs(self) -> None:
        # An abort that crossed its job's end stays in arq's abort set: clear stale ones.
        stale = await self._redis.zrangebyscore(abort_jobs_ss, "-inf", time.time() * 1000 - 60_000)
        stale = [m for m in stale if (j := job_id_of(m.decode())) and j not in self._remote]
        if stale:
            await self._redis.zrem(abort_jobs_ss, *stale)
        ids = [job_id for job_id, remote in self._remote.items() if remote.in_redis]
        if not ids:
            return
        async with self._redis.pipeline(transaction=True) as pipe:  # one snapshot: arq ends
            for job_id in ids:                                     # a job in one MULTI too
                key = arq_id(job_id)
                pipe.exists(result_key_prefix + key)
                pipe.exists(in_progress_key_prefix + key)
                pipe.zscore(QUEUE, key)
            answers = await pipe.execute()
        for i, job_id in enumerate(ids):
            done, running, score = answers[3 * i:3 * i + 3]
            remote = self._remote.get(job_id)
            if remote is None:
                continue
            if done:
                await self._collect(job_id)
            elif not running and score is None:
                await self._lost(job_id, remote)
            elif remote.handle is None and not remote.aborted:
                await self._abort(job_id)

    async def _lost(self, job_id: str, remote: _Remote) -> None:
        """The job is nowhere in Redis, and it has no result: Redis lost it (restarted
        without its data). Enqueue it again, or give up after `MAX_TRIES`."""
        if remote.handle is None or remote.job is None:
            self._remote.pop(job_id, None)
            return
        remote.lost += 1
        if remote.lost > MAX_TRIES:
            self._remote.pop(job_id, None)
            self._finish(remote.handle, error=WorkerCrashed("the dream queue lost the job"))
            return
        log.warning("job %s: Redis lost it; enqueuing it again", job_id)
        await self._enqueue(remote.job)

    async def _leftovers(self) -> set[str]:
        """Jobs a previous run left in arq: queued or running, or finished and unread."""
        found = {job_id_of(m.decode()) for m in await self._redis.zrange(QUEUE, 0, -1)}
        async for key in self._redis.scan_iter(match=result_key_prefix + "dream:*", count=200):
            found.add(job_id_of(key.decode()[len(result_key_prefix):]))
        return {j for j in found if j}

    async def _sweep_leftovers(self) -> None:
        """After `adopt_window` s, abort and delete what no recovered job adopted."""
        await asyncio.sleep(self.adopt_window)
        while self._leftover:
            if not self._available:
                await asyncio.sleep(self.poll_interval)
                continue
            job_id = self._leftover.pop()
            if job_id not in self._remote:
                log.info("job %s: left in Redis by the last run and not recovered; removing it",
                         job_id)
                self._remote[job_id] = _Remote(None, None)

    # -- events from the workers --

    async def _listen(self) -> None:
        """Follow the events channel; on a lost connection, subscribe again once Redis is back."""
        while True:
            try:
                async with self._redis.pubsub() as channel:
                    await channel.subscribe(EVENTS)
                    while True:
                        msg = await channel.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if msg is not None:
                            self._on_event(msg["data"])
            except REDIS_DOWN as exc:
                self._down(exc)
                await asyncio.sleep(self.poll_interval)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading worker events failed; subscribing again")
                await asyncio.sleep(self.poll_interval)

    def _on_event(self, raw: bytes) -> None:
        try:
            event = Event.loads(raw)
        except (ValueError, TypeError):
            log.warning("ignoring an event that is not one: %.80r", raw)
            return
        remote = self._remote.get(event.job_id)
        if remote is None:
            if event.kind == "ended" and event.job_id in self._ended:
                # A worker back from the dead (paused past its lease) finished a job that
                # another worker already delivered: its late result is nobody's.
                self._spawn(self._discard(event.job_id))
            return
        if event.kind == "ended":
            self._spawn(self._collect(event.job_id))
            return
        remote.worker_id = event.worker_id
        handle = remote.handle
        if handle is None:
            if event.attempt > remote.attempt:  # abandoned, then retried by another worker
                remote.attempt, remote.aborted = event.attempt, False
                self._spawn(self._abort(event.job_id))
            return
        if event.attempt > remote.attempt:  # a worker took it: (again) the clock starts
            if remote.attempt:
                log.warning("job %s: worker %s took it over (try %d)", event.job_id,
                            event.worker_id, event.attempt)
            remote.attempt = event.attempt
            self._start_timer(event.job_id)
        if handle.started_at is None:
            handle.mark_running()
        if event.kind == "progress" and event.progress is not None:
            handle.report(event.progress)

    # -- ends --

    async def _collect(self, job_id: str) -> None:
        """Read a finished job's result, delete it from Redis, settle the handle."""
        key = arq_id(job_id)
        try:
            raw = await self._redis.get(result_key_prefix + key)
        except REDIS_DOWN as exc:
            self._down(exc)
            return
        if raw is None:
            return
        # Ours from here, before the next await: `_check_jobs` must not find it gone and lost.
        remote = self._remote.pop(job_id, None)
        self._remember_ended(job_id)
        self._feeding.set()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                await pipe.delete(result_key_prefix + key).zrem(abort_jobs_ss, key).execute()
        except REDIS_DOWN as exc:
            self._down(exc)  # the result expires on its own (RESULT_TTL_S)
        if remote is None or remote.handle is None or remote.handle.done():
            return
        try:
            info = deserialize_result(raw)
        except Exception as exc:
            self._finish(remote.handle, error=WorkerCrashed(f"unreadable result: {exc}"))
            return
        result, error = _outcome(info.success, info.result, remote.handle.job.timeout(self.job_timeout))
        self._finish(remote.handle, result=result, error=error, abandon=False)

    def _remember_ended(self, job_id: str) -> None:
        self._ended[job_id] = None
        while len(self._ended) > ENDED_KEPT:
            self._ended.popitem(last=False)

    async def _discard(self, job_id: str) -> None:
        with contextlib.suppress(*REDIS_DOWN):
            await self._redis.delete(result_key_prefix + arq_id(job_id))

    def _start_timer(self, job_id: str) -> None:
        if (timer := self._timers.pop(job_id, None)) is not None:
            timer.cancel()
        if (handle := self._jobs.get(job_id)) is None:
            return
        self._timers[job_id] = asyncio.get_running_loop().call_later(
            handle.job.timeout(self.job_timeout), self._timed_out, job_id)  # longer for animations

    def _timed_out(self, job_id: str) -> None:
        self._timers.pop(job_id, None)
        if (handle := self._jobs.get(job_id)) is not None:
            self._finish(handle, error=DreamTimeout(handle.job.timeout(self.job_timeout)))

    def _finish(self, handle: JobHandle, *, result: DreamResult | None = None,
                error: DreamError | None = None, abandon: bool = True) -> None:
        """The one place a job ends: out of the pool, settled, counted; a job still in arq
        is aborted (`abandon`) and followed until arq ends it, to delete what it leaves."""
        job_id = handle.job_id
        if (timer := self._timers.pop(job_id, None)) is not None:
            timer.cancel()
        remote = self._remote.get(job_id)
        if remote is not None:
            remote.handle = None
            if abandon:
                self._spawn(self._abort(job_id))
        self._settle(handle, result, error)

    async def _abort(self, job_id: str) -> None:
        """Tell arq to drop the job, queued or running (its workers look every poll)."""
        try:
            await self._redis.zadd(abort_jobs_ss, {arq_id(job_id): time.time() * 1000})
        except REDIS_DOWN as exc:
            self._down(exc)  # `_check_jobs` asks again once Redis is back
        else:
            if (remote := self._remote.get(job_id)) is not None:
                remote.aborted = True

    # -- helpers --

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    def _up(self) -> None:
        if not self._available:
            log.info("Redis at %s answers: taking dreams", self.url)
            self._available = True
            self._feeding.set()

    def _down(self, exc: BaseException) -> None:
        if self._available:
            log.warning("Redis at %s is unreachable (%s: %s): refusing new dreams until it "
                        "answers", self.url, type(exc).__name__, exc)
            self._available = False


def _outcome(success: bool, value: object,
             job_timeout: float) -> tuple[DreamResult | None, DreamError | None]:
    """An arq result as the pool's: a `DreamResult`, or the `DreamError` to settle with."""
    match value:
        case JobDone(result=result) if success:
            return result, None
        case JobFailed(error=error):
            return None, unpack_error(error)
        case JobCrashed(reason=reason, details=details):
            log.error("job crashed in a worker: %s\n%s", reason, details)
            return None, WorkerCrashed(reason, details)
        case asyncio.CancelledError():
            return None, Cancelled()
        case asyncio.TimeoutError() | TimeoutError():
            return None, DreamTimeout(job_timeout)
        case JobExecutionFailed() if "retries exceeded" in str(value):
            return None, WorkerCrashed(f"the workers running it stopped {MAX_TRIES} times")
        case JobExecutionFailed() if "expired" in str(value):
            return None, WorkerCrashed("no worker took it in time")
    return None, WorkerCrashed(f"internal error: {type(value).__name__}", repr(value)[:2000])
