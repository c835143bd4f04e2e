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
from dreaming.jobs import DreamJob, DreamResult, Progress
from dreaming.params import Clamp
from dreaming.settings import resolve_request

from . import messages
from .errors import reply_for
from .fetch import ImageRef, download

if TYPE_CHECKING:
    from .app import DreamBot
    from .replies import InteractionReplies, MessageReplies

log = logging.getLogger(__name__)

SOURCES_KEPT = 2000


@dataclass
class DreamRequest:
    """What a user asked for, before anything is checked."""

    user: discord.abc.User
    image: ImageRef | None
    options: dict[str, object] = field(default_factory=dict)
    #: a result image to dream deeper ("Dream again"): bytes instead of a download
    image_bytes: bytes | None = None


class DreamRunner:
    """Runs requests against the bot's pool; keeps track of whose jobs are live."""

    def __init__(self, bot: "DreamBot"):
        self.bot = bot
        self.live: dict[int, set[str]] = {}  #: user id -> their queued/running job ids
        #: result message id -> the image it was dreamt from, for Reroll (recent ones only)
        self.sources: OrderedDict[int, ImageRef] = OrderedDict()

    async def run(self, request: DreamRequest, replies: "MessageReplies | InteractionReplies") -> None:
        """Handle one request to the end. Never raises: every outcome becomes a reply."""
        job_id = uuid.uuid4().hex[:12]
        try:
            await self._run(job_id, request, replies)
        except Exception as exc:  # DreamError and bugs alike end as one reply
            text = reply_for(exc, job_id=job_id)
            try:
                await replies.fail(text)
            except discord.HTTPException:
                log.warning("job %s: could not send the failure reply", job_id)
        finally:
            self.live.get(request.user.id, set()).discard(job_id)

    def cancel_user(self, user_id: int) -> int:
        """Cancel every live job of a user; returns how many were cancelled."""
        return sum(self.bot.pool.cancel(job_id) for job_id in list(self.live.get(user_id, ())))

    async def _run(self, job_id: str, request: DreamRequest, replies) -> None:
        config = self.bot.config
        params, clamps = resolve_request(request.options, self.bot.presets, config.caps)
        data = request.image_bytes
        if data is None:
            max_bytes = int(config.limits.max_attachment_mb * 2**20)
            data = await download(self.bot.http_session, request.image, max_bytes)
        # Decoding checks the whole file now, so a bad one is refused before it queues.
        await asyncio.to_thread(images.decode, data, max_pixels=int(config.limits.max_megapixels * 1e6),
                                max_side=params.max_side)
        handle = self.bot.pool.submit(DreamJob(job_id, request.user.id, data, params))
        self.live.setdefault(request.user.id, set()).add(job_id)
        log.info("job %s: queued for user %s at #%d", job_id, request.user.id, handle.position)
        from .views import cancel_view  # views import the runner's callers; avoid a cycle
        view = cancel_view(job_id, request.user.id)
        await replies.ack(messages.queued(handle.position, config.discord.prefix), view)
        reporter = _ProgressReporter(replies, config.dream.progress_interval, view)
        handle.on_progress(reporter.update)
        try:
            result = await handle.result()
        finally:
            reporter.stop()
        sent = await self._deliver(job_id, result, clamps, replies, request.user.id)
        if request.image is not None:
            self.sources[sent.id] = request.image
            while len(self.sources) > SOURCES_KEPT:
                self.sources.popitem(last=False)

    async def _deliver(self, job_id: str, result: DreamResult, clamps: list[Clamp],
                       replies, owner_id: int) -> discord.Message:
        limit = int(replies.filesize_limit * 0.98)  # multipart framing counts too
        data, fmt, _size = await asyncio.to_thread(images.encode_within, result.image, limit)
        from .views import result_view
        text = messages.result(result.params.describe(), messages.clamps(clamps),
                               self.bot.config.dream.privacy_reminder)
        file = discord.File(io.BytesIO(data), filename=f"dream-{job_id}{images.extension_for(fmt)}")
        sent = await replies.deliver(text, file, result_view(owner_id))
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

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
