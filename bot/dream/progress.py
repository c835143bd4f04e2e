"""Progress of a running dream on its status message, throttled for Discord's rate limits."""
from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

import discord

from dreaming.jobs import Progress

from bot.dream import messages

log = logging.getLogger(__name__)


class ProgressReporter:
    """Edits the status message with progress, at most once every `interval` seconds.

    `on_start` (recording that the job runs) is awaited once, before the first edit, so
    a user who saw progress can rely on the job being known as running. `clock` and
    `sleep` are the time it runs on (a test drives them instead of waiting).
    """

    def __init__(self, replies, interval: float, view: discord.ui.View | None, on_start, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.replies, self.interval, self.view = replies, interval, view
        self.clock, self.sleep = clock, sleep
        self.last = -math.inf  # the first progress shows at once
        self.task: asyncio.Task | None = None
        self.latest: Progress | None = None
        self._on_start, self._started = on_start, False

    def update(self, progress: Progress) -> None:
        self.latest = progress
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._edit())

    async def started(self) -> None:
        if not self._started:
            self._started = True
            try:
                await self._on_start()
            except Exception:  # the dream goes on; a restart would only resume it instead of re-running it
                log.exception("could not record that a job started running")

    async def _edit(self) -> None:
        await self.started()
        wait = self.last + self.interval - self.clock()
        if wait > 0:
            await self.sleep(wait)
        self.last = self.clock()
        try:
            await self.replies.progress(messages.progress(self.latest), self.view)
        except discord.HTTPException as exc:
            log.debug("progress edit failed: %s", exc)

    async def stop(self) -> None:
        """Cancel a pending edit and wait for it, so no progress lands after the result."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
