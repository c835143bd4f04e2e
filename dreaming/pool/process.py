"""The parent's side of one worker process, and the GPUs there are to give them.

`WorkerProcess` starts a process running `dreaming.pool.worker.run_worker` and carries
the messages of `dreaming.pool.protocol` both ways without ever blocking the event loop:
a writer thread sends, a reader thread receives and hands each message to the pool's
`on_message(worker, msg)` on the loop. The reader lets only the worker's message types
through: anything else (a stale or foreign object) gets the worker killed. Last of all,
once the process has ended, comes `WorkerExited(exitcode)`.

The pool drives each worker's `WorkerState`: it moves `state` as messages arrive, and
its commands (`run`, `drop_job`, `stop`, `kill`) send the matching message and move it.
"""
from __future__ import annotations

import asyncio
import logging
import os
import queue
import shutil
import signal
import subprocess
import threading
from typing import Any, Callable

from dreaming.jobs import DreamJob
from dreaming.pool.protocol import (
    CancelJob, FromWorker, RunJob, Stop, ToWorker, WorkerExited, WorkerState,
)
from dreaming.pool.worker import run_worker

log = logging.getLogger(__name__)

#: what the pool's `on_message` receives: a worker's message, or its end
Message = FromWorker | WorkerExited
#: `describe_exit` of a worker killed for a message outside the protocol
BROKE_PROTOCOL = "it sent a message outside the protocol"


class WorkerProcess:
    """One worker process, its pipe, and a reader and a writer thread.

    Args:
        slot: the pool's number for this worker (0..size-1), also in its process name.
        ctx: a `multiprocessing` context, which makes the process and the pipe.
        weights, gpu: passed to `run_worker`; `gpu` None leaves `CUDA_VISIBLE_DEVICES` be.
        on_message: called on the event loop with `(self, msg)` for each `Message`.

    Must be made on the running event loop that will receive its messages.
    """

    def __init__(self, slot: int, *, ctx: Any, weights: str, gpu: str | None,
                 on_message: Callable[[WorkerProcess, Message], None]) -> None:
        self.slot, self.gpu = slot, gpu
        self.state = WorkerState.starting  #: moved by the pool and by the commands below
        self.job_id: str | None = None  #: the job the worker is on, as the pool sees it
        self._loop = asyncio.get_running_loop()
        self.exited: asyncio.Future = self._loop.create_future()  #: resolves to the exit code
        self._on_message = on_message
        self._kill_reason: str | None = None
        self._outbox: queue.SimpleQueue[ToWorker | None] = queue.SimpleQueue()
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

    def run(self, job: DreamJob) -> None:
        """Give the (idle) worker `job`: it becomes `busy` with it."""
        self.state, self.job_id = WorkerState.busy, job.job_id
        self._outbox.put(RunJob(job))

    def drop_job(self) -> None:
        """Tell the worker to stop its job between two steps: it becomes `draining`."""
        if self.job_id is not None:
            self._outbox.put(CancelJob(self.job_id))
        self.state = WorkerState.draining

    def stop(self) -> None:
        """Ask the worker to exit: its job (if any) is cancelled first. One still loading
        its model is killed, as there is nothing warm to save yet."""
        if self.job_id is not None:
            self._outbox.put(CancelJob(self.job_id))
        self._outbox.put(Stop())
        if self.state is WorkerState.starting:
            self.kill()

    def kill(self, reason: str | None = None) -> None:
        """SIGKILL the process, unless it has ended; its exit arrives as usual.
        `reason`, if given, is what `describe_exit` will say."""
        if not self.exited.done():
            self._kill_reason = self._kill_reason or reason
            self.process.kill()  # sends only while the process is not reaped

    def describe_exit(self) -> str:
        """How the process ended, for logs and `WorkerCrashed`; only once `exited` is done."""
        exitcode = self.exited.result()
        if self._kill_reason is not None:
            return f"worker process killed: {self._kill_reason}"
        if exitcode is not None and exitcode < 0:
            name = signal.Signals(-exitcode).name
            hint = ", perhaps out of memory" if -exitcode == signal.SIGKILL else ""
            return f"worker process killed by {name}{hint}"
        return f"worker process exited with code {exitcode}"

    def _write(self) -> None:
        while (msg := self._outbox.get()) is not None:
            try:
                self._conn.send(msg)
            except OSError:
                return  # the worker died; the reader reports it

    def _read(self) -> None:
        try:
            while isinstance(msg := self._conn.recv(), FromWorker):
                self._post(msg)
            log.error("worker %d sent %r, which the protocol lacks; killing it", self.slot, msg)
            self.kill(BROKE_PROTOCOL)
        except (EOFError, OSError):
            pass
        except Exception:  # a message we cannot even unpickle
            log.exception("worker %d sent an unreadable message; killing it", self.slot)
            self.kill(BROKE_PROTOCOL)
        self._reap()

    def _reap(self) -> None:
        """Wait for the process to end, close the pipe, and post `WorkerExited`."""
        self.process.join(timeout=10)
        self.kill()  # closed its pipe but hangs on exit
        self.process.join()
        self._outbox.put(None)
        self._writer.join()  # a send to a dead worker fails at once
        self._conn.close()
        self._post(WorkerExited(self.process.exitcode))

    def _post(self, msg: Message) -> None:
        try:
            self._loop.call_soon_threadsafe(self._deliver, msg)
        except RuntimeError:
            pass  # the loop is closed: nobody is waiting for this worker any more

    def _deliver(self, msg: Message) -> None:
        if isinstance(msg, WorkerExited):
            self.exited.set_result(msg.exitcode)
        self._on_message(self, msg)


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
