"""What the bot's `RedisPool` and the remote workers agree on: names in Redis, events, limits.

arq carries the jobs: the bot enqueues `FUNCTION(job: DreamJob)` on the arq queue `QUEUE`
under the arq job id `arq_id(job_id)`; a worker returns one message of
`dreaming.pool.protocol` (`JobDone`, `JobFailed` or `JobCrashed`) as the arq result. Only
what arq has no word for travels beside it, all under the `dreambot:` prefix:

- `HEARTBEAT_PREFIX + worker id`: each worker's heartbeat, a JSON `WorkerInfo` written
  every `HEARTBEAT_S` with a time to live of `HEARTBEAT_TTL_S`: a worker that stops
  writing (killed, host lost) drops out of the list on its own;
- `EVENTS`: a pub/sub channel of JSON `Event`s: a worker took a job (`running`), its
  progress (`progress`, at most every `PROGRESS_INTERVAL` s), and its end (`ended`, once
  arq has stored the result). Events only make the bot quicker: it also polls arq's job
  status, so a lost event (Redis restarting) delays nothing for long.

Everything a job leaves in Redis has a time to live (`JOB_TTL_S`, `RESULT_TTL_S`) and the
bot deletes the result once read: nothing stays after a job ended. Images are capped
(`MAX_IMAGE_BYTES`, checked by the bot) and so are results (`MAX_RESULT_BYTES`, by the worker).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from arq.connections import RedisSettings

from dreaming.jobs import Progress
from dreaming.pool.protocol import PROGRESS_INTERVAL

__all__ = ["PROGRESS_INTERVAL"]

#: the arq queue (a sorted set) the bot enqueues on and the workers poll
QUEUE = "dreambot:queue"
#: the arq function name of a dream
FUNCTION = "dream"
#: pub/sub channel of `Event`s
EVENTS = "dreambot:events"
#: prefix of the heartbeat keys, one per worker process
HEARTBEAT_PREFIX = "dreambot:worker:"
#: seconds between two heartbeats of a worker
HEARTBEAT_S = 1.0
#: a worker whose heartbeat is older than this is gone
HEARTBEAT_TTL_S = 4.0
#: seconds a worker holds a job without renewing its claim: a worker killed mid-job
#: frees its job for another worker this long after its last renewal
LEASE_S = 5.0
#: runs of one job: a second worker gets a job whose first worker died, not a third
MAX_TRIES = 2
#: a job not started within this long expires (all workers gone for that long)
JOB_TTL_S = 3600
#: a result nobody read (the bot gone) is deleted after this long
RESULT_TTL_S = 900
#: largest uploaded image (and guide image, counted together) the bot sends through Redis
MAX_IMAGE_BYTES = 64 * 2**20
#: largest result (decoded pixels) a worker sends back
MAX_RESULT_BYTES = 96 * 2**20


def arq_id(job_id: str) -> str:
    """The arq job id of the pool's job `job_id`: stable, so a restarted bot finds its jobs."""
    return f"dream:{job_id}"


def job_id_of(arq_job_id: str) -> str | None:
    """The pool's job id in an arq job id, None for another application's job."""
    return arq_job_id[len("dream:"):] if arq_job_id.startswith("dream:") else None


def check_url(url: str) -> str | None:
    """What is wrong with a Redis URL, as a phrase; None if it will do."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("redis", "rediss"):
        return "must start with redis:// or rediss:// (TLS)"
    if not parts.hostname:
        return "must name a host"
    return None


def redis_settings(url: str) -> RedisSettings:
    """arq's connection settings for `redis://[:password@]host[:port][/db]` or `rediss://`
    (TLS, certificates checked). Raises `ValueError` for a URL `check_url` refuses."""
    problem = check_url(url)
    if problem is not None:
        raise ValueError(f"Redis URL {redact(url)} {problem}")
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout, settings.conn_retries = 3, 0
    if settings.ssl:
        settings.ssl_check_hostname = True
    return settings


def redact(url: str) -> str:
    """`url` with its password replaced by `***`, for logs and errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


@dataclass(frozen=True)
class WorkerInfo:
    """One worker process, as its heartbeat says."""

    worker_id: str  #: unique: host and process id
    host: str  #: the machine's name
    device: str  #: what its framework computes on, e.g. "tensorflow on CPU:0, GPU:0"
    pid: int  #: the process id on that host
    job: str | None = None  #: the pool's job id it is dreaming, if any
    jobs_done: int = 0  #: jobs it finished since it started

    def dumps(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def loads(cls, raw: bytes | str) -> WorkerInfo:
        return cls(**json.loads(raw))


@dataclass(frozen=True)
class Event:
    """What a worker tells the bot about a job beside arq: `running`, `progress`, `ended`."""

    kind: str  #: "running", "progress" or "ended"
    job_id: str  #: the pool's job id
    worker_id: str  #: who runs it
    attempt: int = 1  #: arq's try number: 2 when a second worker took it over
    progress: Progress | None = None  #: with `progress`

    def dumps(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def loads(cls, raw: bytes | str) -> Event:
        data = json.loads(raw)
        progress = data.pop("progress", None)
        return cls(**data, progress=Progress(**progress) if progress else None)
