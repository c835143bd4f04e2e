"""One remote worker process: load the model once, then dream the arq jobs of `RedisPool`.

`run_remote_worker` is the process's entry (the `dreaming.worker` command starts one per
GPU, or as many as asked). It is an arq `Worker` with one job at a time (`max_jobs=1`)
and one function, `FUNCTION`, which takes a `DreamJob` and returns one message of
`dreaming.pool.protocol`: `JobDone`, `JobFailed` (the job's own fault, `Cancelled`...)
or `JobCrashed` (a bug, out of memory). arq stores it as the job's result for the bot.

Beside arq (see `dreaming.pool.remote`):
- a heartbeat every `HEARTBEAT_S` names the host, the device and the job;
- `running`, throttled `progress` and `ended` events go to the bot's channel;
- arq's claim on a running job (its in-progress key) lasts `LEASE_S` and is renewed while
  the dream runs, instead of arq's job timeout + 10 s: a worker killed mid-job frees
  its job within seconds, and arq's retry gives it to another worker (try 2 of 2).

The dream runs in a thread, so the event loop keeps the heartbeat, the lease and arq's
polling going. An abort (the bot's cancel or timeout) cancels the job's task: the thread
is told to stop between two engine steps and waited for, then arq records the abort.
SIGTERM or SIGINT: take no new job, let the running one finish for up to `grace`
seconds, then cancel it (arq runs it again on another worker) and exit. A Redis outage
ends nothing: the worker keeps its model and polls again until Redis is back.

TensorFlow is imported only inside `run_remote_worker`.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import math
import os
import socket
import threading
import time
import traceback
from dataclasses import replace
from typing import Any, Callable

from arq.constants import in_progress_key_prefix
from arq.worker import Worker, func
from redis.exceptions import RedisError

from dreaming.errors import DreamError
from dreaming.jobs import DreamJob, Progress
from dreaming.pool.protocol import JobCrashed, JobDone, JobEnded, JobFailed, pack_error
from dreaming.pool.remote import (
    EVENTS, FUNCTION, HEARTBEAT_PREFIX, HEARTBEAT_S, HEARTBEAT_TTL_S, LEASE_S, MAX_RESULT_BYTES,
    MAX_TRIES, PROGRESS_INTERVAL, QUEUE, RESULT_TTL_S, Event, WorkerInfo, job_id_of, redact,
    redis_settings,
)

log = logging.getLogger(__name__)

REDIS_DOWN = (RedisError, OSError, asyncio.TimeoutError)
#: exit code of a worker that cannot start at all (no weights): its supervisor gives up
FATAL_EXIT = 2


def run_remote_worker(url: str, *, weights: str | dict[str, str | None], gpu: str | None, log_level: int = logging.INFO,
                      poll_delay: float = 0.05, grace: float = 30.0, cancel_grace: float = 10.0,
                      job_timeout: float = 3600.0) -> None:
    """Entry point of a remote worker process: load the model, then serve arq jobs until a
    signal. `job_timeout` is only a backstop (the bot enforces its own, shorter one)."""
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu  # before TensorFlow looks for GPUs
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # JAX: workers share a GPU
    logging.basicConfig(level=log_level, format="%(asctime)s worker[%(process)d] %(levelname)s "
                        "%(name)s: %(message)s")
    logging.getLogger("arq").setLevel(max(log_level, logging.WARNING))
    from dreaming.model import DreamModels, device_report  # TensorFlow comes in here, in the worker only
    from dreaming.pool.execute import run_job
    try:
        model = DreamModels.of(weights)  # the first network now, any other when a job asks
    except DreamError as exc:  # missing weights: the operator's to fix, not worth retrying
        log.error("worker could not load the model: %s", exc)
        raise SystemExit(FATAL_EXIT) from None
    devices, warning = device_report()  # what the framework really computes on, not the slot
    if warning:
        log.warning("%s", warning)

    def run(job: DreamJob, cancel: threading.Event, progress: Callable[[Progress], None]):
        return run_job(job, model=model, progress=progress, cancel=cancel)  # a still or an encoded animation

    host = socket.gethostname()
    me = WorkerInfo(worker_id=f"{host}-{os.getpid()}", host=host, pid=os.getpid(),
                    device=devices)
    settings = redis_settings(url)
    settings.conn_retries, settings.conn_retry_delay = 10**9, 1  # wait for Redis, model warm
    dreamer = _Dreamer(me, run, cancel_grace)
    worker = _Worker(
        functions=[func(dreamer.dream, name=FUNCTION, max_tries=MAX_TRIES, timeout=job_timeout)],
        queue_name=QUEUE, redis_settings=settings, max_jobs=1, poll_delay=poll_delay,
        keep_result=RESULT_TTL_S, max_tries=MAX_TRIES, allow_abort_jobs=True,
        job_completion_wait=int(grace), on_startup=dreamer.started, on_shutdown=dreamer.stopped,
        after_job_end=dreamer.ended, health_check_interval=60)
    worker.in_progress_timeout_s = LEASE_S  # a lease, renewed by `_Dreamer.dream`
    log.info("worker %s ready on %s (weights %s), Redis %s", me.worker_id, me.device, weights,
             redact(url))
    worker.run()
    if dreamer.exit_code:
        os._exit(dreamer.exit_code)


class _Worker(Worker):
    """arq's worker, kept polling through a Redis outage (arq's own stops at the first error)."""

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except REDIS_DOWN as exc:
            log.warning("Redis unreachable (%s: %s); trying again", type(exc).__name__, exc)
            await asyncio.sleep(1.0)


class _Dreamer:
    """The job function and the hooks around it; state shared by one worker's jobs."""

    def __init__(self, me: WorkerInfo, run: Callable, cancel_grace: float) -> None:
        self.me, self.run, self.cancel_grace = me, run, cancel_grace
        self.redis: Any = None
        self.exit_code = 0
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="dream")
        self._heartbeat: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()

    async def started(self, ctx: dict) -> None:
        self.redis = ctx["redis"]
        self._heartbeat = asyncio.create_task(self._beat())

    async def stopped(self, ctx: dict) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        with contextlib.suppress(*REDIS_DOWN):
            await self.redis.delete(HEARTBEAT_PREFIX + self.me.worker_id)

    async def ended(self, ctx: dict) -> None:
        job_id = job_id_of(ctx["job_id"]) or ctx["job_id"]
        self.me = replace(self.me, job=None, jobs_done=self.me.jobs_done + 1)
        await self._beat_once()
        await self._publish(Event("ended", job_id, self.me.worker_id, ctx.get("job_try", 1)))
        if self.exit_code:  # out of memory: the result is stored; start afresh
            log.error("exiting after running out of memory; the supervisor starts a new worker")
            os._exit(self.exit_code)

    async def dream(self, ctx: dict, job: DreamJob) -> JobEnded:
        """The arq job: dream `job` in a thread, publishing progress; the outcome as a message."""
        attempt = ctx.get("job_try", 1)
        self.me = replace(self.me, job=job.job_id)
        await self._beat_once()
        await self._publish(Event("running", job.job_id, self.me.worker_id, attempt))
        loop = asyncio.get_running_loop()
        cancel = threading.Event()
        last_sent = -math.inf

        def progress(p: Progress) -> None:  # in the dream's thread
            nonlocal last_sent
            now = time.monotonic()
            if now - last_sent >= PROGRESS_INTERVAL:
                last_sent = now
                event = Event("progress", job.job_id, self.me.worker_id, attempt, p)
                loop.call_soon_threadsafe(self._publish_soon, event)

        lease = asyncio.create_task(self._renew(in_progress_key_prefix + ctx["job_id"]))
        started = time.monotonic()
        future = loop.run_in_executor(self._executor, self._dream, job, cancel, progress)
        try:
            outcome = await asyncio.shield(future)
        except asyncio.CancelledError:  # aborted, timed out, or the worker is stopping
            cancel.set()
            deadline = time.monotonic() + self.cancel_grace
            while not future.done() and time.monotonic() < deadline:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([future], timeout=deadline - time.monotonic())
            log.info("job %s stopped after %.1fs", job.job_id, time.monotonic() - started)
            raise
        finally:
            lease.cancel()
        log.info("job %s: %s in %.1fs (try %d)", job.job_id, type(outcome).__name__,
                 time.monotonic() - started, attempt)
        return outcome

    def _dream(self, job: DreamJob, cancel: threading.Event, progress: Callable) -> JobEnded:
        """In the thread: exactly one final message, never an exception."""
        try:
            result = self.run(job, cancel, progress)
        except DreamError as exc:
            return JobFailed(job.job_id, pack_error(exc))
        except Exception as exc:
            exiting = isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError"
            log.exception("job %s crashed", job.job_id)
            if exiting:
                self.exit_code = 3
            reason = "out of memory" if exiting else f"internal error: {type(exc).__name__}"
            return JobCrashed(job.job_id, reason, traceback.format_exc(), exiting)
        size = result.image.nbytes + (len(result.animation.data) if result.animation else 0)
        if size > MAX_RESULT_BYTES:
            return JobCrashed(job.job_id, "the result is too large to send back", f"{size} bytes", False)
        return JobDone(job.job_id, result)

    async def _renew(self, key: str) -> None:
        """Keep arq's claim on the running job alive while this process is."""
        while True:
            await asyncio.sleep(LEASE_S / 3)
            with contextlib.suppress(*REDIS_DOWN):
                await self.redis.pexpire(key, int(LEASE_S * 1000))

    async def _beat(self) -> None:
        while True:
            await self._beat_once()
            await asyncio.sleep(HEARTBEAT_S)

    async def _beat_once(self) -> None:
        with contextlib.suppress(*REDIS_DOWN):
            await self.redis.set(HEARTBEAT_PREFIX + self.me.worker_id, self.me.dumps(),
                                 px=int(HEARTBEAT_TTL_S * 1000))

    def _publish_soon(self, event: Event) -> None:
        task = asyncio.get_running_loop().create_task(self._publish(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish(self, event: Event) -> None:
        with contextlib.suppress(*REDIS_DOWN):
            await self.redis.publish(EVENTS, event.dumps())
