"""The one place that turns failures into replies.

Known `DreamError` types carry their own one-line, user-facing text; anything else is a
bug: logged with its traceback and answered with a short generic line, never the trace.
"""
from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from dreaming.errors import DreamError

from . import messages

log = logging.getLogger(__name__)


def reply_for(error: BaseException, *, job_id: str | None = None) -> str:
    """One line to show the user for `error`."""
    error = getattr(error, "original", error)  # unwrap CommandInvokeError & co.
    if isinstance(error, DreamError):
        return f"⚠️ {error}"
    if isinstance(error, (commands.CommandOnCooldown, app_commands.CommandOnCooldown)):
        return f"⏳ Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, (commands.CheckFailure, app_commands.CheckFailure)):
        return f"⛔ {error}" if str(error) else "⛔ You can't use that here."
    if isinstance(error, commands.UserInputError):
        return f"⚠️ {error}"
    if isinstance(error, discord.Forbidden):
        return f"⚠️ {messages.MISSING_PERMISSIONS}"
    log.error("unexpected error (job %s)", job_id or "-", exc_info=error)
    return f"⚠️ {messages.GENERIC_FAILURE}"
