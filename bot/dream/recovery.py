"""After a restart: answer every job that was accepted but not answered, exactly once.

Run once the bot is ready (channels are known). For each unfinished job,
`recovery_action` decides: queued ones resume and jobs that were running run once
more, both fetching their attachment again; a job that already ran `MAX_ATTEMPTS`
times, or whose answer was claimed, is marked interrupted and its owner told once
(if the claim is still free). Answers go to the channel: a reply to the `!dream`
message if it still exists, else a message that mentions the owner, since an
interaction token does not outlive the process that would use it.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from dreaming.jobs import JobStatus

from bot.dream import messages
from bot.dream.replies import ChannelReplies, upload_limit
from bot.store import StoredJob, recovery_action

if TYPE_CHECKING:
    from bot.app import DreamBot

log = logging.getLogger(__name__)


async def recover_jobs(bot: "DreamBot", jobs: list[StoredJob]) -> int:
    """Resume, re-run or report `jobs` (the store's unfinished jobs, read before the bot
    connected, so none of them is this run's own); returns how many went back to the pool.

    Waits until the bot is ready. The resumed jobs run in tasks of their own (kept in
    `bot.recovered`), like new requests.
    """
    await bot.wait_until_ready()
    resumed = 0
    for job in jobs:
        try:  # one job's trouble must not strand the others until the next restart
            resumed += await _recover_one(bot, job)
        except Exception:
            log.exception("job %s: recovery failed; it stays in the database", job.job_id)
    if jobs:
        log.info("recovery: %d unfinished job(s), %d handed back to the pool", len(jobs), resumed)
    return resumed


async def _recover_one(bot: "DreamBot", job: StoredJob) -> int:
    """Hand one job back to the pool (1) or close it with a notice (0)."""
    action = recovery_action(job)
    replies = await _replies_for(bot, job)
    if replies is None:
        log.warning("job %s: channel %s is gone; marking it interrupted", job.job_id, job.channel_id)
        await bot.store.mark_finished(job.job_id, JobStatus.interrupted.value)
        return 0
    if action == "interrupted":
        await _tell_interrupted(bot, job, replies)
        return 0
    if action == "undelivered":
        await _tell_undelivered(bot, job, replies)
        return 0
    log.info("job %s: %s after restart (attempts so far: %d, resumes: %d)", job.job_id, action,
             job.attempts, job.resumes)
    await bot.store.mark_resumed(job.job_id)
    task = asyncio.create_task(bot.runner.resume(job, replies), name=f"recover-{job.job_id}")
    bot.recovered.add(task)
    task.add_done_callback(bot.recovered.discard)
    return 1


async def _tell_interrupted(bot: "DreamBot", job: StoredJob, replies: ChannelReplies) -> None:
    if await bot.store.claim_delivery(job.job_id):
        try:
            await replies.fail(messages.INTERRUPTED_BY_RESTART)
        except discord.HTTPException as exc:
            log.warning("job %s: could not tell its owner it was interrupted: %s", job.job_id, exc)
    await bot.store.mark_finished(job.job_id, JobStatus.interrupted.value)


async def _tell_undelivered(bot: "DreamBot", job: StoredJob, replies: ChannelReplies) -> None:
    """The answer was claimed, then the bot died before it was recorded as posted: it may
    or may not be there. Say so once; never post a second result."""
    try:
        await replies.fail(messages.MAYBE_UNDELIVERED)
    except discord.HTTPException as exc:
        log.warning("job %s: could not tell its owner the result may be missing: %s", job.job_id, exc)
    await bot.store.mark_finished(job.job_id, JobStatus.interrupted.value)


async def _replies_for(bot: "DreamBot", job: StoredJob) -> ChannelReplies | None:
    channel = bot.get_channel(job.channel_id)
    if channel is None:
        try:
            channel = await bot.fetch_channel(job.channel_id)
        except discord.HTTPException:
            return None
    return ChannelReplies(channel, job.user_id, job.message_id, upload_limit(channel))
