"""Durable jobs as plain records, and what to do with each after a restart.

A job is written when the bot accepts it and before it says so, moves
queued → running → one of the final statuses, and is answered at most once: whoever
posts an answer (result, error or notice) first wins `Store.claim_delivery`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
import json
from datetime import datetime, timezone
from typing import Literal

from dreaming.jobs import LIVE
from dreaming.layers import LayerTerm
from dreaming.params import DreamParams, validate

#: a job that was running when the bot died twice is not tried a third time
MAX_ATTEMPTS = 2
#: a job still queued when the bot died this often is given up: something in it (its
#: download, its decode) may be what kills the bot. Graceful restarts don't count.
MAX_RESUMES = 3

Recovery = Literal["resume", "rerun", "interrupted", "undelivered"]


@dataclass(frozen=True)
class StoredJob:
    """One accepted job as the database holds it."""

    job_id: str
    guild_id: int | None  #: None in direct messages
    channel_id: int
    user_id: int
    message_id: int | None  #: the `!dream` message, to reply to
    #: when the slash command was used: its follow-ups work for 15 minutes after
    interaction_created_at: datetime | None
    attachment_url: str = field(repr=False)  # signed CDN links; kept out of logs
    filename: str
    size: int
    settings: dict  #: the resolved `DreamParams`, as `params_to_dict` wrote it
    status: str
    attempts: int  #: how many times it started running (a graceful shutdown takes its start back)
    resumes: int  #: how many times it was resumed after the bot died with it queued
    delivered: bool  #: an answer was claimed; never post another
    result_message_id: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> StoredJob:
        """A job from its database row (times are stored as UTC timestamps, settings as JSON)."""
        values = dict(row)
        for key in ("created_at", "updated_at", "interaction_created_at"):
            stamp = values[key]
            values[key] = datetime.fromtimestamp(stamp, timezone.utc) if stamp is not None else None
        values["settings"] = json.loads(values["settings"])
        values["delivered"] = bool(values["delivered"])
        return cls(**values)


def recovery_action(job: StoredJob) -> Recovery:
    """What startup recovery does with an unfinished job.

    "resume": it never ran, or a graceful shutdown paused it; submit it again
    (fetching its attachment again).
    "rerun": it was running when the bot died; run it once more.
    "interrupted": it already ran `MAX_ATTEMPTS` times, or was resumed `MAX_RESUMES`
    times after the bot died with it queued; mark it interrupted and tell the user.
    "undelivered": its answer was claimed but the bot died before it was recorded as
    posted (a kill mid-upload); tell the user it may be missing, never post it twice.
    """
    if job.status not in LIVE:
        raise ValueError(f"job {job.job_id} is {job.status}, not unfinished")
    if job.delivered:
        return "undelivered"
    if job.status == "paused":
        return "resume"
    if job.status == "queued":
        return "resume" if job.resumes < MAX_RESUMES else "interrupted"
    return "rerun" if job.attempts < MAX_ATTEMPTS else "interrupted"


def params_to_dict(params: DreamParams) -> dict:
    """`params` as JSON-ready data, for `Store.add_job(settings=...)`."""
    return dataclasses.asdict(params)


def params_from_dict(data: Mapping[str, object]) -> DreamParams:
    """The `DreamParams` a stored job runs with; keys this version doesn't know are dropped.

    Raises `BadParam` or `UnknownLayer` if the stored values are no longer valid.
    """
    known = {f.name for f in dataclasses.fields(DreamParams)}
    values = {key: value for key, value in data.items() if key in known}
    if "layers" in values:
        term_fields = {f.name for f in dataclasses.fields(LayerTerm)}
        values["layers"] = tuple(LayerTerm(**{k: v for k, v in term.items() if k in term_fields})
                                 for term in values["layers"])
    return validate(DreamParams(**values))
