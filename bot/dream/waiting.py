"""The line a dream waits in, as the member sees it: their place kept true while it waits,
with an estimate from how long recent dreams took, and what `/dream-queue` shows."""
from __future__ import annotations

import asyncio
import statistics
from collections import deque
from collections.abc import Awaitable, Callable

import discord

from dreaming.jobs import JobStatus
from dreaming.pool import JobHandle

#: recent dreams whose times make the estimate
RECENT = 20


class WaitingLine:
    """Recent dream times of this bot's pool (`workers` dream at once), and the status
    messages of waiting jobs kept up to date, at most one edit every `interval` seconds."""

    def __init__(self, workers: int, interval: float,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.workers, self.interval, self.sleep = max(1, workers), interval, sleep
        self.recent: deque[float] = deque(maxlen=RECENT)

    def finished(self, seconds: float) -> None:
        """A dream took `seconds` on a worker."""
        self.recent.append(seconds)

    def eta(self, position: int) -> float | None:
        """Seconds until a job at `position` (1 = next) is done, once there is a history."""
        if not self.recent or position <= 0:
            return None
        return (position / self.workers + 1) * statistics.fmean(self.recent)

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
                    await replies.progress(text(position, self.eta(position)), view)
                except discord.HTTPException:
                    pass  # the next change tries again; the dream itself goes on
