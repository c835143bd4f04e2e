"""Progress edits are throttled for Discord's rate limits: tested on a driven clock, so the
result is the same on a machine of any speed."""
from __future__ import annotations

import asyncio

import pytest

from bot.dream.progress import ProgressReporter
from bot.dream.waiting import WaitingLine
from dreaming.jobs import DreamJob, Progress
from dreaming.params import DreamParams
from dreaming.pool import DreamPool


class Clock:
    """Time that moves only when the code under test sleeps (or the test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)  # let the test interleave, as a real sleep would


class StatusMessage:
    """The replies interface as the reporter uses it: each edit is kept with its time."""

    def __init__(self, clock: Clock) -> None:
        self.clock, self.edits = clock, []

    async def progress(self, text: str, view=None) -> None:
        self.edits.append((self.clock(), text))


def step(n: int, of: int = 40) -> Progress:
    return Progress(octave=1, octaves=1, step=n, steps=of, done=n / of, eta_s=of - n, loss=0.0)


async def test_edits_are_at_least_an_interval_apart_and_show_the_latest():
    clock, started = Clock(), []
    status = StatusMessage(clock)
    reporter = ProgressReporter(status, 3.0, None, lambda: started.append(True) or asyncio.sleep(0),
                                clock=clock, sleep=clock.sleep)
    for n in range(1, 41):  # a progress message every 0.25 s of driven time
        reporter.update(step(n))
        clock.now += 0.25
        await asyncio.sleep(0)
    await reporter.task

    times = [t for t, _ in status.edits]
    assert started == [True], "the job is recorded as running once, before the first edit"
    assert len(times) >= 3, status.edits
    assert all(b - a >= 3.0 for a, b in zip(times, times[1:])), times
    assert "octave 1/1 · 100%" in status.edits[-1][1], "the last edit shows the latest progress"


async def test_the_first_progress_shows_at_once():
    clock = Clock()
    status = StatusMessage(clock)
    reporter = ProgressReporter(status, 3.0, None, lambda: asyncio.sleep(0), clock=clock, sleep=clock.sleep)
    reporter.update(step(1))
    await reporter.task
    assert [t for t, _ in status.edits] == [1000.0]


async def test_stop_drops_a_pending_edit():
    clock = Clock()
    status = StatusMessage(clock)
    hold = asyncio.Event()

    async def never(seconds: float) -> None:  # a pending edit waits here until stopped
        await hold.wait()

    reporter = ProgressReporter(status, 3.0, None, lambda: asyncio.sleep(0), clock=clock, sleep=never)
    reporter.update(step(1))
    await reporter.task
    reporter.update(step(2))  # within the interval: waits
    await asyncio.sleep(0)
    await reporter.stop()
    assert len(status.edits) == 1, "no progress lands after stop (the result comes next)"


async def test_the_wait_estimate_is_the_work_ahead_at_the_recent_rate():
    pool = DreamPool(workers=2, max_queue=10, per_user=5)  # never started: jobs only wait
    line = WaitingLine(pool, interval=3.0)
    ann = pool.submit(DreamJob("ann", "ann", b"png", DreamParams(), work=6.0))
    bob = pool.submit(DreamJob("bob", "bob", b"png", DreamParams(), work=2.0))
    assert line.eta(bob) is None, "no estimate before any dream finished"
    line.finished(10.0, 4.0)
    line.finished(20.0, 6.0)  # recent dreams: 3 s per unit of work

    # ann's 6 units ahead of bob, shared by 2 workers, then bob's own 2 units.
    assert line.eta(bob) == pytest.approx(3.0 * (6.0 / 2 + 2.0))
    assert line.eta(ann) == pytest.approx(3.0 * 6.0)
    assert pool._queue.pop() is ann  # as a worker takes it: what is left of it is still ahead
    ann.mark_running()
    ann.report(Progress(octave=1, octaves=1, step=1, steps=2, done=0.5, eta_s=None, loss=0.0))
    assert line.eta(bob) == pytest.approx(3.0 * (3.0 / 2 + 2.0))
    pool.cancel("ann")
    assert line.eta(bob) == pytest.approx(3.0 * 2.0)
    await pool.close(grace=0)
    assert line.eta(bob) is None  # not waiting any more: progress has its own estimate
