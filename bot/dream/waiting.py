"""The line a dream waits in, as the member sees it: their place kept true while it waits,
with an estimate from the work ahead of it (`dreaming.cost`) and how fast recent dreams went,
and what `/dream-queue` shows."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import discord

from dreaming.cost import WorkRate
from dreaming.jobs import JobStatus
from dreaming.pool import JobHandle


class WaitingLine:
    """Recent seconds per unit of work of this bot's `pool`, and the status messages of
    waiting jobs kept up to date, at most one edit every `interval` seconds."""

    def __init__(self, pool, interval: float,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.pool, self.interval, self.sleep = pool, interval, sleep
        self.rate = WorkRate()  # the last few dreams' speed

    def finished(self, seconds: float, work: float) -> None:
        """A dream of `work` units took `seconds` on a worker."""
        self.rate.record(seconds, work)

    def eta(self, handle: JobHandle) -> float | None:
        """Seconds until a waiting job is done, once there is a history: the work ahead of it
        (waiting jobs, and what is left of running ones) shared by the workers, then its own."""
        per_unit = self.rate.seconds_per_unit()
        if per_unit is None or handle.position <= 0:
            return None
        ahead = self.pool.work_ahead(handle.job_id) / max(1, self.pool.size)
        return per_unit * (ahead + handle.job.work)

    async def keep_true(self, handle: JobHandle, replies, view: discord.ui.View | None,
                        text: Callable[[int, float | None], str]) -> None:
        """While `handle` waits, edit its status whenever its place changes (jobs ahead
        finished or were cancelled, or a newcomer's turn came first). Returns once it runs."""
        shown = handle.position
        while handle.status is JobStatus.queued:
            await self.sleep(self.interval)
            position = handle.position
            if handle.status is JobStatus.queued and position != shown:
                shown = position
                try:
                    await replies.progress(text(position, self.eta(handle)), view)
                except discord.HTTPException:
                    pass  # the next change tries again; the dream itself goes on
