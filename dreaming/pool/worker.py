"""The worker process: load the model once, then dream job after job for the pool.

`run_worker` is the process's entry; it speaks the protocol of `dreaming.pool.protocol`
over its end of the pipe: `Ready` (or `Fatal`), then for each `RunJob` some `JobProgress`
and exactly one of `JobDone`, `JobFailed` or `JobCrashed`. A listener thread reads the
parent's messages beside the running dream, so that a `CancelJob` lands mid-job.

TensorFlow is imported only inside `run_worker`, so the parent never loads it.
The parent's side of a worker is `dreaming.pool.process.WorkerProcess`.
"""
from __future__ import annotations

import logging
import math
import os
import queue
import signal
import threading
import time
import traceback
from typing import Any, Callable

from dreaming.errors import DreamError
from dreaming.jobs import DreamJob, Progress
from dreaming.pool.protocol import (
    PROGRESS_INTERVAL, CancelJob, Fatal, JobCrashed, JobDone, JobFailed, JobProgress, Ready, RunJob,
    Stop, pack_error,
)

log = logging.getLogger(__name__)


def run_worker(conn: Any, weights: str | dict[str, str | None], gpu: str | None, log_level: int) -> None:
    """Entry point of a worker process: load the model once, then dream job after job.

    The worker ignores SIGINT and SIGTERM: Ctrl-C in a terminal (or systemd's default
    stop) signals every process of the group, and the pool, not the signal, decides
    whether a running dream finishes. It ends when told (`Stop`), when the parent is
    gone, or by SIGKILL.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu  # before TensorFlow looks for GPUs
    # Several workers may share a GPU: let each take memory as it needs it (TensorFlow; JAX
    # would otherwise take three quarters of the GPU's memory up front).
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    logging.basicConfig(level=log_level, format="%(asctime)s worker[%(process)d] "
                        "%(levelname)s %(name)s job=%(job_id)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_JobIdFilter())
    try:  # TensorFlow comes in here, in the worker only
        from dreaming.model import DreamModels, device_report
        from dreaming.pool.execute import run_job
        model = DreamModels.of(weights)  # the first network now, any other when a job asks
        devices, warning = device_report()
    except Exception as exc:  # missing weights, broken install: the pool reports it
        log.exception("worker could not load the model")
        conn.send(Fatal(pack_error(exc)))
        return

    inbox: queue.SimpleQueue[DreamJob | None] = queue.SimpleQueue()
    current: dict[str, threading.Event] = {}  # job_id -> its cancel flag, until it ended
    threading.Thread(target=_listen, args=(conn, inbox, current), daemon=True).start()
    conn.send(Ready())
    log.info("worker ready (weights %s), computing with %s", weights, devices)
    if warning:
        log.warning("%s", warning)
    while (job := inbox.get()) is not None:
        _run_job(job, current[job.job_id], conn, model, run_job)
        current.pop(job.job_id, None)
        _set_current_job("-")


def _listen(conn: Any, inbox: queue.SimpleQueue, current: dict[str, threading.Event]) -> None:
    """Read the parent's messages beside the running dream, so a cancel lands mid-job."""
    try:
        while True:
            match conn.recv():
                case RunJob(job=job):
                    current[job.job_id] = threading.Event()
                    inbox.put(job)
                case CancelJob(job_id=job_id):
                    if (flag := current.get(job_id)) is not None:
                        flag.set()
                case Stop():
                    inbox.put(None)
                case other:
                    log.error("ignoring a message the protocol lacks: %r", other)
    except (EOFError, OSError):
        # The parent is gone: nobody is left to take a result. Don't linger as an orphan.
        os._exit(0)


def _run_job(job: DreamJob, cancel: threading.Event, conn: Any, model: Any, run_job: Callable) -> None:
    """Dream one job and send exactly one final message for it."""
    _set_current_job(job.job_id)
    started = time.monotonic()
    last_sent = -math.inf  # the first step is reported at once, however fast the machine

    def progress(p: Progress) -> None:
        nonlocal last_sent
        now = time.monotonic()
        if now - last_sent >= PROGRESS_INTERVAL:
            last_sent = now
            conn.send(JobProgress(job.job_id, p))

    try:
        result = run_job(job, model=model, progress=progress, cancel=cancel)  # a still or an encoded animation
    except DreamError as exc:
        log.info("job %s: %s after %.1fs", job.job_id, type(exc).__name__,
                 time.monotonic() - started)
        conn.send(JobFailed(job.job_id, pack_error(exc)))
    except Exception as exc:
        # Out of memory leaves the process in doubt: report, then exit so the pool
        # starts a fresh one. Any other exception is a bug in one job; stay warm.
        exiting = isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError"
        log.exception("job %s crashed", job.job_id)
        reason = "out of memory" if exiting else f"internal error: {type(exc).__name__}"
        conn.send(JobCrashed(job.job_id, reason, traceback.format_exc(), exiting))
        if exiting:
            os._exit(3)
    else:
        log.info("job %s done in %.1fs", job.job_id, time.monotonic() - started)
        conn.send(JobDone(job.job_id, result))


#: the job this worker is dreaming, for its log lines (one job at a time per worker)
_current_job = "-"


class _JobIdFilter(logging.Filter):
    """Adds `record.job_id`: the worker's lines name their job, as the bot's do."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.job_id = _current_job
        return True


def _set_current_job(job_id: str) -> None:
    global _current_job
    _current_job = job_id
