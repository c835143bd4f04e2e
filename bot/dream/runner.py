"""One dream from request to reply: server rules, resolve settings, fetch, queue, report, deliver.

Written once for `!dream`, `/dream`, the buttons and jobs recovered after a restart;
`admission.py` applies the server's rules, `replies.py` says where messages go. Every
failure ends in one clear reply; the event loop never waits on image work.
"""
from __future__ import annotations

import asyncio
import contextvars
import io
import logging
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp
import discord

from dreaming import images
from dreaming.errors import Cancelled, Interrupted
from dreaming.images import MIN_LIMIT_BYTES
from dreaming.jobs import DreamJob, DreamResult, JobStatus
from dreaming.params import Clamp, DreamParams, check_guidable, option_field
from dreaming.pool import DreamPool, JobHandle
from dreaming.presets import Preset
from dreaming.resolve import resolve_request

from bot.dream import admission
from bot.dream import guide as guides
from bot.dream import messages
from bot.dream.animation import DreamForm, encoded, lowered_line, noise_size, sized, split_form
from bot.errors import reply_for
from bot.dream.fetch import ByteBudget, ImageRef, download
from bot.config import Config
from bot.moderation.guild_settings import GuildSettings, effective_caps
from bot.ops.logs import job_id_var
from bot.ops.metrics import Metrics
from bot.dream.options import parse_dream_args, settings_line
from bot.dream.progress import ProgressReporter
from bot.dream.request import DreamRequest
from bot.models import check_model, with_default_model
from bot.dream.views import cancel_view, result_view
from bot.dream.waiting import WaitingLine
from bot.store import Store, StoredJob, params_from_dict, params_to_dict

if TYPE_CHECKING:

    from bot.dream.replies import ChannelReplies, InteractionReplies, MessageReplies

    Replies = MessageReplies | InteractionReplies | ChannelReplies

log = logging.getLogger(__name__)

SOURCES_KEPT = 2000
#: Uploads decoded at once in the bot process to check them: each holds a full RGB copy
#: (up to `limits.max_megapixels` x 3 bytes), so a burst of uploads must not decode all at once.
DECODES_AT_ONCE = 2
#: uploads of one result before giving up on 413 (each half the size of the one refused)
UPLOAD_ATTEMPTS = 8


@dataclass
class _Job:
    job_id: str
    user_id: int
    durable: bool = False  #: written to the store: its answer must win `claim_delivery`
    acked: bool = False  #: the member was told it is queued: what follows is the job's outcome
    answered: bool = False  #: its answer went out; nothing else may be posted for it
    claimed: bool = False  #: this run won `claim_delivery`: its answer (result or error) is ours to post
    work: float = 0.0  #: its estimated units of work, once its image is known
    clamps: list[Clamp] = field(default_factory=list)  #: what its image's work bound changed (the size)
    note: str | None = None  #: why its image was padded, if it was
    form: DreamForm = DreamForm()  #: from noise? an animation's format? (its settings line says)
    guided: bool = False  #: steered by a guide image (its reply says so)


