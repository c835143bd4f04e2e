"""Log lines carry the job id of the task that wrote them; secrets are redacted."""
from __future__ import annotations

import asyncio
import io
import logging

import pytest

from bot.ops.logs import FORMAT, JobIdFilter, RedactFilter, job_id_var


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(JobIdFilter())
    handler.addFilter(RedactFilter(["secret-token-123456"]))
    log = logging.getLogger("test.logs")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield log, stream
    log.removeHandler(handler)


async def test_each_task_logs_under_its_own_job_id(captured):
    log, stream = captured

    async def job(job_id: str) -> None:
        job_id_var.set(job_id)
        await asyncio.sleep(0)
        log.info("working")
        await asyncio.create_task(_child(log))  # tasks inherit the context

    await asyncio.gather(job("aaa111"), job("bbb222"))
    log.info("outside")
    lines = stream.getvalue().splitlines()
    assert sum("job=aaa111: working" in line for line in lines) == 1
    assert sum("job=bbb222: child" in line for line in lines) == 1
    assert lines[-1].endswith("job=-: outside")


async def _child(log: logging.Logger) -> None:
    log.info("child")


def test_secrets_are_redacted_even_in_arguments(captured):
    log, stream = captured
    log.warning("request to %s failed", "https://x/api?token=secret-token-123456")
    assert "secret-token-123456" not in stream.getvalue()
    assert "[redacted]" in stream.getvalue()


def test_secrets_are_redacted_in_tracebacks(captured):
    log, stream = captured
    try:
        raise RuntimeError("login failed for secret-token-123456")
    except RuntimeError:
        log.exception("could not log in")
    assert "RuntimeError" in stream.getvalue() and "secret-token-123456" not in stream.getvalue()


def test_interaction_tokens_in_urls_are_redacted(captured):
    """discord.py's webhook logger writes follow-up URLs at DEBUG; each holds a live token."""
    log, stream = captured
    token = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5OmFiY2RlZmdoaWprbG1ub3A"
    log.warning("Webhook ID 1 is rate limited: https://discord.com/api/v10/webhooks/1577/%s/messages/@original",
                token)
    log.warning("POST /api/v10/interactions/99887766/%s/callback", token)
    text = stream.getvalue()
    assert token not in text and text.count("[redacted]") == 2
    assert "/webhooks/1577/[redacted]/messages/@original" in text


def test_a_malformed_log_call_is_logged_and_does_not_raise(captured):
    log, stream = captured
    log.warning("two placeholders %s %s", "only one")  # a library's bug must not raise into it
    log.warning("after")
    assert "two placeholders" in stream.getvalue() and stream.getvalue().rstrip().endswith("after")
