"""Worker processes: the child that keeps a model warm, and the parent's handle on it.

One duplex pipe per worker carries tuples; the first item names the message.

    parent -> worker   ("job", DreamJob) | ("cancel", job_id) | ("stop",)
    worker -> parent   ("ready",) | ("fatal", error) | ("progress", job_id, Progress)
                       | ("done", job_id, DreamResult) | ("error", job_id, error)
                       | ("crash", job_id, reason, traceback, exiting)

TensorFlow is imported only inside `run_worker`, so the parent never loads it.
Errors travel as `pack_error` tuples: the `DreamError` classes take their own
constructor arguments, which plain exception pickling does not replay.
"""
from __future__ import annotations

import asyncio
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from typing import Any, Callable

from dreaming.errors import DreamError

log = logging.getLogger(__name__)

#: least time between two progress messages of one job; the bot edits even less often
PROGRESS_INTERVAL = 0.5


def run_worker(conn: Any, weights: str, gpu: str | None, log_level: int) -> None:
    """Entry point of a worker process: load the model once, then dream job after job.

    The worker ignores SIGINT and SIGTERM: Ctrl-C in a terminal (or systemd's default
    stop) signals every process of the group, and the pool, not the signal, decides
    whether a running dream finishes. It ends when told, when the parent is gone, or
    by SIGKILL.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu  # before TensorFlow looks for GPUs
    # Several workers may share a GPU: let each take memory as it needs it.
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    logging.basicConfig(level=log_level, format="%(asctime)s worker[%(process)d] "
                        "%(levelname)s %(name)s job=%(job_id)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_JobIdFilter())
    try:
        from dreaming.engine import dream
        from dreaming.images import decode, to_array
        from dreaming.model import load_model
        model = load_model(weights)
    except Exception as exc:  # missing weights, broken install: the pool reports it
        log.exception("worker could not load the model")
        conn.send(("fatal", pack_error(exc)))
        return
    inbox: queue.SimpleQueue = queue.SimpleQueue()
    current: dict[str, threading.Event] = {}  # job_id -> its cancel flag, while running
    threading.Thread(target=_listen, args=(conn, inbox, current), daemon=True).start()
    conn.send(("ready",))
    log.info("worker ready (weights %s)", weights)
    def load_image(data: bytes, max_side: int, max_pixels: int):
        return to_array(decode(data, max_side=max_side, max_pixels=max_pixels))

    while (job := inbox.get()) is not None:
        _run_job(job, current[job.job_id], conn, model, dream, load_image)
        current.pop(job.job_id, None)
        _set_current_job("-")


def _listen(conn: Any, inbox: queue.SimpleQueue, current: dict[str, threading.Event]) -> None:
    """Read the parent's messages beside the running dream, so a cancel lands mid-job."""
    try:
        while True:
            msg = conn.recv()
            if msg[0] == "job":
                current[msg[1].job_id] = threading.Event()
                inbox.put(msg[1])
            elif msg[0] == "cancel" and msg[1] in current:
                current[msg[1]].set()
            elif msg[0] == "stop":
                inbox.put(None)
    except (EOFError, OSError):
        # The parent is gone: nobody is left to take a result. Don't linger as an orphan.
        os._exit(0)


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


def _run_job(job, cancel: threading.Event, conn: Any, model: Any, dream: Callable,
             load_image: Callable) -> None:
    """Dream one job and send exactly one final message for it."""
    _set_current_job(job.job_id)
    started = last_sent = time.monotonic()

    def progress(p) -> None:
        nonlocal last_sent
        now = time.monotonic()
        if now - last_sent >= PROGRESS_INTERVAL:
            last_sent = now
            conn.send(("progress", job.job_id, p))

    try:
        result = dream(load_image(job.image, job.params.max_side, job.max_pixels), job.params, model=model,
                       progress=progress, cancel=cancel)
    except DreamError as exc:
        log.info("job %s: %s after %.1fs", job.job_id, type(exc).__name__,
                 time.monotonic() - started)
        conn.send(("error", job.job_id, pack_error(exc)))
    except Exception as exc:
        # Out of memory leaves the process in doubt: report, then exit so the pool
        # starts a fresh one. Any other exception is a bug in one job; stay warm.
        exiting = isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError"
        log.exception("job %s crashed", job.job_id)
        reason = "out of memory" if exiting else f"internal error: {type(exc).__name__}"
        conn.send(("crash", job.job_id, reason, traceback.format_exc(), exiting))
        if exiting:
            os._exit(3)
    else:
        log.info("job %s done in %.1fs", job.job_id, time.monotonic() - started)
        conn.send(("done", job.job_id, result))


