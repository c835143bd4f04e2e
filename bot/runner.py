"""One dream from request to reply: resolve settings, fetch, queue, report, deliver.

Written once for `!dream`, `/dream` and the buttons; `replies.py` says where messages
go. Every failure ends in one clear reply; the event loop never waits on image work.
"""
from __future__ import annotations

import asyncio
import io
import logging
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord

from dreaming import images
from dreaming.images_encode import MIN_LIMIT_BYTES
from dreaming.jobs import DreamJob, DreamResult, Progress
from dreaming.params import Clamp
from dreaming.settings import resolve_request

from . import messages
from .errors import reply_for
from .fetch import ImageRef, download
from .options import settings_line

if TYPE_CHECKING:
    from dreaming.handle import JobHandle

    from .app import DreamBot
    from .replies import InteractionReplies, MessageReplies

log = logging.getLogger(__name__)

SOURCES_KEPT = 2000
#: Uploads decoded at once in the bot process to check them: each holds a full RGB copy
#: (up to `limits.max_megapixels` x 3 bytes), so a burst of uploads must not decode all at once.
DECODES_AT_ONCE = 2
#: uploads of one result before giving up on 413 (each half the size of the one refused)
UPLOAD_ATTEMPTS = 8


@dataclass
class DreamRequest:
    """What a user asked for, before anything is checked."""

    user: discord.abc.User
    image: ImageRef
    options: dict[str, object] = field(default_factory=dict)


class DreamRunner:
    """Runs requests against the bot's pool; keeps track of whose jobs are live."""

    def __init__(self, bot: "DreamBot"):
        self.bot = bot
        self.live: dict[int, set[str]] = {}  #: user id -> their queued/running job ids
        #: result message id -> the image it was dreamt from, for Reroll (recent ones only)
        self.sources: OrderedDict[int, ImageRef] = OrderedDict()
        self._decodes = asyncio.Semaphore(DECODES_AT_ONCE)
        self._in_flight = 0  #: requests between `run()` starting and its last reply

    async def run(self, request: DreamRequest, replies: "MessageReplies | InteractionReplies") -> None:
        """Handle one request to the end. Never raises: every outcome becomes a reply."""
        job_id = uuid.uuid4().hex[:12]
        self._in_flight += 1
        try:
            await self._run(job_id, request, replies)
        except Exception as exc:  # DreamError and bugs alike end as one reply
            text = reply_for(exc, job_id=job_id)
            try:
                await replies.fail(text)
            except discord.HTTPException:
                log.warning("job %s: could not send the failure reply", job_id)
        finally:
            self._in_flight -= 1
            jobs = self.live.get(request.user.id)
            if jobs is not None:
                jobs.discard(job_id)
                if not jobs:
                    del self.live[request.user.id]

    def busy(self) -> bool:
        """Whether any request is still being handled (fetching, queued, dreaming or replying)."""
        return self._in_flight > 0

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight, at most `timeout` s; False if some still are."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.busy() and loop.time() < deadline:
            await asyncio.sleep(0.05)
        return not self.busy()

    def cancel_user(self, user_id: int) -> int:
        """Cancel every live job of a user; returns how many were cancelled."""
        return sum(self.bot.pool.cancel(job_id) for job_id in list(self.live.get(user_id, ())))

    async def _run(self, job_id: str, request: DreamRequest, replies) -> None:
        config = self.bot.config
        params, clamps = resolve_request(request.options, self.bot.presets, config.caps,
                                         default_preset=config.dream.default_preset)
        max_bytes = int(config.limits.max_attachment_mb * 2**20)
        data = await download(self.bot.http_session, request.image, max_bytes)
        # Decoding checks the whole file now, so a bad one is refused before it queues.
        async with self._decodes:
            await asyncio.to_thread(images.decode, data, max_pixels=int(config.limits.max_megapixels * 1e6),
                                    max_side=params.max_side)
        handle = self.bot.pool.submit(DreamJob(job_id, request.user.id, data, params))
        del data  # the job holds the bytes now; nothing else here needs them
        self.live.setdefault(request.user.id, set()).add(job_id)
        log.info("job %s: queued for user %s at #%d", job_id, request.user.id, handle.position)
        try:
            sent = await self._follow(handle, clamps, replies, request.user.id)
        finally:
            handle.cancel()  # no-op once it ended; frees the worker if replying failed
        self.sources[sent.id] = request.image
        while len(self.sources) > SOURCES_KEPT:
            self.sources.popitem(last=False)

    async def _follow(self, handle: JobHandle, clamps: list[Clamp], replies, owner_id: int) -> discord.Message:
        """Acknowledge, report progress, deliver: the user's view of one queued job."""
        from .views import cancel_view  # views import the runner's callers; avoid a cycle
        view = cancel_view(handle.job_id, owner_id)
        await replies.ack(messages.queued(handle.position, self.bot.config.discord.prefix), view)
        reporter = _ProgressReporter(replies, self.bot.config.dream.progress_interval, view)
        handle.on_progress(reporter.update)
        try:
            result = await handle.result()
        finally:
            await reporter.stop()
        return await self._deliver(handle.job_id, result, clamps, replies, owner_id)

    async def _deliver(self, job_id: str, result: DreamResult, clamps: list[Clamp],
                       replies, owner_id: int) -> discord.Message:
        """Post the result within the upload limit: PNG, else JPEG, else downscaled.

        The limit the bot knows is a guess for prefix commands (discord.py infers it from the
        server's boost tier), so a 413 answer is not the end: the image is encoded again for
        half the refused size, until it fits.
        """
        from .views import result_view
        text = messages.result(settings_line(result.params), messages.clamps(clamps),
                               self.bot.config.dream.privacy_reminder)
        limit = int(replies.filesize_limit * 0.98)  # headroom for how the server counts
        attempt = 1
        while True:
            data, fmt, _size = await asyncio.to_thread(images.encode_within, result.image, limit)
            file = discord.File(io.BytesIO(data), filename=f"dream-{job_id}{images.extension_for(fmt)}")
            try:
                sent = await replies.deliver(text, file, result_view(owner_id))
            except discord.HTTPException as exc:
                smaller = len(data) // 2
                if exc.status != 413 or attempt == UPLOAD_ATTEMPTS or smaller < MIN_LIMIT_BYTES:
                    raise
                log.info("job %s: %d bytes refused as too large; trying %d", job_id, len(data), smaller)
                attempt, limit = attempt + 1, smaller
            else:
                log.info("job %s: delivered %s (%d bytes) in %.1f s", job_id, fmt, len(data), result.seconds)
                return sent


class _ProgressReporter:
    """Edits the status message with progress, at most once every `interval` seconds."""

    def __init__(self, replies, interval: float, view: discord.ui.View):
        self.replies, self.interval, self.view = replies, interval, view
        self.last = 0.0
        self.task: asyncio.Task | None = None
        self.latest: Progress | None = None

    def update(self, progress: Progress) -> None:
        self.latest = progress
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._edit())

    async def _edit(self) -> None:
        wait = self.last + self.interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self.last = time.monotonic()
        try:
            await self.replies.progress(messages.progress(self.latest), self.view)
        except discord.HTTPException as exc:
            log.debug("progress edit failed: %s", exc)

    async def stop(self) -> None:
        """Cancel a pending edit and wait for it, so no progress lands after the result."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
