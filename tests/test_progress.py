"""Progress edits are throttled for Discord's rate limits: tested on a driven clock, so the
result is the same on a machine of any speed."""
from __future__ import annotations

import asyncio

from bot.dream.progress import ProgressReporter
from bot.dream.waiting import WaitingLine
from dreaming.jobs import Progress


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


def test_the_wait_estimate_comes_from_recent_dreams_and_the_workers():
    line = WaitingLine(workers=2, interval=3.0)
    assert line.eta(3) is None, "no estimate before any dream finished"
    for seconds in (10.0, 20.0, 30.0):
        line.finished(seconds)
    assert line.eta(0) is None  # already running: progress has its own estimate
    assert line.eta(1) == 30.0  # half a round ahead of it, then its own dream (mean 20 s)
    assert line.eta(4) == 60.0
