"""Structured logs: every line says which job it is about, and secrets never reach a log.

The job id travels in a context variable: `DreamRunner.run` sets it, and asyncio copies the
context into every task started from there, so progress edits, retries and error handlers
log under the same id without passing it around. Lines outside a job show `job=-`.
"""
from __future__ import annotations

import contextvars
import logging
import re

#: the job the current task works on
job_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("job_id", default="-")

FORMAT = "%(asctime)s %(levelname)s %(name)s job=%(job_id)s: %(message)s"


class JobIdFilter(logging.Filter):
    """Adds `record.job_id` from the context (or keeps one set explicitly)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "job_id"):
            record.job_id = job_id_var.get()
        return True


#: Interaction and webhook tokens inside Discord URLs (`/webhooks/<id>/<token>`,
#: `/interactions/<id>/<token>/callback`): each grants 15 minutes of replies as the bot.
_URL_TOKEN = re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9_.\-]{20,}")


class RedactFilter(logging.Filter):
    """Replaces the given secrets, and interaction tokens in URLs, with `[redacted]`.

    Defence in depth: nothing is meant to log the token, but a library's debug line or an
    exception message might quote a URL or header that holds it (discord.py's webhook
    logger writes follow-up URLs at DEBUG). It never raises: a library's malformed log
    call is logged as it stands rather than breaking the code that made it.
    """

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad %-args in someone's call: keep the raw parts, don't raise
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self._clean(message), None
        if record.exc_info and not record.exc_text:
            # The formatter prints exc_text as it is when it is set: redact it first.
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
        return True

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return _URL_TOKEN.sub(r"\1[redacted]", text)


def setup_logging(level: str | int = "INFO", secrets: list[str] | None = None) -> None:
    """Log to stderr in `FORMAT`, with job ids and the given secrets redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(JobIdFilter())
    handler.addFilter(RedactFilter(secrets or []))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Per-request chatter: discord.py's HTTP lines and aiosqlite's per-statement debug lines.
    # discord.py's gateway logs whole events (message text included) at DEBUG: user content
    # never goes to our logs, so it stops at INFO whatever the level.
    logging.getLogger("discord.http").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("discord.gateway").setLevel(max(logging.INFO, root.level))
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, root.level))