class DreamRunner:
    """Runs requests against the bot's pool; keeps track of whose jobs are live.

    Every accepted job is written to the store before it is acknowledged, and its one
    answer (result, error or notice) is posted only by whoever wins `claim_delivery`, so
    a job recovered after a restart is never answered twice.
    """

    def __init__(self, *, config: Config, pool: DreamPool, store: Store, presets: Mapping[str, Preset],
                 metrics: Metrics, http: aiohttp.ClientSession):
        self.config, self.pool, self.store, self.presets = config, pool, store, presets
        self.metrics, self.http = metrics, http
        self.live: dict[int, set[str]] = {}  #: user id -> their queued/running job ids
        #: result message id -> the image it was dreamt from, for Reroll (recent ones only)
        self.sources: OrderedDict[int, ImageRef] = OrderedDict()
        #: result message id -> the guide that steered it, so its buttons dream with it too
        self.guides: OrderedDict[int, ImageRef] = OrderedDict()
        self._decodes = asyncio.Semaphore(DECODES_AT_ONCE)
        self.downloads = ByteBudget(int(config.limits.download_mb_in_flight * 2**20))
        self._submitted: set[str] = set()  #: live jobs the pool holds (or held)
        self.handles: dict[str, JobHandle] = {}  #: live jobs' handles, by job id
        self.line = WaitingLine(pool, config.dream.progress_interval)
        self._cancelled: set[str] = set()  #: live jobs cancelled, maybe before the pool had them
        self._in_flight = 0  #: requests between `run()` starting and its last reply

    async def run(self, request: DreamRequest, replies: "Replies") -> None:
        """Handle one new request to the end. Never raises: every outcome becomes a reply."""
        job = _Job(uuid.uuid4().hex[:12], request.user.id)
        await self._guard(job, replies, self._run(job, request, replies))

    async def resume(self, stored: StoredJob, replies: "Replies") -> None:
        """Run a job accepted before a restart again, fetching its image again. Never raises."""
        job = _Job(stored.job_id, stored.user_id, durable=True)
        await self._guard(job, replies, self._resume(job, stored, replies))

    async def rules_refusal(self, user: discord.abc.User, channel: discord.abc.Messageable) -> admission.Refusal | None:
        """The server's rules for `user` in `channel`, checked before an interaction is
        deferred, so that a refusal can be a note only they see."""
        origin = admission.Origin.of(user, channel.id, getattr(channel, "parent_id", None))
        return admission.refusal(await admission.settings_for(self.store, origin.guild_id, self.config.dm_settings), origin)

    def queue_text(self, user_id: int, slash: bool) -> str:
        """`/dream-queue`: where each of the member's dreams is, and how long the line is."""
        places = [messages.place(self.handles.get(job_id)) for job_id in sorted(self.live.get(user_id, ()))]
        return messages.queue_status(places, self.pool.stats().queued, slash, self.config.discord.text_prefix)

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
        """Cancel every live job of a user, those still downloading included; returns how many."""
        jobs = list(self.live.get(user_id, ()))
        self._cancelled.update(jobs)  # a job not in the pool yet stops before it is submitted
        return sum(self.pool.cancel(job_id) or job_id not in self._submitted for job_id in jobs)

    async def _guard(self, job: _Job, replies, work) -> None:
        job_id_var.set(job.job_id)  # every log line of this task, and its children, names the job
        self._in_flight += 1
        try:
            await work
        except Exception as exc:  # DreamError and bugs alike end as one reply
            if not job.answered:  # a store error after delivery is not a second outcome
                self.metrics.job_finished(JobStatus.of_error(exc).value, 0.0)
            await self._answer_failure(job, exc, replies)
        finally:
            self._in_flight -= 1
            self._submitted.discard(job.job_id)
            self.handles.pop(job.job_id, None)
            self._cancelled.discard(job.job_id)
            jobs = self.live.get(job.user_id)
            if jobs is not None:
                jobs.discard(job.job_id)
                if not jobs:
                    del self.live[job.user_id]

    async def _run(self, job: _Job, request: DreamRequest, replies) -> None:
        store = self.store
        origin = admission.Origin.of(request.user, replies.channel_id, replies.parent_id)
        settings = await admission.settings_for(store, origin.guild_id, self.config.dm_settings)
        refused = admission.refusal(settings, origin)
        if refused is not None:
            await replies.refuse(refused.text, silent=refused.silent)
            return
        # Everything that can refuse quickly runs before an interaction is deferred, so that
        # a refusal is a note only the member sees (a deferred answer would be public).
        presets = await admission.presets_for(store, self.presets, origin.guild_id, settings)
        options = request.options if request.args is None else parse_dream_args(request.args, frozenset(presets))
        options, form = split_form(options)  # from noise? an animation's file format?
        image = None if form.noise else request.image  # noise needs no image, not even a recent one
        if image is None and not form.noise:
            await replies.refuse(messages.usage(replies.slash, self.config.discord.text_prefix))
            return
        default_preset = admission.default_preset(settings.preset_for(origin.channel_id, origin.parent_id)
                                                  or self.config.dream.default_preset, presets)
        preset = presets.get(str(options.get("preset") or default_preset or ""))
        options = with_default_model(options, preset, self.config.pool.models)  # the operator's first
        params, clamps = resolve_request(options, presets, effective_caps(self.config.caps, settings),
                                         floors=self.config.floors, default_preset=default_preset)
        params = sized(params, options, form)  # animations and noise default smaller
        # a size cap above the smaller default did not apply: don't say it did
        clamps = [c for c in clamps if option_field(c.name) != "max_side" or c.used <= params.max_side]
        params = params.replace(precision=self.config.pool.precision)  # the operator's, not a member's
        check_model(params, self.config.pool.models, self.config.pool.class_model)
        if request.guide is not None:
            check_guidable(params)  # refused now, before the download and the quota
        admission.check_request(settings, params, len(self.live.get(job.user_id, ())),
                                self.config.pool.per_user)
        # Hold the member's pending slot from here: commands sent together must not all pass.
        self.live.setdefault(job.user_id, set()).add(job.job_id)
        await admission.check_limits(store, settings, origin, job.user_id)
        await replies.begin()  # from here on, the download and the dream take time
        handle = await self._queue(job, image, params, form, replies, request.guide)
        try:
            # Counted only once the pool took the job: a "busy" answer costs no quota.
            await admission.count_start(store, settings, origin, job.user_id)
            source = image or ImageRef("", "", 0)  # a dream from noise keeps no image
            await store.add_job(guild_id=origin.guild_id, user_id=job.user_id, attachment_url=source.url,
                                filename=source.filename, size=source.size,
                                settings={**params_to_dict(params), **form.stored(), **guides.stored(request.guide)},
                                job_id=job.job_id,
                                **replies.durable())
            job.durable = True
            sent = await self._follow(job, handle, clamps, replies, settings)
        finally:
            handle.cancel()  # no-op once it ended; frees the worker if replying failed
        if sent is not None:
            _remember(self.sources, sent.id, image)
            _remember(self.guides, sent.id, request.guide)

    async def _resume(self, job: _Job, stored: StoredJob, replies) -> None:
        params, form = params_from_dict(stored.settings), DreamForm.of_stored(stored.settings)
        settings = await admission.settings_for(self.store, stored.guild_id, self.config.dm_settings)
        image = None if form.noise else ImageRef(stored.attachment_url, stored.filename, stored.size)
        handle = await self._queue(job, image, params, form, replies, guides.of_stored(stored.settings))
        try:
            await self._follow(job, handle, [], replies, settings)
        finally:
            handle.cancel()

    async def _queue(self, job: _Job, image: ImageRef | None, params: DreamParams, form: DreamForm,
                     replies, guide: ImageRef | None = None) -> JobHandle:
        """Download the attachment (none for a dream from noise), check it, and submit the job,
        holding a place in the pool all along: a busy pool refuses before a byte is downloaded,
        and the bytes held in downloads across all users stay within the operator's budget."""
        limits = self.config.limits
        max_bytes, max_pixels = int(limits.max_attachment_mb * 2**20), int(limits.max_megapixels * 1e6)
        with self.pool.place():
            if image is None:  # a dream from noise: the worker draws its start from the seed
                data, size = b"", noise_size(params)
            else:
                data, size = await self._fetch(image, params.max_side, max_bytes, max_pixels)
            guide_data = None if guide is None else await guides.fetch_guide(
                self._fetch, guide, params.max_side, max_bytes, max_pixels)
            job.guided = guide is not None
            if job.job_id in self._cancelled:  # cancelled while it downloaded
                raise Cancelled()
            params, work, job.clamps = admission.check_work(size, params, self.config)
            if image is None:  # noise drawn at the size it is dreamt at, as `size=` replays it
                size = noise_size(params)
            job.form = form
            job.work, job.note = work.units, work.plan.note
            handle = self.pool.submit(DreamJob(job.job_id, job.user_id, data, params, max_pixels=max_pixels,
                                               work=work.units, guide=guide_data,
                                               **form.job_fields(size, params, _upload_limit(replies))))
        self._submitted.add(job.job_id)
        self.handles[job.job_id] = handle
        self.live.setdefault(job.user_id, set()).add(job.job_id)
        log.info("job %s: queued for user %s at #%d", job.job_id, job.user_id, handle.position)
        return handle

    async def _fetch(self, image: ImageRef, max_side: int, max_bytes: int, max_pixels: int) -> tuple[bytes, tuple[int, int]]:
        """The attachment's bytes and its (height, width) as it will be dreamt."""
        async with self.downloads.share(max_bytes):  # the most it may be: sizes can lie
            data = await download(self.http, image, max_bytes)
            async with self._decodes:  # decoded once, so a bad file is refused before it queues
                decoded = await asyncio.to_thread(images.decode, data, max_pixels=max_pixels, max_side=max_side)
        return data, (decoded.height, decoded.width)

    async def _follow(self, job: _Job, handle: JobHandle, clamps: list[Clamp], replies,
                      settings: GuildSettings) -> discord.Message | None:
        """Acknowledge, report progress, deliver: the user's view of one queued job."""
        # The store knows the job runs from the moment a worker takes it (at once, if one
        # already has): a job that kills the host before its first progress still counts.
        recorded = []
        handle.on_running(lambda: recorded.append(asyncio.create_task(self.store.mark_running(job.job_id))))
        view = cancel_view(handle.job_id, job.user_id)

        def queued_text(position: int, eta_s: float | None) -> str:
            return messages.queued(position, replies.slash, self.config.discord.text_prefix, eta_s)

        await replies.ack(queued_text(handle.position, self.line.eta(handle)), view)
        job.acked = True
        waiting = asyncio.create_task(self.line.keep_true(handle, replies, view, queued_text))
        reporter = ProgressReporter(replies, self.config.dream.progress_interval, view,
                                     on_start=lambda: asyncio.gather(*recorded))
        # Progress comes from the pool's own task: report it in this request's context (its language).
        context = contextvars.copy_context()
        handle.on_progress(lambda progress: context.run(reporter.update, progress))
        try:
            result = await handle.result()
        finally:
            waiting.cancel()
            await reporter.stop()
            await asyncio.gather(waiting, *recorded, return_exceptions=True)
        self.line.finished(result.seconds, job.work)
        return await self._deliver(job, result, clamps, replies, settings)

    async def _deliver(self, job: _Job, result: DreamResult, clamps: list[Clamp],
                       replies, settings: GuildSettings) -> discord.Message | None:
        """Post the result within the upload limit: PNG, else JPEG, else downscaled.

        The limit the bot knows is a guess for prefix commands (discord.py infers it from the
        server's boost tier), so a 413 answer is not the end: the image is encoded again for
        half the refused size, until it fits. None if another run already answered the job.
        """
        config = self.config
        reminder = config.dream.privacy_reminder if settings.privacy_reminder is None else settings.privacy_reminder
        notes = "\n".join(line for line in (job.note, lowered_line(result), guides.guided_line(job.guided))
                          if line)  # padded; lowered to fit; guided
        text = messages.result(settings_line(result.params, job.form), messages.clamps(clamps + job.clamps), reminder,
                               notes or None)
        if not await self._claim(job):
            return None
        limit = _upload_limit(replies)
        attempt = 1
        while True:  # an animation comes encoded within the limit from its worker
            data, ext = encoded(result) or await asyncio.to_thread(self._still_file, result, limit)
            file = discord.File(io.BytesIO(data), filename=f"dream-{job.job_id}{ext}",
                                spoiler=settings.spoiler_results)
            try:
                sent = await replies.deliver(text, file, result_view(job.user_id), job_id=job.job_id)
            except discord.HTTPException as exc:
                self.metrics.discord_api_error(exc.status)
                smaller = len(data) // 2
                if exc.status != 413 or attempt == UPLOAD_ATTEMPTS or smaller < MIN_LIMIT_BYTES or result.animation:
                    raise
                log.info("job %s: %d bytes refused as too large; trying %d", job.job_id, len(data), smaller)
                attempt, limit = attempt + 1, smaller
            else:
                log.info("job %s: delivered %s (%d bytes) in %.1f s", job.job_id, ext, len(data), result.seconds)
                self.metrics.job_finished(JobStatus.done.value, result.seconds, job.work)
                job.answered = True
                await self.store.mark_finished(job.job_id, JobStatus.done.value, sent.id)
                return sent

    @staticmethod
    def _still_file(result: DreamResult, limit: int) -> tuple[bytes, str]:
        data, fmt, _size = images.encode_within(result.image, limit)
        return data, images.extension_for(fmt)

    async def _claim(self, job: _Job) -> bool:
        """Whether this run may post the job's answer (always, for jobs never stored)."""
        if not job.durable or job.claimed:
            return True
        if await self.store.claim_delivery(job.job_id):
            job.claimed = True
            return True
        log.warning("job %s: already answered before; not answering again", job.job_id)
        return False

    async def _answer_failure(self, job: _Job, exc: Exception, replies) -> None:
        if job.answered:  # e.g. the store failed after the result was posted
            log.error("job %s: failed after its answer was posted", job.job_id, exc_info=exc)
            return
        if isinstance(exc, Interrupted) and job.durable:
            # A graceful shutdown: the job is kept (paused) for the next start, which runs it
            # and answers it; a deploy costs it no attempt. This is a status update, not the
            # job's answer: nothing is claimed.
            try:
                await self.store.mark_paused(job.job_id)
            except Exception:
                log.exception("job %s: could not keep it for the restart", job.job_id)
            try:
                await replies.progress(messages.PAUSED_FOR_RESTART)
            except discord.HTTPException:
                log.info("job %s: could not say it waits for the restart", job.job_id)
            return
        text = reply_for(exc, job_id=job.job_id)
        try:
            claimed = await self._claim(job)
            if claimed and not job.acked:  # a refusal: only the member sees it, where that can be
                await replies.refuse(text)
            elif claimed:  # the outcome of a job they saw queued: where they saw it
                await replies.fail(text, job_id=job.job_id)
        except discord.HTTPException as http_error:
            self.metrics.discord_api_error(http_error.status)
            log.warning("job %s: could not send the failure reply", job.job_id)
        except Exception:
            log.exception("job %s: could not answer the failure", job.job_id)
        if job.durable:
            status = JobStatus.of_error(exc).value
            try:
                await self.store.mark_finished(job.job_id, status)
            except Exception:
                log.exception("job %s: could not record it as %s", job.job_id, status)


def _upload_limit(replies) -> int:
    """The most bytes a result may take here: the server's upload limit, less headroom for
    how the server counts."""
    return int(replies.filesize_limit * 0.98)


def _remember(kept: OrderedDict[int, ImageRef], message_id: int, image: ImageRef | None) -> None:
    """Keep what made a result (its image, its guide) for its buttons: the newest only."""
    if image is not None:
        kept[message_id] = image
        while len(kept) > SOURCES_KEPT:
            kept.popitem(last=False)