def pack_error(exc: BaseException) -> tuple:
    """An exception as plain data that `unpack_error` rebuilds without calling `__init__`.

    Only `DreamError`s keep their fields; of anything else the message is enough.
    """
    cls = type(exc)
    if not isinstance(exc, DreamError):
        return cls.__module__, cls.__qualname__, (str(exc),), {}
    return cls.__module__, cls.__qualname__, exc.args, dict(vars(exc))


def unpack_error(packed: tuple) -> DreamError:
    """Rebuild a `pack_error` tuple; anything but a known DreamError becomes a DreamError.

    Only classes of modules this process has imported qualify: no caller can be waiting
    for any other type, and importing on demand could pull TensorFlow into the bot.
    """
    module, qualname, args, state = packed
    cls = getattr(sys.modules.get(module), qualname, None)
    if not (isinstance(cls, type) and issubclass(cls, DreamError)):
        return DreamError(f"{qualname}: {args[0] if args else ''}")
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


def visible_gpus() -> list[str]:
    """GPU ids for `CUDA_VISIBLE_DEVICES`, found without importing TensorFlow."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        ids = []
        for dev in (d.strip() for d in env.split(",")):
            if not dev or dev.startswith("-"):
                break  # CUDA ignores every id from the first invalid one on
            ids.append(dev)
        return ids
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i in range(sum(line.startswith("GPU ") for line in out.splitlines()))]


class WorkerProcess:
    """The parent's side of one worker: its process, a reader and a writer thread.

    Messages from the worker reach `on_message(worker, msg)` on the event loop via
    `call_soon_threadsafe`; its end arrives as `("exit", exitcode)`. Sends go through
    a writer thread, so a slow or stopped worker never blocks the loop.
    """

    def __init__(self, slot: int, *, ctx: Any, weights: str, gpu: str | None,
                 on_message: Callable[[WorkerProcess, tuple], None]) -> None:
        self.slot, self.gpu = slot, gpu
        self.state = "starting"  #: starting, idle, busy, draining, dying or dead
        self.job_id: str | None = None  #: the job the worker is on, as the pool sees it
        self._loop = asyncio.get_running_loop()
        self.exited: asyncio.Future = self._loop.create_future()  #: resolves to the exit code
        self._on_message = on_message
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._conn, child_conn = ctx.Pipe()
        level = logging.getLogger().getEffectiveLevel()
        self.process = ctx.Process(target=run_worker, name=f"dream-worker-{slot}", daemon=True,
                                   args=(child_conn, weights, gpu, level))
        self.process.start()
        child_conn.close()  # so that the worker's death reads as end-of-file here
        self._writer = threading.Thread(target=self._write, name=f"dream-writer-{slot}",
                                        daemon=True)
        self._writer.start()
        threading.Thread(target=self._read, name=f"dream-reader-{slot}", daemon=True).start()

    def send(self, msg: tuple) -> None:
        self._outbox.put(msg)

    def describe_exit(self) -> str:
        """How the process ended, for logs and `WorkerCrashed`."""
        exitcode = self.exited.result()
        if exitcode is not None and exitcode < 0:
            name = signal.Signals(-exitcode).name
            hint = ", perhaps out of memory" if -exitcode == signal.SIGKILL else ""
            return f"worker process killed by {name}{hint}"
        return f"worker process exited with code {exitcode}"

    def kill(self) -> None:
        """SIGKILL the process, unless it has ended; its exit arrives as usual."""
        if not self.exited.done():
            self.process.kill()  # sends only while the process is not reaped

    def _write(self) -> None:
        while (msg := self._outbox.get()) is not None:
            try:
                self._conn.send(msg)
            except OSError:
                return  # the worker died; the reader reports it

    def _read(self) -> None:
        try:
            while True:
                msg = self._conn.recv()
                if msg[0] in ("fatal", "error"):
                    msg = (*msg[:-1], unpack_error(msg[-1]))
                self._post(msg)
        except (EOFError, OSError):
            pass
        except Exception:  # a message we cannot read: the worker is no longer trustworthy
            log.exception("worker %d sent an unreadable message; killing it", self.slot)
            self.kill()
        self.process.join(timeout=10)
        self.kill()  # closed its pipe but hangs on exit
        self.process.join()
        self._outbox.put(None)
        self._writer.join()  # a send to a dead worker fails at once
        self._conn.close()
        self._post(("exit", self.process.exitcode))

    def _post(self, msg: tuple) -> None:
        try:
            self._loop.call_soon_threadsafe(self._deliver, msg)
        except RuntimeError:
            pass  # the loop is closed: nobody is waiting for this worker any more

    def _deliver(self, msg: tuple) -> None:
        if msg[0] == "exit":
            self.exited.set_result(msg[1])
        self._on_message(self, msg)
